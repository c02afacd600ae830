#!/usr/bin/env python3
"""Writes N `XADD <stream> * ...` commands in the Redis protocol to stdout, for `redis-cli --pipe`.

Each event is about 400 bytes: realistic ids and a nested payload of about 300 bytes.
Usage: resp_events.py N [stream] [run-tag]
"""
import json
import sys
import uuid


def command(*args):
    parts = [f"*{len(args)}\r\n"]
    for arg in args:
        data = arg.encode()
        parts.append(f"${len(data)}\r\n")
        parts.append(data.decode() + "\r\n")
    return "".join(parts)


def main():
    count = int(sys.argv[1])
    stream = sys.argv[2] if len(sys.argv) > 2 else "training:events"
    tag = sys.argv[3] if len(sys.argv) > 3 else uuid.uuid4().hex[:8]
    out = sys.stdout
    for i in range(count):
        payload = json.dumps({
            "tool": "code_search",
            "arguments": {"query": f"def handler_{i % 997}", "repo": "acme/platform", "max_results": 20},
            "result": {"status": "success", "matches": i % 17, "latency_ms": 12 + i % 300,
                       "files": [f"src/module_{i % 50}/handler.py", f"tests/test_{i % 40}.py"]},
            "tokens": {"prompt": 1200 + i % 500, "completion": 200 + i % 90},
        }, separators=(",", ":"))
        out.write(command("XADD", stream, "*",
                          "event_type", "tool_call_completed",
                          "agent_id", f"agent-{i % 64:04d}",
                          "event_id", f"bench-{tag}-{i:08d}",
                          "task_id", f"task-{tag}-{i // 10:07d}",
                          "session_id", f"sess-{tag}-{i // 100:06d}",
                          "payload", payload))


if __name__ == "__main__":
    main()
