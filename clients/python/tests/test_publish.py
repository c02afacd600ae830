"""Every publishing coroutine of the asyncio client, round-tripped into PostgreSQL."""

import asyncio
import inspect
import json
from datetime import datetime, timezone

import pytest

from training_store import TrainingDataStore
from conftest import rows, wait_for_rows


def run(coroutine):
    return asyncio.run(coroutine)


async def with_store(service, action):
    async with TrainingDataStore(service.settings()) as store:
        return await action(store)


def test_methods_are_coroutine_functions(service):
    store = TrainingDataStore(service.settings())
    for name in ("store_agent_event", "store_agent_task", "store_tool_execution", "store_workflow_data",
                 "store_message", "store_feedback", "export_for_training", "export_to_csv", "export_dataset"):
        assert inspect.iscoroutinefunction(getattr(store, name)), name
    run(store.close())


def test_event_round_trips_with_entry_id_identity_and_attributes(service, ids, redis_client):
    async def publish(store):
        return await store.store_agent_event(
            event_type="task_completed", agent_id=f"{ids}-agent", payload={"result": "success", "n": [1, 2.5]},
            task_id=f"{ids}-task", workflow_id="wf", session_id="s1",
            occurred_at=datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=timezone.utc),
            attributes={"model": "gpt-x", "tokens": 17})
    entry_id = run(with_store(service, publish))
    [row] = wait_for_rows("events", "agent_id = :'a'", a=f"{ids}-agent")
    assert row["event_id"] == f"{service.streams['events']}/{entry_id}"
    assert row["stream_entry_id"] == entry_id
    assert row["event_type"] == "task_completed"
    assert row["payload"] == {"result": "success", "n": [1, 2.5]}
    assert (row["task_id"], row["workflow_id"], row["session_id"]) == (f"{ids}-task", "wf", "s1")
    assert row["occurred_at"].startswith("2026-01-31T12:00:00.123456")
    assert row["attributes"] == {"model": "gpt-x", "tokens": 17}
    # Published with the contract's document encoding: one field `data`.
    [(_, fields)] = redis_client.xrange(service.streams["events"], entry_id, entry_id)
    assert list(fields) == ["data"] and json.loads(fields["data"])["event_type"] == "task_completed"


def test_task_reports_merge_into_one_row(service, ids):
    task_id = f"{ids}-task"

    async def publish(store):
        await store.store_agent_task(task_id=task_id, agent_id="a1", task_type="code_generation", status="running",
                                     input={"prompt": "add a test"}, occurred_at="2026-02-01T10:00:00Z")
        await store.store_agent_task(task_id=task_id, agent_id="a1", status="completed", output={"files": 2},
                                     workflow_id="wf-9", metadata={"k": 1}, occurred_at=1769940060000)
    run(with_store(service, publish))
    wait_for_rows("tasks", "task_id = :'t' AND status = 'completed'", t=task_id)
    [row] = rows("tasks", "task_id = :'t'", t=task_id)
    assert row["task_type"] == "code_generation" and row["input"] == {"prompt": "add a test"}
    assert row["output"] == {"files": 2} and row["workflow_id"] == "wf-9" and row["metadata"] == {"k": 1}
    assert row["first_occurred_at"].startswith("2026-02-01T10:00:00")
    assert row["occurred_at"].startswith("2026-02-01T10:01:00")


def test_tool_execution_round_trips(service, ids):
    execution_id = f"{ids}-exec"

    async def publish(store):
        await store.store_tool_execution(execution_id=execution_id, agent_id="a1", tool_name="python_executor",
                                         input_params={"code": "print('hello')"}, output_result={"stdout": "hello"},
                                         task_id="t1", status="ok", duration_ms=118, error=None)
    run(with_store(service, publish))
    [row] = wait_for_rows("tool_executions", "execution_id = :'e'", e=execution_id)
    assert row["tool_name"] == "python_executor" and row["duration_ms"] == 118 and row["status"] == "ok"
    assert row["input_params"] == {"code": "print('hello')"} and row["output_result"] == {"stdout": "hello"}
    assert row["error"] is None and row["task_id"] == "t1"


def test_workflow_round_trips(service, ids):
    workflow_id = f"{ids}-wf"

    async def publish(store):
        await store.store_workflow_data(workflow_id=workflow_id, workflow_type="multi_agent", phase="executing",
                                        agent_ids=["a1", "a2"], state={"step": 1}, metadata={"owner": "x"})
    run(with_store(service, publish))
    [row] = wait_for_rows("workflows", "workflow_id = :'w'", w=workflow_id)
    assert (row["workflow_type"], row["phase"]) == ("multi_agent", "executing")
    assert row["agent_ids"] == ["a1", "a2"] and row["state"] == {"step": 1} and row["metadata"] == {"owner": "x"}


def test_messages_round_trip_with_tool_calls(service, ids):
    conversation = f"{ids}-conv"
    calls = [{"id": "call_1", "type": "function", "function": {"name": "run_tests", "arguments": "{}"}}]
    tools = [{"type": "function", "function": {"name": "run_tests", "description": "Runs the tests",
                                               "parameters": {"type": "object", "properties": {}}}}]

    async def publish(store):
        await store.store_message(conversation_id=conversation, role="system", content="You fix code.", seq=0,
                                  tools=tools, message_id=f"{conversation}-0")
        await store.store_message(conversation_id=conversation, role="assistant", content="", tool_calls=calls,
                                  seq=1, agent_id="a1", task_id="t1", message_id=f"{conversation}-1")
        await store.store_message(conversation_id=conversation, role="tool", content="3 passed",
                                  tool_call_id="call_1", name="run_tests", seq="2")
    run(with_store(service, publish))
    found = wait_for_rows("messages", "conversation_id = :'c'", 3, c=conversation)
    by_seq = {row["seq"]: row for row in found}
    assert by_seq[0]["tools"] == tools and by_seq[0]["role"] == "system"
    assert by_seq[1]["tool_calls"] == calls and by_seq[1]["content"] == "" and by_seq[1]["agent_id"] == "a1"
    assert by_seq[2]["tool_call_id"] == "call_1" and by_seq[2]["name"] == "run_tests"
    assert by_seq[2]["message_id"].startswith(service.streams["messages"] + "/")


def test_feedback_round_trips_and_rescoring_replaces(service, ids):
    target = f"{ids}-conv"

    async def publish(store):
        await store.store_feedback(target_kind="conversation", target_id=target, name="thumbs", label="down",
                                   source="human", occurred_at="2026-03-01T00:00:00Z")
        await store.store_feedback(target_kind="conversation", target_id=target, name="thumbs", label="up",
                                   value=1, source="human", comment="better", occurred_at="2026-03-01T00:00:01Z")
        await store.store_feedback(target_kind="task", target_id=f"{ids}-task", name="unit_test_pass_rate",
                                   value="0.875", source="unit_tests", feedback_id=f"{ids}-fb")
    run(with_store(service, publish))
    [row] = wait_for_rows("feedback", "target_id = :'t' AND label = 'up'", t=target)
    assert row["feedback_id"] == f"conversation/{target}/thumbs/human"
    assert row["value"] == 1.0 and row["comment"] == "better"
    assert len(rows("feedback", "target_id = :'t'", t=target)) == 1
    [scored] = wait_for_rows("feedback", "feedback_id = :'f'", f=f"{ids}-fb")
    assert scored["value"] == 0.875 and scored["source"] == "unit_tests"


def test_feedback_correction_is_stored_as_a_string_or_an_object(service, ids):
    message = f"{ids}-m2"
    corrected = {"content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
        "name": "run_tests", "arguments": json.dumps({"path": "tests/test_io.py"})}}]}

    async def publish(store):
        await store.store_feedback(target_kind="message", target_id=message, name="thumbs", label="down",
                                   source="human", correction="Run the tests first, ünïcödé ✓")
        await store.store_feedback(target_kind="message", target_id=message, name="correctness", label="bad",
                                   source="human", feedback_id=f"{ids}-fb", correction=corrected)
        await store.store_feedback(target_kind="message", target_id=message, name="plain", value=1)
    run(with_store(service, publish))
    by_name = {row["name"]: row for row in wait_for_rows("feedback", "target_id = :'t'", 3, t=message)}
    assert by_name["thumbs"]["correction"] == "Run the tests first, ünïcödé ✓"
    assert by_name["correctness"]["correction"] == corrected
    assert by_name["correctness"]["feedback_id"] == f"{ids}-fb"
    assert by_name["plain"]["correction"] is None
    assert all(row["attributes"] == {} for row in by_name.values())


def test_batch_is_one_pipelined_round_trip(service, ids, monkeypatch):
    agent = f"{ids}-agent"
    store = TrainingDataStore(service.settings())
    round_trips = []
    real_execute = type(store._redis.pipeline()).execute

    async def counting_execute(pipe, *args, **kwargs):
        round_trips.append(len(pipe.command_stack))
        return await real_execute(pipe, *args, **kwargs)
    monkeypatch.setattr(type(store._redis.pipeline()), "execute", counting_execute)

    async def publish():
        async with store.batch() as batch:
            for i in range(250):
                batch.store_agent_event(event_type="step", agent_id=agent, event_id=f"{ids}-e{i}", payload={"i": i})
            batch.store_agent_task(task_id=f"{ids}-task", agent_id=agent, status="done")
            assert len(batch) == 251
        await store.close()
        return batch.entry_ids
    entry_ids = run(publish())
    assert round_trips == [251] and len(entry_ids) == 251
    wait_for_rows("events", "agent_id = :'a'", 250, a=agent)
    wait_for_rows("tasks", "task_id = :'t'", t=f"{ids}-task")


def test_batch_left_by_an_exception_sends_nothing(service, ids, redis_client):
    before = redis_client.xlen(service.streams["events"]) if redis_client.exists(service.streams["events"]) else 0

    async def publish(store):
        with pytest.raises(RuntimeError):
            async with store.batch() as batch:
                batch.store_agent_event(event_type="step", agent_id=f"{ids}-agent")
                raise RuntimeError("agent failed")
    run(with_store(service, publish))
    assert redis_client.xlen(service.streams["events"]) == before


def test_stream_keys_are_configurable_per_kind(service, ids, redis_client):
    key = f"{service.run}:custom-events"

    async def publish(store):
        return await store.store_agent_event(event_type="x", agent_id=f"{ids}-agent")
    settings = service.settings(streams=dict(service.streams, events=key))
    try:
        entry_id = asyncio.run(_publish_with(settings, publish))
        assert [entry for entry, _ in redis_client.xrange(key)] == [entry_id]
    finally:
        redis_client.delete(key)


async def _publish_with(settings, action):
    async with TrainingDataStore(settings) as store:
        return await action(store)
