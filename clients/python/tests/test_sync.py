"""The synchronous twin behaves as the asyncio client: the same methods and signatures, the same
rows stored, the same refusals, the same export files, batches in one round trip."""

import asyncio
import inspect
import secrets
from datetime import datetime, timezone

import pytest

from training_store import SyncTrainingDataStore, TrainingDataStore
from conftest import rows, wait_for_rows
from test_validation import CASES, METHODS, fields_of

PUBLIC = ["store_agent_event", "store_agent_task", "store_tool_execution", "store_workflow_data", "store_message",
          "store_feedback", "export_for_training", "export_to_csv", "export_dataset", "batch", "close"]
WHEN = datetime(2026, 4, 1, 8, 30, tzinfo=timezone.utc)

# Per kind: the call (identity left out), the identity argument, and the columns that differ by
# nature between two publications (identity, entry ids, write time).
RECORDS = {
    "events": ({"event_type": "tested", "agent_id": "A", "payload": {"deep": {"list": [1, "x", None]}},
                "session_id": "s", "attributes": {"extra": [1, 2]}}, "event_id"),
    "tasks": ({"agent_id": "A", "task_type": "code_generation", "status": "completed", "input": {"q": 1},
               "output": "done", "error": None, "metadata": {"m": True}}, "task_id"),
    "tool_executions": ({"agent_id": "A", "tool_name": "python_executor", "input_params": {"code": "print(1)"},
                         "output_result": {"stdout": "1"}, "status": "ok", "duration_ms": 42}, "execution_id"),
    "workflows": ({"workflow_type": "multi_agent", "phase": "executing", "agent_ids": ["A", "B"],
                   "state": {"step": 3}}, "workflow_id"),
    "messages": ({"conversation_id": "C", "role": "assistant", "content": "",
                  "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                  "seq": 4}, "message_id"),
    "feedback": ({"target_kind": "task", "target_id": "T", "name": "reward", "value": "0.5", "label": "ok",
                  "source": "unit_tests"}, "feedback_id"),
}
# (the merge state holds entry ids too)
VARYING = {"ingested_at", "stream_entry_id", "version", "field_versions", "attribute_versions"}


def test_same_methods_and_signatures():
    for name in PUBLIC:
        async_method, sync_method = getattr(TrainingDataStore, name), getattr(SyncTrainingDataStore, name)
        assert inspect.signature(async_method).parameters == inspect.signature(sync_method).parameters, name
        assert inspect.iscoroutinefunction(async_method) != inspect.iscoroutinefunction(sync_method) or \
            name in ("batch",), name


@pytest.mark.parametrize("kind", RECORDS)
def test_sync_twin_stores_the_same_row(service, ids, kind):
    call, identity = RECORDS[kind]
    async_id, sync_id = f"{ids}-async", f"{ids}-sync"

    async def publish_async():
        async with TrainingDataStore(service.settings()) as store:
            await getattr(store, METHODS[kind])(**call, **{identity: async_id}, occurred_at=WHEN)
    asyncio.run(publish_async())
    with SyncTrainingDataStore(service.settings()) as store:
        entry_id = getattr(store, METHODS[kind])(**call, **{identity: sync_id}, occurred_at=WHEN)
    assert isinstance(entry_id, str) and "-" in entry_id
    [from_async] = wait_for_rows(kind, f"{identity} = :'i'", i=async_id)
    [from_sync] = wait_for_rows(kind, f"{identity} = :'i'", i=sync_id)
    assert from_sync["stream_entry_id"] == entry_id
    assert from_sync.pop(identity) == sync_id and from_async.pop(identity) == async_id
    assert {k: v for k, v in from_sync.items() if k not in VARYING} == \
           {k: v for k, v in from_async.items() if k not in VARYING}


@pytest.mark.parametrize("case", [case for case in CASES if case[2] is not None][::3],
                         ids=lambda case: f"{case[0]}-{case[2]}")
def test_sync_twin_refuses_with_the_same_message(service, case):
    kind, change, bad = case
    fields = fields_of(kind, change, "never-published")
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ValueError) as sync_error:
            getattr(store, METHODS[kind])(**fields)

    async def publish_async():
        async with TrainingDataStore(service.settings()) as store:
            await getattr(store, METHODS[kind])(**fields)
    with pytest.raises(ValueError) as async_error:
        asyncio.run(publish_async())
    assert str(sync_error.value) == str(async_error.value) and f"'{bad}'" in str(sync_error.value)


def test_sync_batch_is_one_round_trip_and_exports_equal_the_async_ones(service, ids, tmp_path, monkeypatch):
    agent = f"{ids}-agent"
    store = SyncTrainingDataStore(service.settings())
    pipeline_type = type(store._redis.pipeline())
    real_execute = pipeline_type.execute
    round_trips = []

    def counting_execute(pipe, *args, **kwargs):
        round_trips.append(len(pipe.command_stack))
        return real_execute(pipe, *args, **kwargs)
    monkeypatch.setattr(pipeline_type, "execute", counting_execute)
    with store.batch() as batch:
        for i in range(120):
            batch.store_agent_event(event_type="step", agent_id=agent, event_id=f"{agent}-{i:03}",
                                    payload={"i": i, "t": secrets.token_hex(8)})
            batch.store_message(conversation_id=f"{agent}-c{i % 10}", role="user" if i < 60 else "assistant",
                                content=f"m{i}", seq=i, agent_id=agent, message_id=f"{agent}-m{i:03}")
    assert round_trips == [240] and len(batch.entry_ids) == 240
    wait_for_rows("events", "agent_id = :'a'", 120, columns="event_id", a=agent)
    wait_for_rows("messages", "agent_id = :'a'", 120, columns="message_id", a=agent)

    async def export_async():
        async with TrainingDataStore(service.settings()) as async_store:
            await async_store.export_for_training("events", str(tmp_path / "a.jsonl"), filters={"agent_id": agent})
            await async_store.export_to_csv("events", str(tmp_path / "a.csv"), filters={"agent_id": agent})
            await async_store.export_dataset("conversations", str(tmp_path / "a-conv.jsonl"), filters={"agent_id": agent})
    asyncio.run(export_async())
    sync_results = [
        store.export_for_training("events", str(tmp_path / "s.jsonl"), filters={"agent_id": agent}),
        store.export_to_csv("events", str(tmp_path / "s.csv"), filters={"agent_id": agent}),
        store.export_dataset("conversations", str(tmp_path / "s-conv.jsonl"), filters={"agent_id": agent}),
    ]
    store.close()
    for name in ("jsonl", "csv"):
        assert (tmp_path / f"s.{name}").read_bytes() == (tmp_path / f"a.{name}").read_bytes()
    assert (tmp_path / "s-conv.jsonl").read_bytes() == (tmp_path / "a-conv.jsonl").read_bytes()
    assert [r.rows for r in sync_results] == [120, 120, 10]
    assert (tmp_path / "s.jsonl").read_bytes() == service.get("/api/v1/export/events", [("agent_id", agent)])
    assert len(rows("events", "agent_id = :'a'", columns="event_id", a=agent)) == 120
