"""The record-building methods shared by the asynchronous store, the synchronous twin and batches.

Each method validates its arguments (``validation.encode_record``) and hands the record to the
owner's ``_submit``: the asynchronous store publishes it (a coroutine), the synchronous one
publishes it at once, a batch queues it. Arguments left as None are not sent.
"""

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from . import kinds
from .kinds import Kind
from .validation import DEFAULT_MAX_ENTRY_BYTES, encode_record

Json = Any
Timestamp = Any  # aware datetime, ISO-8601 text with offset or Z, or epoch milliseconds


@dataclass(frozen=True)
class Record:
    kind: Kind
    data: str  # the `data` field: the record as one JSON object


class RecordMethods:
    """The store's publishing methods (the names and arguments of the store's first design)."""

    max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES

    def _submit(self, record: Record):
        raise NotImplementedError

    def _record(self, kind: Kind, fields: Mapping[str, Any], attributes: Optional[Mapping[str, Json]]):
        return self._submit(Record(kind, encode_record(kind, fields, attributes, self.max_entry_bytes)))

    def store_agent_event(self, event_type: Optional[str] = None, agent_id: Optional[str] = None,
                          payload: Json = None, *, event_id: Optional[str] = None, task_id: Optional[str] = None,
                          workflow_id: Optional[str] = None, session_id: Optional[str] = None,
                          occurred_at: Timestamp = None, attributes: Optional[Mapping[str, Json]] = None):
        """An event (stream ``training:events``); without ``event_id`` it is named after its stream entry."""
        return self._record(kinds.EVENTS, dict(
            event_type=event_type, agent_id=agent_id, payload=payload, event_id=event_id, task_id=task_id,
            workflow_id=workflow_id, session_id=session_id, occurred_at=occurred_at), attributes)

    def store_agent_task(self, task_id: Optional[str] = None, agent_id: Optional[str] = None,
                         task_type: Optional[str] = None, status: Optional[str] = None, *,
                         workflow_id: Optional[str] = None, input: Json = None, output: Json = None,
                         error: Optional[str] = None, metadata: Json = None, occurred_at: Timestamp = None,
                         attributes: Optional[Mapping[str, Json]] = None):
        """A task report (``training:tasks``); reports of one ``task_id`` merge into one row."""
        return self._record(kinds.TASKS, dict(
            task_id=task_id, agent_id=agent_id, task_type=task_type, status=status, workflow_id=workflow_id,
            input=input, output=output, error=error, metadata=metadata, occurred_at=occurred_at), attributes)

    def store_tool_execution(self, execution_id: Optional[str] = None, agent_id: Optional[str] = None,
                             tool_name: Optional[str] = None, input_params: Json = None, output_result: Json = None,
                             *, task_id: Optional[str] = None, workflow_id: Optional[str] = None,
                             status: Optional[str] = None, error: Optional[str] = None,
                             duration_ms: Optional[int] = None, occurred_at: Timestamp = None,
                             attributes: Optional[Mapping[str, Json]] = None):
        """A tool execution (``training:tool_executions``), merged by ``execution_id``."""
        return self._record(kinds.TOOL_EXECUTIONS, dict(
            execution_id=execution_id, agent_id=agent_id, tool_name=tool_name, input_params=input_params,
            output_result=output_result, task_id=task_id, workflow_id=workflow_id, status=status, error=error,
            duration_ms=duration_ms, occurred_at=occurred_at), attributes)

    def store_workflow_data(self, workflow_id: Optional[str] = None, workflow_type: Optional[str] = None,
                            phase: Optional[str] = None, *, agent_ids: Optional[Sequence[str]] = None,
                            state: Json = None, metadata: Json = None, occurred_at: Timestamp = None,
                            attributes: Optional[Mapping[str, Json]] = None):
        """A workflow report (``training:workflows``), merged by ``workflow_id``."""
        return self._record(kinds.WORKFLOWS, dict(
            workflow_id=workflow_id, workflow_type=workflow_type, phase=phase, agent_ids=agent_ids, state=state,
            metadata=metadata, occurred_at=occurred_at), attributes)

    def store_message(self, conversation_id: Optional[str] = None, role: Optional[str] = None,
                      content: Optional[str] = None, *, message_id: Optional[str] = None,
                      agent_id: Optional[str] = None, task_id: Optional[str] = None, name: Optional[str] = None,
                      tool_calls: Optional[Sequence[Json]] = None, tool_call_id: Optional[str] = None,
                      seq: Optional[int] = None, tools: Optional[Sequence[Json]] = None,
                      occurred_at: Timestamp = None, attributes: Optional[Mapping[str, Json]] = None):
        """A chat message (``training:messages``): role system, user, assistant or tool; ``content`` may be
        empty only for an assistant message with ``tool_calls`` (OpenAI chat shape)."""
        return self._record(kinds.MESSAGES, dict(
            conversation_id=conversation_id, role=role, content=content, message_id=message_id, agent_id=agent_id,
            task_id=task_id, name=name, tool_calls=tool_calls, tool_call_id=tool_call_id, seq=seq, tools=tools,
            occurred_at=occurred_at), attributes)

    def store_feedback(self, target_kind: Optional[str] = None, target_id: Optional[str] = None,
                       name: Optional[str] = None, value: Optional[float] = None, label: Optional[str] = None, *,
                       comment: Optional[str] = None, source: Optional[str] = None, agent_id: Optional[str] = None,
                       feedback_id: Optional[str] = None, correction: Json = None, occurred_at: Timestamp = None,
                       attributes: Optional[Mapping[str, Json]] = None):
        """A score or label (``training:feedback``) on an event, task, tool_execution, workflow, message or
        conversation: a ``value``, a ``label``, or both. Without ``feedback_id``, re-scoring the same target,
        name and source replaces the score. ``correction`` is what the scored assistant message should have
        been: a str (its content) or a dict ``{"content": str or None, "tool_calls": [...]}`` in OpenAI's
        shape; any JSON value is stored as sent (the preferences dataset checks its shape)."""
        return self._record(kinds.FEEDBACK, dict(
            target_kind=target_kind, target_id=target_id, name=name, value=value, label=label, comment=comment,
            source=source, agent_id=agent_id, feedback_id=feedback_id, correction=correction,
            occurred_at=occurred_at), attributes)
