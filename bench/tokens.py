#!/usr/bin/env python3
"""The conversations summary with exact token counts against the characters / 4 estimate it had.

  python3 bench/tokens.py [--quick] [--base-jar PATH | --base-ref REF]

Loads the datasets case's data (bench.py: 100,000 conversations of 10 messages, 4 tool calls,
about 3.3 kB a line; --quick 5,000) and times GET /api/v1/datasets/conversations/summary on this
tree's jar (exact counts, o200k_base, then cl100k_base) and on a jar of the code before exact
counts (the estimate): --base-jar names one, else the jar of --base-ref (default main; built once
into target/bench-base from a git worktree, skipped when it is there). The two services run one
after the other on the same data, each given the same runs (median of 3; --quick one); the summary
of both is checked to hold every line. Prints lines/s and the ratio (target: at least 0.7).
On a machine where other benchmarks run, give this one its own database: BENCH_DB=tokens_bench
BENCH_PORT=18180 (bench.py).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)


def base_jar(ref):
    """The jar of the code at ref, built once in a worktree under target/bench-base."""
    tree = bench.ROOT / "target" / "bench-base"
    jar = tree / "target" / "quarkus-app" / "quarkus-run.jar"
    if jar.exists():
        return jar
    if not tree.exists():
        bench.sh("git", "-C", str(bench.ROOT), "worktree", "add", "--detach", str(tree), ref, capture=False)
    bench.log(f"tokens: building {ref} in {tree}")
    bench.sh(str(tree / "mvnw"), "-q", "-B", "-o", "-DskipTests", "package", "-f", str(tree / "pom.xml"), capture=False)
    return jar


def timed_summary(url, auth):
    started = time.monotonic()
    out = subprocess.run(["curl", "-fsS", "-H", auth, url], check=True, capture_output=True).stdout
    return json.loads(out), time.monotonic() - started


def measure(jar, label, n, runs, queries):
    bench.JAR = jar
    auth = f"Authorization: Bearer {bench.TOKEN}"
    rates = {}
    with bench.services(1) as started:
        base = f"http://localhost:{started[0].port}/api/v1/datasets/conversations/summary"
        for name, query in queries:
            seconds = []
            for _ in range(runs + 1):  # the first run warms the JIT (and loads the encoding): not counted
                summary, elapsed = timed_summary(base + query, auth)
                if summary["emitted"] != n:
                    raise RuntimeError(f"{label} {name}: the summary emitted {summary['emitted']} lines, not {n}")
                seconds.append(elapsed)
            rates[name] = (n / bench.median(seconds[1:]), summary["tokens"])
            bench.log(f"tokens: {label} {name}: {rates[name][0]:,.0f} lines/s; tokens {summary['tokens']}")
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 conversations, one run: a smoke test")
    parser.add_argument("--base-jar", help="the jar of the code before exact counts")
    parser.add_argument("--base-ref", default="main", help="git ref to build the base jar from (default main)")
    args = parser.parse_args()
    n = 5_000 if args.quick else 100_000
    runs = 1 if args.quick else 3
    this_jar = bench.JAR
    if not this_jar.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    base = Path(args.base_jar) if args.base_jar else base_jar(args.base_ref)
    bench.prepare_database()
    bench.load_conversations(n)
    estimate = measure(base, "before (chars / 4)", n, runs, [("default", "")])
    exact = measure(this_jar, "exact", n, runs, [("o200k_base", ""), ("cl100k_base", "?tokenizer=cl100k_base")])
    reference = estimate["default"][0]
    print(f"\n## Tokens: the conversations summary, exact counts against the estimate ({n:,} conversations,"
          f" {'one run' if args.quick else 'median of 3 runs'}; {bench.machine()})\n")
    print("| summary | lines/s | ratio to the estimate | target | tokens (min / median / p95 / max) |")
    print("|---|---|---|---|---|")
    t = estimate["default"][1]
    print(f"| before: characters / 4 | {reference:,.0f} | 1.00 | - | {t['min']} / {t['median']} / {t['p95']} / {t['max']} |")
    for name, (rate, t) in exact.items():
        print(f"| exact, {name} | {rate:,.0f} | {rate / reference:.2f} | 0.7 |"
              f" {t['min']} / {t['median']} / {t['p95']} / {t['max']} |")


if __name__ == "__main__":
    main()
