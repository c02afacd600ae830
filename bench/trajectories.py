#!/usr/bin/env python3
"""The trajectories dataset (GET /api/v1/datasets/trajectories) on the conversations benchmark's data.

  python3 bench/trajectories.py [--quick]

Loads the datasets case's data (bench.py: 100,000 tasks, each with one conversation of 10
messages, 4 tool calls and 4 tool executions, feedback on a fifth of the tasks; --quick 5,000)
into the benchmark database, starts the service and downloads the whole dataset: lines/s and MB/s
(median of 3 runs; --quick one), plain and gzip, with the line count and every line's shape
checked, and the conversations dataset of the same data in the same run (the reference: the
target is trajectories >= 0.8 x its lines/s). Prints the figures; bench/RESULTS.md keeps them
under "Trajectories".
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)


def check_lines(url, auth, n):
    """Every line parses as ATIF with the steps the data gives; n lines in task_id order."""
    out = subprocess.run(["curl", "-fsS", "-H", auth, url], check=True, capture_output=True).stdout
    lines = out.decode().splitlines()
    if len(lines) != n:
        raise RuntimeError(f"the dataset has {len(lines)} lines, not {n}")
    previous = ""
    for text in lines:
        line = json.loads(text)
        # 10 messages, 2 tool messages folded into their calls' observations: 8 steps.
        if line["schema_version"] != "ATIF-v1.4" or len(line["steps"]) != 8 or line["session_id"] <= previous:
            raise RuntimeError(f"unexpected line: {text[:300]}")
        previous = line["session_id"]
    return len(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 tasks, one run: a smoke test")
    parser.add_argument("--tasks", type=int, help="tasks to load (default 100,000)")
    args = parser.parse_args()
    n = 2_000 if args.quick else (args.tasks or 100_000)
    runs = 1 if args.quick else 3
    if not bench.JAR.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.prepare_database()
    messages, executions = bench.load_conversations(n)
    auth = f"Authorization: Bearer {bench.TOKEN}"
    results = {}
    with bench.services(1) as started:
        url = f"http://localhost:{started[0].port}/api/v1/datasets/trajectories"
        size = check_lines(url, auth, n)
        bench.log(f"trajectories: {n:,} lines checked, {size / n:,.0f} bytes per line")
        conversations = f"http://localhost:{started[0].port}/api/v1/datasets/conversations"
        for label, address, headers in (("plain", url, [auth]), ("gzip", url, [auth, "Accept-Encoding: gzip"]),
                                        ("conversations dataset, same data (reference)", conversations, [auth])):
            rates = []
            for _ in range(runs):
                downloaded, seconds = bench.timed_api(address, headers)
                rates.append((n / seconds, downloaded / seconds / 1e6))
            results[label] = (bench.median([r[0] for r in rates]), bench.median([r[1] for r in rates]))
            bench.log(f"trajectories: {label} {results[label][0]:,.0f} lines/s, {results[label][1]:.1f} MB/s")
    print(f"\n## Trajectories: `GET /api/v1/datasets/trajectories`\n\n{n:,} tasks ({messages:,} messages,"
          f" {executions:,} tool executions), {'one run' if args.quick else 'median of 3 runs'};"
          f" `python3 bench/trajectories.py{' --quick' if args.quick else ''}{f' --tasks {n}' if args.tasks else ''}`,"
          f" load average {os.getloadavg()[0]:.1f} at the end. Machine: {bench.machine()}.\n")
    reference = results["conversations dataset, same data (reference)"][0]
    print("| case | lines/s | MB/s | x conversations |\n|---|---|---|---|")
    for label, (lines, mb) in results.items():
        print(f"| {label} | {lines:,.0f} | {mb:.1f} | {lines / reference:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
