"""The store's first-design example, taken from docs/python-client.md (the "Python client" section) and run as it
is written, in a fresh interpreter configured only by the three environment variables."""

import csv
import re
import subprocess
import sys

from conftest import REPO, rows, sql, wait_for_rows

EXAMPLE_IDS = {"tasks": ("task_id", "task-456"), "tool_executions": ("execution_id", "exec-789"),
               "workflows": ("workflow_id", "workflow-101")}


def readme_example() -> str:
    page = (REPO / "docs" / "python-client.md").read_text()
    section = page.split("\n## Python client\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    [example] = [block for block in blocks if "get_training_data_store()" in block]
    return example


def test_readme_example_runs_as_written(service, redis_client, tmp_path):
    example = readme_example()
    for line in ('await store.store_agent_event(event_type="task_completed", agent_id="agent-123", '
                 'payload={"result": "success"})',
                 'await store.export_to_csv(data_type="tasks", output_path="data/training/tasks_export.csv", '
                 'start_date="2024-01-01")'):
        assert line in example  # the lines, unchanged
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, env=service.env(), capture_output=True,
                          text=True, timeout=300)
    try:
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # no warning either (unclosed connections, ...)
        # Published to this session's streams, so only this session's store read them.
        entries = {kind: [entry for entry, _ in redis_client.xrange(service.streams[kind])]
                   for kind in ("events", "tasks", "tool_executions", "workflows")}
        [event] = wait_for_rows("events", "event_id = :'i'",
                                i=f"{service.streams['events']}/{entries['events'][-1]}")
        assert (event["event_type"], event["agent_id"], event["payload"]) == \
               ("task_completed", "agent-123", {"result": "success"})
        for kind, (identity, value) in EXAMPLE_IDS.items():
            wait_for_rows(kind, f"{identity} = :'v' AND stream_entry_id = :'e'", v=value, e=entries[kind][-1])
        [task] = rows("tasks", "task_id = 'task-456'")
        assert (task["task_type"], task["status"]) == ("code_generation", "completed")
        [execution] = rows("tool_executions", "execution_id = 'exec-789'")
        assert execution["input_params"] == {"code": "print('hello')"}
        assert execution["output_result"] == {"stdout": "hello"}
        [workflow] = rows("workflows", "workflow_id = 'workflow-101'")
        assert (workflow["workflow_type"], workflow["phase"]) == ("multi_agent", "executing")
        # The exports ran (written where the example says, directories created): January 2024 of
        # agent-123 (the example's event is of today, so not in it), and every task since 2024,
        # which includes task-456 if it was stored before the export started.
        events_file = tmp_path / "data" / "training" / "events_export.jsonl"
        assert events_file.is_file() and b"task_completed" not in events_file.read_bytes()
        with open(tmp_path / "data" / "training" / "tasks_export.csv", newline="") as f:
            header = next(csv.reader(f))
        assert header[:4] == ["task_id", "agent_id", "status", "task_type"]
        assert not list((tmp_path / "data" / "training").glob(".*.part"))
    finally:
        delete_example_rows(service, redis_client)


def delete_example_rows(service, redis_client):
    """The example's fixed ids may exist in a shared database: delete a row only when its newest
    record is one this session published."""
    for kind, (identity, value) in EXAMPLE_IDS.items():
        entries = [entry for entry, _ in redis_client.xrange(service.streams[kind])]
        for entry in entries:
            sql(f"DELETE FROM training_data.training_{kind} WHERE {identity} = :'v' AND stream_entry_id = :'e';",
                v=value, e=entry)
