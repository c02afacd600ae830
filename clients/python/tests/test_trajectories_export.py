"""export_dataset("trajectories"): GET /api/v1/datasets/trajectories (contract 6.2), one ATIF line
per task in task_id order, resumed with after=<task_id>. Needs that endpoint in the store."""

import asyncio
import json
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from training_store import SyncTrainingDataStore, TrainingDataStore
from conftest import wait_for_rows
from proxy import CuttingProxy

TASKS = 150


@pytest.fixture(scope="module")
def agent(service):
    """Tasks of one agent, each with a user message, an assistant tool call, its result as a tool
    message, an execution no message names, and a reward."""
    agent = f"{service.run}-traj-{secrets.token_hex(2)}"
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    with SyncTrainingDataStore(service.settings()) as store, store.batch() as batch:
        for t in range(TASKS):
            task = f"{agent}-t{t:04}"
            at = start + timedelta(minutes=t)
            conversation = f"{task}-conv"
            batch.store_agent_task(task_id=task, agent_id=agent, task_type="code_generation", status="completed",
                                   occurred_at=at)
            batch.store_message(conversation_id=conversation, task_id=task, role="user", agent_id=agent, seq=1,
                                content=f"Task {t}: {secrets.token_hex(48)}", message_id=f"{task}-m1", occurred_at=at)
            batch.store_message(conversation_id=conversation, task_id=task, role="assistant", agent_id=agent, seq=2,
                                content="", message_id=f"{task}-m2", occurred_at=at + timedelta(seconds=1),
                                tool_calls=[{"id": f"{task}-call", "type": "function",
                                             "function": {"name": "run_tests", "arguments": "{\"k\": 1}"}}])
            batch.store_message(conversation_id=conversation, task_id=task, role="tool", agent_id=agent, seq=3,
                                content="3 passed", tool_call_id=f"{task}-call", message_id=f"{task}-m3",
                                occurred_at=at + timedelta(seconds=2))
            batch.store_tool_execution(execution_id=f"{task}-lint", agent_id=agent, tool_name="lint", task_id=task,
                                       output_result={"warnings": 0}, occurred_at=at + timedelta(seconds=3))
            batch.store_feedback(target_kind="task", target_id=task, name="reward", value=t / TASKS, source="tests")
    wait_for_rows("tasks", "agent_id = :'a'", TASKS, columns="task_id", a=agent)
    wait_for_rows("messages", "agent_id = :'a'", 3 * TASKS, columns="message_id", a=agent)
    wait_for_rows("tool_executions", "agent_id = :'a'", TASKS, columns="execution_id", a=agent)
    wait_for_rows("feedback", "target_id LIKE :'p'", TASKS, columns="feedback_id", p=f"{agent}-%")
    return agent


def export(settings, path, **options):
    async def run():
        async with TrainingDataStore(settings) as store:
            return await store.export_dataset("trajectories", str(path), **options)
    return asyncio.run(run())


def test_trajectories_equal_the_http_dataset(service, agent, tmp_path):
    path = tmp_path / "trajectories.jsonl"
    result = export(service.settings(), path, filters={"agent_id": agent})
    expected = service.get("/api/v1/datasets/trajectories", [("agent_id", agent)])
    assert path.read_bytes() == expected and result.rows == TASKS
    first = json.loads(expected.splitlines()[0])
    assert first["schema_version"] == "ATIF-v1.4" and first["session_id"] == f"{agent}-t0000"
    assert first["agent"] == {"name": agent}
    assert [step["step_id"] for step in first["steps"]] == list(range(1, len(first["steps"]) + 1))
    assert first["extra"]["feedback"] == {"reward": 0.0}


def test_trajectories_split_and_filters(service, agent, tmp_path):
    path = tmp_path / "validation.jsonl"
    result = export(service.settings(), path, split="validation", validation_fraction=0.3,
                    filters={"agent_id": agent, "status": "completed"})
    expected = service.get("/api/v1/datasets/trajectories", [("split", "validation"), ("validation_fraction", "0.3"),
                                                              ("agent_id", agent), ("status", "completed")])
    assert path.read_bytes() == expected and 0 < result.rows < TASKS


def test_cut_trajectories_resume_after_the_last_task_and_end_equal(service, agent, tmp_path):
    expected = service.get("/api/v1/datasets/trajectories", [("agent_id", agent)])
    path = tmp_path / "trajectories.jsonl"
    with CuttingProxy(service.port, cuts=[6_000, 9_000]) as proxy:
        result = export(service.settings(url=proxy.url), path, filters={"agent_id": agent})
    assert path.read_bytes() == expected
    assert result.resumes == 2 and result.rows == TASKS
    assert all(f"after={agent}-t".encode() in request for request in proxy.requests[1:])


def test_max_tokens_and_tokenizer_are_passed_on(service, agent, tmp_path):
    # The median line of the agent's tasks with cl100k_base: about half of them count more.
    summary = json.loads(service.get("/api/v1/datasets/trajectories/summary",
                                     [("agent_id", agent), ("tokenizer", "cl100k_base")]))
    assert summary["tokens"]["encoding"] == "cl100k_base"
    median = summary["tokens"]["median"]
    path = tmp_path / "short.jsonl"
    result = export(service.settings(), path, max_tokens=median, tokenizer="cl100k_base", filters={"agent_id": agent})
    expected = service.get("/api/v1/datasets/trajectories", [("max_tokens", str(median)), ("tokenizer", "cl100k_base"),
                                                              ("agent_id", agent)])
    assert path.read_bytes() == expected and TASKS // 2 <= result.rows < TASKS
    with pytest.raises(Exception, match="max_tokens"):
        export(service.settings(), tmp_path / "bad.jsonl", max_tokens=0, filters={"agent_id": agent})
