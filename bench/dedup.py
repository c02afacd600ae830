#!/usr/bin/env python3
"""dedup=exact and dedup=near on the conversations dataset against no dedup (contract 6.5).

  python3 bench/dedup.py [--quick] [--runs N]

Loads the datasets case's data (bench.py: 100,000 conversations of 10 messages; --quick 5,000) into
its own database (BENCH_DB, default training_bench_dedup), starts the service and downloads the
whole dataset without dedup, with dedup=exact and with dedup=near: conversations judged per
second (lines/s of the answer without dedup), lines emitted, and the ratio to no dedup. That data
is one template with numbers changed, so near dedup leaves most of it out; the script then gives
every message a text of its own (random words: no two lines alike) and measures again, the case
where every line is kept and the index grows to its full size. Prints a Markdown section.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("BENCH_DB", "training_bench_dedup")
os.environ.setdefault("BENCH_PORT", "18380")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)

# Every non-empty content replaced by 60 random words (md5 hex: letters and digits, one word each).
DISTINCT_TEXTS = """
UPDATE training_data.training_messages
SET content = (SELECT string_agg(substr(md5(random()::text || message_id || g), 1, 8), ' ')
               FROM generate_series(1, 60) AS g)
WHERE content <> '';
UPDATE training_data.training_tool_executions SET output_result = to_jsonb(md5(random()::text || execution_id));
VACUUM ANALYZE training_data.training_messages, training_data.training_tool_executions;
"""


def emitted_lines(url, auth):
    out = bench.sh("curl", "-fsS", "-H", auth, url)
    return len(out.splitlines())


def measure(base, auth, n, runs):
    """{case: (conversations/s, MB/s, lines emitted)} for no dedup, exact and near."""
    results = {}
    for label, query in (("no dedup", ""), ("dedup=exact", "?dedup=exact"), ("dedup=near", "?dedup=near")):
        rates = []
        for _ in range(runs):
            downloaded, seconds = bench.timed_api(base + query, [auth])
            rates.append((n / seconds, downloaded / seconds / 1e6))
        lines = emitted_lines(base + query, auth)
        results[label] = (bench.median([r[0] for r in rates]), bench.median([r[1] for r in rates]), lines)
        bench.log(f"dedup: {label} {results[label][0]:,.0f} conversations/s, {lines:,} lines")
    return results


def table(title, results, n):
    base = results["no dedup"][0]
    print(f"\n{title}\n\n| case | conversations judged/s | MB/s | lines emitted | x no dedup | target |\n|---|---|---|---|---|---|")
    for label, (rate, mb, lines) in results.items():
        target = {"dedup=exact": ">= 0.8", "dedup=near": ">= 0.5"}.get(label, "-")
        print(f"| {label} | {rate:,.0f} | {mb:.1f} | {lines:,} of {n:,} | {rate / base:.2f} | {target} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 conversations, one run: a smoke test")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    n = 5_000 if args.quick else 100_000
    runs = args.runs or (1 if args.quick else 3)
    if not bench.JAR.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.prepare_database()
    messages, _ = bench.load_conversations(n)
    auth = f"Authorization: Bearer {bench.TOKEN}"
    with bench.services(1) as started:
        base = f"http://localhost:{started[0].port}/api/v1/datasets/conversations"
        templated = measure(base, auth, n, runs)
    bench.sh("psql", "-h", "localhost", "-U", "postgres", "-d", bench.DB, "-qX", "-v", "ON_ERROR_STOP=1", "-f", "-",
             stdin=DISTINCT_TEXTS.encode())
    bench.log("dedup: every text replaced by random words")
    with bench.services(1) as started:
        base = f"http://localhost:{started[0].port}/api/v1/datasets/conversations"
        distinct = measure(base, auth, n, runs)
    print(f"\n## Dedup: `dedup=exact|near` on `GET /api/v1/datasets/conversations`\n\n{n:,} conversations"
          f" ({messages:,} messages), {'one run' if runs == 1 else f'median of {runs} runs'};"
          f" `python3 bench/dedup.py{' --quick' if args.quick else ''}`. Machine: {bench.machine()}.")
    table("The datasets case's data (one template, numbers changed: near dedup leaves most lines out):", templated, n)
    table("Every text replaced by 60 random words a message (no two lines alike: every line kept, the index at"
          " full size):", distinct, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
