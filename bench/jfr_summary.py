#!/usr/bin/env python3
"""A short text summary of a JFR recording (JDK 17's `jfr` tool has no hot-methods view).

  python3 bench/jfr_summary.py RECORDING.jfr [--top N] [--thread SUBSTRING]

CPU: the share of execution samples in each method as the top frame (self), and the share of
samples with each of the store's own methods (ai.trainingstore.*) anywhere on the stack
(inclusive). Allocation: bytes by the allocating frame and by the nearest store method, from
jdk.ObjectAllocationSample's weights. Record with
`-XX:StartFlightRecording=settings=profile,filename=...` (bench/profile.py does it).
"""
import argparse
import collections
import json
import subprocess
import sys

OWN = "ai.trainingstore."


def events(path, name):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", name, path],
                         check=True, capture_output=True).stdout
    return json.loads(out)["recording"]["events"]


def frames(event):
    stack = event["values"].get("stackTrace") or {}
    for frame in stack.get("frames") or []:
        method = frame["method"]
        yield f"{method['type']['name']}.{method['name']}".replace("/", ".")


def table(title, counter, total, top, unit=""):
    print(f"\n{title} (total {total:,}{unit})")
    for name, count in counter.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recording")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--thread", help="only samples of threads whose name contains this")
    args = parser.parse_args()
    samples = events(args.recording, "jdk.ExecutionSample")
    if args.thread:
        samples = [e for e in samples if args.thread in (e["values"]["sampledThread"].get("javaName") or "")]
    self_time, inclusive, threads = collections.Counter(), collections.Counter(), collections.Counter()
    nearest = collections.Counter()
    for event in samples:
        stack = list(frames(event))
        if not stack:
            continue
        self_time[stack[0]] += 1
        nearest[next((name for name in stack if name.startswith(OWN) and "$$Lambda" not in name), "(no store frame)")] += 1
        for name in set(name for name in stack if name.startswith(OWN) and "$$Lambda" not in name):
            inclusive[name] += 1
        thread = event["values"]["sampledThread"].get("javaName") or "?"
        threads[thread.rstrip("0123456789-")] += 1
    total = max(1, sum(self_time.values()))
    print(f"{args.recording}: {total:,} CPU samples")
    table("threads", threads, total, 8, " samples")
    table("self (top frame)", self_time, total, args.top, " samples")
    table("self time by the nearest store method on the stack", nearest, total, args.top, " samples")
    table("inclusive, the store's own methods", inclusive, total, args.top, " samples")
    allocations = events(args.recording, "jdk.ObjectAllocationSample")
    by_frame, by_own = collections.Counter(), collections.Counter()
    for event in allocations:
        weight = event["values"].get("weight") or 0
        stack = list(frames(event))
        if not stack:
            continue
        by_frame[f"{event['values']['objectClass']['name']} in {stack[0]}"] += weight
        by_own[next((name for name in stack if name.startswith(OWN) and "$$Lambda" not in name),
                    "(no store frame)")] += weight
    weight_total = max(1, sum(by_frame.values()))
    print(f"\nallocation: {weight_total / 2**20:,.0f} MiB sampled")
    table("allocated, by class and frame", by_frame, weight_total, args.top // 2, " bytes")
    table("allocated, by the nearest store method", by_own, weight_total, args.top // 2, " bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
