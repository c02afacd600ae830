"""Exports to a file: equal to the HTTP export byte for byte; cut mid-way (a proxy kills the
connection) they resume with `after` and still end equal; a cut that cannot be resumed leaves no
file behind (an older file at the path stays as it was)."""

import asyncio
import os
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from training_store import ExportError, ExportRequestError, SyncTrainingDataStore, TrainingDataStore
from conftest import sql, wait_for_rows
from proxy import CuttingProxy

EVENTS = 2500  # in January 2026, plus EVENTS_FEBRUARY after the range
EVENTS_FEBRUARY = 40
TASKS = 400
CONVERSATIONS = 300


@pytest.fixture(scope="module")
def data(service):
    """One agent's records: events with incompressible payloads, tasks whose text is hard on CSV
    (quotes, commas, CR, LF, CRLF), and conversations."""
    agent = f"{service.run}-export-{secrets.token_hex(2)}"
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with SyncTrainingDataStore(service.settings()) as store, store.batch() as batch:
        for i in range(EVENTS):
            batch.store_agent_event(event_type="step", agent_id=agent, event_id=f"{agent}-e{i:05}",
                                    payload={"i": i, "text": secrets.token_hex(64)},
                                    occurred_at=start + timedelta(seconds=i * 1000))
        for i in range(EVENTS_FEBRUARY):
            batch.store_agent_event(event_type="late", agent_id=agent, event_id=f"{agent}-f{i:05}",
                                    occurred_at=datetime(2026, 2, 1, 0, 0, i, tzinfo=timezone.utc))
        for i in range(TASKS):
            batch.store_agent_task(task_id=f"{agent}-t{i:04}", agent_id=agent, status="failed",
                                   error=f'line one, "quoted"\r\nline two\nthree\r{i} {secrets.token_hex(32)}', output={"csv": "a,\"b\"\n"},
                                   occurred_at=start + timedelta(minutes=i))
        for c in range(CONVERSATIONS):
            conversation = f"{agent}-c{c:04}"
            batch.store_message(conversation_id=conversation, role="user", content=f"Question {c}: {secrets.token_hex(40)}",
                                seq=1, agent_id=agent, message_id=f"{conversation}-1")
            batch.store_message(conversation_id=conversation, role="assistant", content=f"Answer {c}", seq=2,
                                agent_id=agent, message_id=f"{conversation}-2")
    wait_for_rows("events", "agent_id = :'a'", EVENTS + EVENTS_FEBRUARY, columns="event_id", a=agent)
    wait_for_rows("tasks", "agent_id = :'a'", TASKS, columns="task_id", a=agent)
    wait_for_rows("messages", "agent_id = :'a'", 2 * CONVERSATIONS, columns="message_id", a=agent)
    return agent


def export_async(settings, method, *args, **kwargs):
    async def run():
        async with TrainingDataStore(settings) as store:
            return await getattr(store, method)(*args, **kwargs)
    return asyncio.run(run())


def test_jsonl_export_equals_the_http_export(service, data, tmp_path):
    path = tmp_path / "data" / "training" / "events_export.jsonl"  # parent directories are created
    result = export_async(service.settings(), "export_for_training", "events", str(path),
                          start_date="2026-01-01", end_date="2026-01-31", filters={"agent_id": data})
    expected = service.get("/api/v1/export/events", [("format", "jsonl"), ("start_date", "2026-01-01"),
                                                     ("end_date", "2026-01-31"), ("agent_id", data)])
    content = path.read_bytes()
    assert content == expected
    # end_date as a date includes the whole of January 31 and nothing of February.
    january = sum(1 for i in range(EVENTS) if i * 1000 < 31 * 86400)
    assert (result.rows, result.bytes, result.resumes) == (january, len(content), 0)
    assert content.count(b"\n") == january


def test_csv_export_equals_the_http_export(service, data, tmp_path):
    path = tmp_path / "tasks_export.csv"
    result = export_async(service.settings(), "export_to_csv", "tasks", str(path), start_date="2026-01-01",
                          filters={"agent_id": [data, f"{data}-nobody"]})
    expected = service.get("/api/v1/export/tasks", [("format", "csv"), ("start_date", "2026-01-01"),
                                                    ("agent_id", data), ("agent_id", f"{data}-nobody")])
    assert path.read_bytes() == expected
    assert result.rows == TASKS


def test_cut_jsonl_export_resumes_and_ends_equal(service, data, tmp_path):
    expected = service.get("/api/v1/export/events", [("format", "jsonl"), ("agent_id", data)])
    path = tmp_path / "events.jsonl"
    with CuttingProxy(service.port, cuts=[30_000, 45_000, 60_000]) as proxy:
        result = export_async(service.settings(url=proxy.url), "export_for_training", "events", str(path),
                              filters={"agent_id": data})
    assert path.read_bytes() == expected
    assert result.resumes == 3 and proxy.cut_connections == 3 and result.rows == EVENTS + EVENTS_FEBRUARY
    assert b"after=" not in proxy.requests[0] and all(b"after=" in r for r in proxy.requests[1:])
    # gzip on the wire, every time
    assert all(b"accept-encoding: gzip" in r.lower() for r in proxy.requests)
    assert all(b"content-encoding: gzip" in h.lower() for h in proxy.response_heads)


def test_cut_csv_export_resumes_and_ends_equal(service, data, tmp_path):
    expected = service.get("/api/v1/export/tasks", [("format", "csv"), ("agent_id", data)])
    path = tmp_path / "tasks.csv"
    with CuttingProxy(service.port, cuts=[4_000, 6_000]) as proxy:
        result = export_async(service.settings(url=proxy.url), "export_to_csv", "tasks", str(path),
                              filters={"agent_id": data})
    assert path.read_bytes() == expected  # one header, every record once
    assert result.resumes == 2 and result.rows == TASKS


def test_cut_export_with_limit_resumes_to_the_limit(service, data, tmp_path):
    expected = service.get("/api/v1/export/events", [("agent_id", data), ("limit", "1500")])
    path = tmp_path / "limited.jsonl"
    with CuttingProxy(service.port, cuts=[30_000]) as proxy:
        with SyncTrainingDataStore(service.settings(url=proxy.url)) as store:
            result = store.export_for_training("events", str(path), filters={"agent_id": data}, limit=1500)
    assert path.read_bytes() == expected and result.rows == 1500 and result.resumes == 1


def test_export_that_cannot_finish_leaves_no_file(service, data, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"the previous export\n")
    # The first connection is cut mid-way; every later one is closed before any answer.
    with CuttingProxy(service.port, cuts=[30_000], default_cut=0) as proxy:
        with pytest.raises(ExportError, match="cut 3 times in a row"):
            export_async(service.settings(url=proxy.url, export_attempts=3), "export_for_training", "events",
                         str(path), filters={"agent_id": data})
    assert path.read_bytes() == b"the previous export\n"
    assert os.listdir(tmp_path) == ["events.jsonl"]  # no temporary file left behind


def test_conversations_dataset_equals_the_http_dataset(service, data, tmp_path):
    path = tmp_path / "train.jsonl"
    result = export_async(service.settings(), "export_dataset", "conversations", str(path),
                          filters={"agent_id": data}, split="train", validation_fraction=0.2)
    expected = service.get("/api/v1/datasets/conversations", [("agent_id", data), ("split", "train"),
                                                               ("validation_fraction", "0.2")])
    assert path.read_bytes() == expected and b'"metadata"' not in expected
    assert 0 < result.rows < CONVERSATIONS


def test_conversations_dataset_with_metadata_and_messages_format(service, data, tmp_path):
    path = tmp_path / "all.jsonl"
    result = export_async(service.settings(), "export_dataset", "conversations", str(path), format="messages",
                          metadata=True, filters={"agent_id": data, "has_tools": False})
    expected = service.get("/api/v1/datasets/conversations", [("format", "messages"), ("agent_id", data),
                                                               ("has_tools", "false"), ("metadata", "true")])
    assert path.read_bytes() == expected and result.rows == CONVERSATIONS


def test_cut_conversations_dataset_resumes_and_ends_equal(service, data, tmp_path):
    expected = service.get("/api/v1/datasets/conversations", [("agent_id", data)])
    path = tmp_path / "conversations.jsonl"
    with CuttingProxy(service.port, cuts=[8_000, 12_000]) as proxy:
        result = export_async(service.settings(url=proxy.url), "export_dataset", "conversations", str(path),
                              filters={"agent_id": data})
    assert path.read_bytes() == expected
    assert result.resumes == 2 and result.rows == CONVERSATIONS
    assert all(b"after=" in r for r in proxy.requests[1:])


def test_bad_export_requests_are_refused_with_the_reason(service, data, tmp_path):
    path = tmp_path / "x.jsonl"
    with SyncTrainingDataStore(service.settings()) as store:
        with pytest.raises(ValueError, match="Unknown data_type 'runs'"):
            store.export_for_training("runs", str(path))
        with pytest.raises(ValueError, match="format"):
            store.export_for_training("events", str(path), format="xml")
        with pytest.raises(ExportRequestError, match="400.*Unknown parameter 'colour'") as refused:
            store.export_for_training("events", str(path), filters={"colour": "red"})
        assert refused.value.status == 400
        with pytest.raises(ExportRequestError, match="400"):
            store.export_for_training("events", str(path), start_date="31/01/2026")
        with pytest.raises(ValueError, match="'limit' is an argument"):
            store.export_for_training("events", str(path), filters={"limit": 5})
        with pytest.raises(ExportRequestError, match="400.*split"):
            store.export_dataset("conversations", str(path), split="holdout")
        with pytest.raises(ValueError, match="Unknown dataset"):
            store.export_dataset("sessions", str(path))
    with SyncTrainingDataStore(service.settings(token="wrong")) as store:
        with pytest.raises(ExportRequestError, match="401") as refused:
            store.export_for_training("events", str(path))
        assert refused.value.status == 401
    with SyncTrainingDataStore(service.settings(token=None)) as store:
        with pytest.raises(ExportRequestError, match="TRAINING_STORE_TOKEN"):
            store.export_for_training("events", str(path))
    assert os.listdir(tmp_path) == []


def test_rows_of_this_module_are_found_by_sql(data):
    """The fixture's rows are there, under the module's agent only."""
    [count] = sql("SELECT row_to_json(t) FROM (SELECT count(*) AS n FROM training_data.training_events "
                  "WHERE agent_id = :'a') t;", a=data)
    assert count["n"] == EVENTS + EVENTS_FEBRUARY
