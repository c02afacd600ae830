"""The six record kinds and their fields, as the store defines them.

A mirror of the store's ``kind/RecordKind.java`` (contract section 1): the same stream keys,
field names, types and required fields, so a record the client accepts is one the store stores.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Dict, Optional, Tuple


class FieldType(Enum):
    TEXT = "text"
    JSON = "json"
    JSON_ARRAY = "json_array"
    INTEGER = "integer"
    NUMBER = "number"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    # A required text field that may be empty text (message content: the kind's rule decides).
    may_be_empty: bool = False


@dataclass(frozen=True)
class Kind:
    id: str
    default_stream: str
    identity: str
    fields: Tuple[Field, ...]

    def field(self, name: str) -> Optional[Field]:
        return self._by_name().get(name)

    def _by_name(self) -> Dict[str, Field]:
        return {field.name: field for field in self.fields}


def _required(name: str) -> Field:
    return Field(name, FieldType.TEXT, required=True)


def _text(name: str) -> Field:
    return Field(name)


def _json(name: str) -> Field:
    return Field(name, FieldType.JSON)


def _json_array(name: str) -> Field:
    return Field(name, FieldType.JSON_ARRAY)


def _integer(name: str) -> Field:
    return Field(name, FieldType.INTEGER)


def _number(name: str) -> Field:
    return Field(name, FieldType.NUMBER)


EVENTS = Kind("events", "training:events", "event_id", (
    _required("event_type"), _required("agent_id"), _text("event_id"), _text("task_id"),
    _text("workflow_id"), _text("session_id"), _json("payload")))

TASKS = Kind("tasks", "training:tasks", "task_id", (
    _required("task_id"), _required("agent_id"), _required("status"), _text("task_type"),
    _text("workflow_id"), _json("input"), _json("output"), _text("error"), _json("metadata")))

TOOL_EXECUTIONS = Kind("tool_executions", "training:tool_executions", "execution_id", (
    _required("execution_id"), _required("agent_id"), _required("tool_name"), _text("task_id"),
    _text("workflow_id"), _text("status"), _json("input_params"), _json("output_result"),
    _text("error"), _integer("duration_ms")))

WORKFLOWS = Kind("workflows", "training:workflows", "workflow_id", (
    _required("workflow_id"), _required("workflow_type"), _required("phase"),
    _json_array("agent_ids"), _json("state"), _json("metadata")))

MESSAGES = Kind("messages", "training:messages", "message_id", (
    _required("conversation_id"), _required("role"),
    Field("content", FieldType.TEXT, required=True, may_be_empty=True), _text("message_id"),
    _text("agent_id"), _text("task_id"), _text("name"), _json_array("tool_calls"),
    _text("tool_call_id"), _integer("seq"), _json_array("tools")))

FEEDBACK = Kind("feedback", "training:feedback", "feedback_id", (
    _required("target_kind"), _required("target_id"), _required("name"), _number("value"),
    _text("label"), _text("comment"), _text("source"), _text("agent_id"), _text("feedback_id"),
    _json("correction")))

KINDS: Dict[str, Kind] = {kind.id: kind for kind in
                          (EVENTS, TASKS, TOOL_EXECUTIONS, WORKFLOWS, MESSAGES, FEEDBACK)}

# The kind rules (kind/MessageRule.java, kind/FeedbackRule.java).
MESSAGE_ROLES = ("system", "user", "assistant", "tool")
FEEDBACK_TARGET_KINDS = ("event", "task", "tool_execution", "workflow", "message", "conversation")

OCCURRED_AT = "occurred_at"
DATA_FIELD = "data"
