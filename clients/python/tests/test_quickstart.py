"""The README's quick start, run exactly as it is written: its shell blocks in one bash session, then
its Python block in a fresh interpreter, against this session's store.

The only substitutions, as the README says: `TOKEN=...` and `STORE=...` name this session's token
and URL, and the stream names `training:<kind>` become this session's stream keys. Every step must
print something, and the dataset lines must hold the agent run the quick start published."""

import json
import re
import subprocess
import sys

from conftest import REPO, sql
from training_store.kinds import KINDS

MARKER = "=== quick start block "


def quickstart() -> str:
    readme = (REPO / "README.md").read_text()
    return readme.split("\n## Quick start", 1)[1].split("\n## ", 1)[0]


def for_this_session(block: str, service) -> str:
    block = re.sub(r"^TOKEN=.*$", f"TOKEN={service.token}", block, flags=re.M)
    block = re.sub(r"^STORE=.*$", f"STORE={service.url}", block, flags=re.M)
    for kind in KINDS:
        block = block.replace(f"training:{kind} ", f"{service.streams[kind]} ")
    return block


def test_the_quick_start_ends_in_training_data(service, tmp_path):
    blocks = re.findall(r"```sh\n(.*?)```", quickstart(), re.S)
    assert len(blocks) == 6, "variables, publish, conversations, summary, trajectories, version"
    assert "redis-cli XADD training:messages" in blocks[1]  # the README's own stream names, replaced below
    script = "set -euo pipefail\n" + "".join(
        f"echo '{MARKER}{number}'\n{for_this_session(block, service)}\necho\n" for number, block in enumerate(blocks))
    script += f"echo '{MARKER}end'\n" + 'echo "RUN=$RUN"\n'
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    run = re.search(r"^RUN=(\d+)$", done.stdout, re.M)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr == ""
        outputs = [part.strip() for part in done.stdout.split(MARKER)[1:]]
        outputs = [part.split("\n", 1)[1] if "\n" in part else "" for part in outputs]
        variables, published, conversations, summary, trajectories, version = outputs[:6]
        suffix = run.group(1)

        # Six XADDs, six entry ids.
        assert len(re.findall(r"^\d+-\d+$", published, re.M)) == 6, published

        # The conversation: the tool's result is the tool message, the tool definition inferred.
        [line] = [json.loads(text) for text in conversations.splitlines() if text.strip()]
        call = f"call-{suffix}"
        assert line["messages"] == [
            {"role": "user", "content": "Fix the failing test"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call, "type": "function", "function": {"name": "run_tests", "arguments": {"path": "tests/"}}}]},
            {"role": "tool", "tool_call_id": call, "name": "run_tests", "content": '{"failed":0,"passed":8}'},
            {"role": "assistant", "content": "All 8 tests pass now."}]
        assert line["tools"] == [{"type": "function", "function": {
            "name": "run_tests", "description": "",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}]
        assert (tmp_path / "conversations.jsonl").read_text().strip() == conversations.strip()

        counts = json.loads(summary)
        assert (counts["conversations"], counts["emitted"], counts["messages"], counts["tool_calls"]) == (1, 1, 4, 1), counts

        [trajectory] = [json.loads(text) for text in trajectories.splitlines() if text.strip()]
        assert trajectory["session_id"] == f"task-{suffix}"
        steps = trajectory["steps"]
        assert [(step["step_id"], step["source"], step["message"]) for step in steps] == [
            (1, "user", "Fix the failing test"), (2, "agent", ""), (3, "agent", "All 8 tests pass now.")]
        assert steps[1]["tool_calls"] == [{"tool_call_id": call, "function_name": "run_tests",
                                           "arguments": {"path": "tests/"}}]
        assert steps[1]["observation"] == {"results": [{"source_call_id": call, "content": '{"failed":0,"passed":8}'}]}
        assert trajectory["extra"]["task"]["status"] == "completed"
        assert trajectory["extra"]["task"]["task_type"] == "codegen"

        # The version: ready, its bytes those of the conversations line, its SHA-256 the file's.
        manifest_line, digest_line = [text for text in version.splitlines() if text.strip()][-2:]
        manifest = json.loads(manifest_line)
        assert manifest["status"] == "ready", manifest
        assert manifest["lines"] == 1 and manifest["dataset"] == "conversations"
        assert digest_line.split()[0] == manifest["sha256"]
        assert (tmp_path / "version.jsonl").read_text() == (tmp_path / "conversations.jsonl").read_text()
    finally:
        if run:
            delete_run(run.group(1))


def test_the_quick_start_in_python_publishes_and_exports_the_same_run(service, tmp_path):
    [example] = re.findall(r"```python\n(.*?)```", quickstart(), re.S)
    done = subprocess.run([sys.executable, "-c", example + "\nprint(f'RUN={RUN}')\n"], cwd=tmp_path,
                          env=service.env(), capture_output=True, text=True, timeout=300)
    run = re.search(r"^RUN=(\d+)$", done.stdout, re.M)
    try:
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        suffix = run.group(1)
        [line] = [json.loads(text) for text in (tmp_path / "conversations.jsonl").read_text().splitlines()]
        assert [message["role"] for message in line["messages"]] == ["user", "assistant", "tool", "assistant"]
        assert line["messages"][2] == {"role": "tool", "tool_call_id": f"call-{suffix}", "name": "run_tests",
                                       "content": '{"failed":0,"passed":8}'}
        [trajectory] = [json.loads(text) for text in (tmp_path / "trajectories.jsonl").read_text().splitlines()]
        assert [step["source"] for step in trajectory["steps"]] == ["user", "agent", "agent"]
    finally:
        if run:
            delete_run(run.group(1))


def delete_run(suffix: str) -> None:
    """The quick start's ids end in its run's suffix (a timestamp): delete exactly those rows."""
    sql("""
        DELETE FROM training_data.training_tasks WHERE task_id = 'task-' || :'s';
        DELETE FROM training_data.training_tool_executions WHERE execution_id = 'call-' || :'s';
        DELETE FROM training_data.training_messages WHERE conversation_id = 'conv-' || :'s';
        DELETE FROM training_data.training_feedback WHERE target_id = 'conv-' || :'s';
        DELETE FROM training_data.dataset_versions WHERE name = 'quickstart ' || :'s';
    """, s=suffix)
