#!/usr/bin/env python3
"""The preferences dataset (GET /api/v1/datasets/preferences) against the conversations dataset on the same data.

  python3 bench/preferences.py [--quick]

Loads 100,000 conversations (--quick 8,000) in groups of 4 siblings (one prompt: a system and a
user message; a completion of a tool call, its result and an answer), each scored under `reward`
(0..3), into the benchmark database; starts the service and downloads, median of 3 runs (--quick
one): the conversations dataset (one line per conversation) and the ranked preference pairs (one
line per group: 25,000) and KTO lines (one per scored conversation: 100,000). Prints lines/s and
conversations/s of each, the ratios of lines/s (the issue's target: >= 0.5) and the service's live heap (after a full GC) idle and while a throttled
client holds the preferences answer open (target: growth < 64 MiB).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)

LOAD = """
TRUNCATE training_data.training_messages, training_data.training_tool_executions, training_data.training_tasks,
         training_data.training_feedback CASCADE;
INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, agent_id, tool_calls,
                                             tool_call_id, seq, attributes, occurred_at, stream_entry_id)
SELECT 'msg-' || lpad(c::text, 7, '0') || '-' || k, 'conv-' || lpad(c::text, 7, '0'),
       (ARRAY['system', 'user', 'assistant', 'tool', 'assistant'])[k],
       CASE k
         WHEN 1 THEN 'You are a coding agent working in the repository acme/platform. Search before you answer.'
         WHEN 2 THEN 'The test tests/test_' || (c / 4) || '.py fails since this morning with a 500 from the handler. Why?'
         WHEN 3 THEN ''
         WHEN 4 THEN 'Found 3 matches for handler_' || (c / 4) || ' in src/module_' || (c / 4) || '/handler.py'
         ELSE 'Attempt ' || (c % 4) || ': the handler reads request.json["user_id"], but the client sends "userId" since'
              || ' the dependency update; accept both names and add a test for the new one (' || c || ').' END,
       CASE WHEN k = 4 THEN NULL ELSE 'agent-' || lpad((c % 64)::text, 4, '0') END,
       CASE WHEN k = 3 THEN jsonb_build_array(jsonb_build_object('id', 'call-' || c, 'type', 'function', 'function',
           jsonb_build_object('name', 'search', 'arguments', jsonb_build_object('query', 'def handler_' || (c / 4))::text))) END,
       CASE WHEN k = 4 THEN 'call-' || c END,
       k, '{{}}', timestamptz '2026-11-01 00:00:00+00' + c * interval '100 milliseconds' + k * interval '1 second',
       c || '-' || k
FROM generate_series(0, {n} - 1) AS c, generate_series(1, 5) AS k;
INSERT INTO training_data.training_feedback (feedback_id, target_kind, target_id, name, value, occurred_at,
                                             first_occurred_at, stream_entry_id, version, field_versions)
SELECT 'fb-' || c, 'conversation', 'conv-' || lpad(c::text, 7, '0'), 'reward', (c % 4)::float8, now(), now(),
       '0-0', '0-0', '{{}}'
FROM generate_series(0, {n} - 1) AS c;
ANALYZE training_data.training_messages;
ANALYZE training_data.training_feedback;
"""


def count_lines(url, auth):
    out = subprocess.run(["curl", "-fsS", "-H", auth, url], check=True, capture_output=True).stdout
    lines = out.decode().splitlines()
    for text in lines[:100]:
        json.loads(text)
    return len(lines)


def heap_while_open(service, url, auth):
    """Live heap idle, and while a client reading at 256 kB/s holds the answer open after its first bytes."""
    idle = service.live_heap()
    out = bench.ROOT / "target" / "preferences-throttled.jsonl"
    client = subprocess.Popen(["curl", "-sS", "-o", str(out), "--limit-rate", "256K", "-H", auth, url])
    try:
        deadline = time.time() + 600
        while time.time() < deadline and (not out.exists() or out.stat().st_size == 0):
            time.sleep(0.2)
        time.sleep(3)
        reading = service.live_heap()
    finally:
        client.terminate()
        client.wait()
    return idle, reading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="8,000 conversations, one run: a smoke test")
    args = parser.parse_args()
    n = 8_000 if args.quick else 100_000
    runs = 1 if args.quick else 3
    if not bench.JAR.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.prepare_database()
    start = time.time()
    bench.sh("psql", "-h", "localhost", "-U", "postgres", "-d", bench.DB, "-qX", "-v", "ON_ERROR_STOP=1", "-f", "-",
             stdin=LOAD.format(n=n).encode())
    bench.log(f"preferences: loaded {n:,} conversations in groups of 4 in {time.time() - start:.0f} s")
    auth = f"Authorization: Bearer {bench.TOKEN}"
    cases = {"conversations": ("/api/v1/datasets/conversations", n),
             "preferences (ranked, score=reward)": ("/api/v1/datasets/preferences?score=reward&pairs=ranked", n // 4),
             # one line per scored conversation, as the conversations dataset: lines/s compare like for like
             "preferences (kto, score=reward)": ("/api/v1/datasets/preferences?score=reward&format=kto", n)}
    results = {}
    with bench.services(1) as started:
        base = f"http://localhost:{started[0].port}"
        for label, (path, expected) in cases.items():
            got = count_lines(base + path, auth)
            if got != expected:
                raise RuntimeError(f"{label}: {got:,} lines, not {expected:,}")
            seconds = bench.median([bench.timed_api(base + path, [auth])[1] for _ in range(runs)])
            results[label] = (expected / seconds, n / seconds, seconds)
            bench.log(f"{label}: {expected / seconds:,.0f} lines/s, {n / seconds:,.0f} conversations/s")
        idle, reading = heap_while_open(started[0], base + cases["preferences (ranked, score=reward)"][0], auth)
    conversations = results["conversations"][0]
    preferences = results["preferences (ranked, score=reward)"][0]
    print(f"\n## Preferences: `GET /api/v1/datasets/preferences`\n\n{n:,} conversations (5 messages, one tool call"
          f" each) in groups of 4 siblings scored 0..3, {'one run' if args.quick else 'median of 3 runs'};"
          f" `python3 bench/preferences.py{' --quick' if args.quick else ''}`. Machine: {bench.machine()}.\n")
    print("| dataset | lines | seconds | lines/s | conversations/s |\n|---|---|---|---|---|")
    for label, (lines_per_second, conversations_per_second, seconds) in results.items():
        print(f"| {label} | {cases[label][1]:,} | {seconds:.1f} | {lines_per_second:,.0f} |"
              f" {conversations_per_second:,.0f} |")
    kto = results["preferences (kto, score=reward)"][0]
    print(f"\nPreference lines/s over conversation lines/s: ranked {preferences / conversations:.2f}"
          f" ({results['preferences (ranked, score=reward)'][1] / results['conversations'][1]:.2f} per conversation read),"
          f" kto {kto / conversations:.2f} (target >= 0.5)."
          f" Live heap idle {idle:.0f} MiB, while a throttled client holds the preferences answer open"
          f" {reading:.0f} MiB: growth {reading - idle:.0f} MiB (target < 64 MiB).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
