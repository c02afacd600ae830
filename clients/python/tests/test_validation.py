"""Validation before publishing: a bad record is a ValueError naming the field, at the call site,
and the client's verdict is the store's. Each boundary case below is also XADDed as it is (the
same `data` JSON the client would send) past the client, and the store must store exactly the ones
the client accepts and dead-letter exactly the ones it refuses."""

import asyncio
import json
import math
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from training_store import SyncTrainingDataStore, TrainingDataStore
from training_store.validation import encode_json
from conftest import STORE_TIMEOUT_S, rows

METHODS = {"events": "store_agent_event", "tasks": "store_agent_task", "tool_executions": "store_tool_execution",
           "workflows": "store_workflow_data", "messages": "store_message", "feedback": "store_feedback"}
IDENTITY = {"events": "event_id", "tasks": "task_id", "tool_executions": "execution_id",
            "workflows": "workflow_id", "messages": "message_id", "feedback": "feedback_id"}
BASE = {
    "events": {"event_type": "e", "agent_id": "a"},
    "tasks": {"agent_id": "a", "status": "running"},
    "tool_executions": {"agent_id": "a", "tool_name": "t"},
    "workflows": {"workflow_type": "w", "phase": "p"},
    "messages": {"conversation_id": "c", "role": "user", "content": "hi"},
    "feedback": {"target_kind": "task", "target_id": "t", "name": "n", "value": 1},
}
MISSING = object()


def nested(levels):
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


# (kind, fields changed from BASE (MISSING removes one), the field a refusal names, or None: valid)
CASES = [
    ("events", {}, None),
    ("events", {"agent_id": MISSING}, "agent_id"),
    ("events", {"event_type": None}, "event_type"),
    ("events", {"agent_id": "  \t"}, "agent_id"),
    ("events", {"agent_id": "\u00a0"}, None),  # not blank for Java's isBlank: stored
    ("events", {"agent_id": "\u2003"}, "agent_id"),  # an em space is blank
    ("events", {"event_type": 5}, None),
    ("events", {"event_type": True}, None),
    ("events", {"event_type": {"a": 1}}, "event_type"),
    ("events", {"event_type": ["a"]}, "event_type"),
    ("events", {"agent_id": "a\x00b"}, "agent_id"),
    ("events", {"payload": nested(999)}, None),  # the record is the first of 1,000 levels
    ("events", {"payload": nested(1000)}, "payload"),
    ("events", {"payload": {"k": "v\x00"}}, "payload"),
    ("events", {"payload": {"k\x00": 1}}, "payload"),
    ("events", {"payload": 10 ** 999}, None),  # 1,000 digits
    ("events", {"payload": 10 ** 1000}, "payload"),  # 1,001 digits
    ("events", {"payload": "just text"}, None),
    ("events", {"session_id": 1.5}, None),
    ("events", {"occurred_at": "2026-01-31T12:00:00Z"}, None),
    ("events", {"occurred_at": "2026-01-31t12:00:00.123456789z"}, None),
    ("events", {"occurred_at": "2026-01-31T12:00Z"}, None),
    ("events", {"occurred_at": " 2026-01-31T12:00:00+18:00\n"}, None),
    ("events", {"occurred_at": "2026-01-31T12:00:00-05:30:15"}, None),
    ("events", {"occurred_at": "2026-01-31T12:00:00+19:00"}, "occurred_at"),
    ("events", {"occurred_at": "2026-01-31T12:00:00+0100"}, "occurred_at"),
    ("events", {"occurred_at": "2026-01-31T12:00:00"}, "occurred_at"),
    ("events", {"occurred_at": "2026-01-31 12:00:00Z"}, "occurred_at"),
    ("events", {"occurred_at": "2026-02-30T00:00:00Z"}, "occurred_at"),
    ("events", {"occurred_at": "2026-01-31T24:00:00Z"}, "occurred_at"),
    ("events", {"occurred_at": "1969-12-31T23:59:59.999Z"}, "occurred_at"),
    ("events", {"occurred_at": "1970-01-01T00:30:00+01:00"}, "occurred_at"),
    ("events", {"occurred_at": "1970-01-01T00:00:00Z"}, None),
    ("events", {"occurred_at": "9999-12-31T23:59:59.999999Z"}, None),
    ("events", {"occurred_at": "9999-12-31T23:59:59.9999991Z"}, "occurred_at"),
    ("events", {"occurred_at": "2026-01-31"}, "occurred_at"),
    ("events", {"occurred_at": 0}, None),
    ("events", {"occurred_at": 253402300799999}, None),
    ("events", {"occurred_at": 253402300800000}, "occurred_at"),
    ("events", {"occurred_at": -1}, "occurred_at"),
    ("events", {"occurred_at": "1769940060000"}, None),
    ("events", {"occurred_at": 1769940060000.0}, "occurred_at"),
    ("events", {"occurred_at": True}, "occurred_at"),
    ("events", {"occurred_at": "yesterday"}, "occurred_at"),
    ("tasks", {"status": ""}, "status"),
    ("tasks", {"input": {"a": [1, None, True]}, "output": None, "metadata": "m"}, None),
    ("tool_executions", {"duration_ms": 118}, None),
    ("tool_executions", {"duration_ms": " -12 "}, None),
    ("tool_executions", {"duration_ms": "+7"}, None),
    ("tool_executions", {"duration_ms": 9223372036854775807}, None),
    ("tool_executions", {"duration_ms": 9223372036854775808}, "duration_ms"),
    ("tool_executions", {"duration_ms": "9223372036854775808"}, "duration_ms"),
    ("tool_executions", {"duration_ms": 1.0}, "duration_ms"),
    ("tool_executions", {"duration_ms": "1.5"}, "duration_ms"),
    ("tool_executions", {"duration_ms": "12ms"}, "duration_ms"),
    ("tool_executions", {"duration_ms": True}, "duration_ms"),
    ("tool_executions", {"duration_ms": [1]}, "duration_ms"),
    ("workflows", {"agent_ids": ["a", "b"]}, None),
    ("workflows", {"agent_ids": []}, None),
    ("workflows", {"agent_ids": "a"}, "agent_ids"),
    ("workflows", {"agent_ids": {"a": 1}}, "agent_ids"),
    ("workflows", {"phase": MISSING}, "phase"),
    ("messages", {"role": "bot"}, "role"),
    ("messages", {"role": "User"}, "role"),
    ("messages", {"content": MISSING}, "content"),
    ("messages", {"content": ""}, "content"),
    ("messages", {"content": " "}, None),  # only empty content is refused
    ("messages", {"role": "assistant", "content": ""}, "content"),
    ("messages", {"role": "assistant", "content": "", "tool_calls": []}, "content"),
    ("messages", {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function",
                                                                      "function": {"name": "f", "arguments": "{}"}}]},
     None),
    ("messages", {"tool_calls": {"id": "c1"}}, "tool_calls"),
    ("messages", {"tools": "none"}, "tools"),
    ("messages", {"seq": "3"}, None),
    ("messages", {"seq": "three"}, "seq"),
    ("feedback", {"target_kind": "agent"}, "target_kind"),
    ("feedback", {"target_kind": "Task"}, "target_kind"),
    ("feedback", {"value": MISSING}, "label"),
    ("feedback", {"value": MISSING, "label": "  "}, "label"),
    ("feedback", {"value": MISSING, "label": "up"}, None),
    ("feedback", {"value": 0.75, "label": "good"}, None),
    ("feedback", {"value": "0.75"}, None),
    ("feedback", {"value": "  -3 "}, None),
    ("feedback", {"value": "1e-3"}, None),
    ("feedback", {"value": ".5"}, None),
    ("feedback", {"value": "-0"}, None),
    ("feedback", {"value": 1e-320}, None),  # subnormal, still a double
    ("feedback", {"value": 10 ** 308}, None),
    ("feedback", {"value": 10 ** 309}, "value"),
    ("feedback", {"value": "1e400"}, "value"),
    ("feedback", {"value": "1e-400"}, "value"),
    ("feedback", {"value": "0e-400"}, None),  # an exact zero is a zero
    ("feedback", {"value": "NaN"}, "value"),
    ("feedback", {"value": "Infinity"}, "value"),
    ("feedback", {"value": "0x10"}, "value"),
    ("feedback", {"value": "1_000"}, "value"),
    ("feedback", {"value": "abc"}, "value"),
    ("feedback", {"value": ""}, "value"),
    ("feedback", {"value": True}, "value"),
    ("feedback", {"value": [1]}, "value"),
]


def fields_of(kind, change, identity):
    fields = dict(BASE[kind])
    for name, value in change.items():
        if value is MISSING:
            fields.pop(name, None)
        else:
            fields[name] = value
    fields[IDENTITY[kind]] = identity
    return fields


def case_id(case):
    kind, change, bad = case
    shown = ",".join(f"{name}={_short(value)}" for name, value in change.items())
    return f"{kind}-{'ok' if bad is None else 'bad-' + bad}-{shown}"


def _short(value):
    if value is MISSING:
        return "missing"
    if isinstance(value, (list, dict, set)) or (isinstance(value, int) and abs(value) > 10 ** 30):
        return type(value).__name__
    return repr(value)[:30]


@pytest.fixture(scope="module")
def sync_store(service):
    store = SyncTrainingDataStore(service.settings())
    yield store
    store.close()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_client_verdict(sync_store, case):
    kind, change, bad = case
    fields = fields_of(kind, change, "never-published")
    method = getattr(sync_store, METHODS[kind])
    if bad is None:
        from training_store.validation import encode_record
        from training_store.kinds import KINDS
        encode_record(KINDS[kind], fields)  # accepted (not published here)
    else:
        with pytest.raises(ValueError, match=f"'{bad}'"):
            method(**fields)


def test_store_agrees_with_client_on_every_case(service, ids, redis_client):
    """The same `data` documents XADDed past the client: the store keeps exactly the valid ones."""
    published = []
    for i, (kind, change, bad) in enumerate(CASES):
        identity = f"{ids}-{i}"
        document = fields_of(kind, change, identity)
        document = {name: value for name, value in document.items()}
        data = encode_json(document)  # the JSON the client would send, without its checks
        entry_id = redis_client.xadd(service.streams[kind], {"data": data})
        published.append((kind, identity, entry_id, bad, document))
    deadline = time.monotonic() + STORE_TIMEOUT_S
    verdicts = {}
    while len(verdicts) < len(published) and time.monotonic() < deadline:
        # Entry ids repeat across streams (one per millisecond each): a dead letter is its stream and id.
        dead = {(fields["source_stream"], fields["source_id"]): fields
                for _, fields in redis_client.xrange(service.dead_letter)}
        for kind, identity, entry_id, bad, document in published:
            if identity in verdicts:
                continue
            if (service.streams[kind], entry_id) in dead:
                verdicts[identity] = ("dead-lettered", dead[(service.streams[kind], entry_id)]["error"])
            elif rows(kind, f"{IDENTITY[kind]} = :'i'", columns=IDENTITY[kind], i=identity):
                verdicts[identity] = ("stored", None)
        time.sleep(0.2)
    disagreements = []
    for kind, identity, entry_id, bad, document in published:
        verdict = verdicts.get(identity, ("nothing yet", None))
        expected = "stored" if bad is None else "dead-lettered"
        if verdict[0] != expected:
            disagreements.append(f"{kind} {case_id(CASES[int(identity.rsplit('-', 1)[1])])}: client says {expected}, "
                                 f"store {verdict}")
    assert not disagreements, "\n".join(disagreements)


PYTHON_ONLY = [
    ("events", {"occurred_at": datetime(2026, 1, 31, 12, 0)}, "occurred_at"),  # naive
    ("events", {"occurred_at": datetime(1969, 12, 31, 23, 59, tzinfo=timezone.utc)}, "occurred_at"),
    ("events", {"occurred_at": date(2026, 1, 31)}, "occurred_at"),
    ("events", {"payload": {"x": math.nan}}, "payload"),
    ("events", {"payload": [math.inf]}, "payload"),
    ("events", {"payload": {1: "int key"}}, "payload"),
    ("events", {"payload": {"s": {1, 2}}}, "payload"),
    ("events", {"payload": b"bytes"}, "payload"),
    ("events", {"agent_id": "a\ud800"}, "agent_id"),
    ("events", {"payload": nested(5000)}, "payload"),  # refused cleanly, no RecursionError
    ("feedback", {"value": math.nan}, "value"),
    ("feedback", {"value": -math.inf}, "value"),
]


@pytest.mark.parametrize("case", PYTHON_ONLY, ids=case_id)
def test_python_values_json_cannot_carry_are_refused(sync_store, case):
    kind, change, bad = case
    with pytest.raises(ValueError, match=f"'{bad}'"):
        getattr(sync_store, METHODS[kind])(**fields_of(kind, change, "never-published"))


def test_aware_datetimes_are_sent_in_utc(sync_store):
    from training_store.validation import timestamp
    local = datetime(2026, 1, 31, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert timestamp(local) == "2026-01-31T12:00:00.000005Z"


def test_attributes_are_json_values_and_never_named_fields(sync_store):
    with pytest.raises(ValueError, match="'agent_id'"):
        sync_store.store_agent_event(event_type="e", agent_id="a", attributes={"agent_id": "b"})
    with pytest.raises(ValueError, match="'occurred_at'"):
        sync_store.store_agent_event(event_type="e", agent_id="a", attributes={"occurred_at": "x"})
    with pytest.raises(ValueError, match="'note'"):
        sync_store.store_agent_event(event_type="e", agent_id="a", attributes={"note": math.nan})


def test_entry_size_limit_counts_utf8_bytes(service):
    store = SyncTrainingDataStore(service.settings(max_entry_bytes=100))
    try:
        fixed = len("data") + len(json.dumps({"event_type": "e", "agent_id": "a", "payload": ""},
                                             separators=(",", ":")))
        with store.batch() as batch:
            batch.store_agent_event(event_type="e", agent_id="a", payload="é" * ((100 - fixed) // 2))  # fits
            with pytest.raises(ValueError, match="100 bytes"):
                batch.store_agent_event(event_type="e", agent_id="a", payload="é" * ((100 - fixed) // 2 + 1))
            batch._take()  # not sent: this test only checks the limit
    finally:
        store.close()


def test_refusal_happens_at_the_call_site_before_anything_is_sent(service, redis_client):
    key = service.streams["events"]
    before = redis_client.xlen(key) if redis_client.exists(key) else 0

    async def publish():
        async with TrainingDataStore(service.settings()) as store:
            with pytest.raises(ValueError, match="'agent_id' is required for events"):
                await store.store_agent_event(event_type="task_completed")
            with pytest.raises(ValueError, match="'status'"):
                async with store.batch() as batch:
                    batch.store_agent_event(event_type="ok", agent_id="a")
                    batch.store_agent_task(task_id="t", agent_id="a")
    asyncio.run(publish())
    assert (redis_client.xlen(key) if redis_client.exists(key) else 0) == before
