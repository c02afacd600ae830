#!/usr/bin/env python3
"""Parquet exports (format=parquet) against CSV and JSONL exports and psql's own \\copy of the same rows.

  bench/run.sh --case parquet            1,000,000 events, each figure the median of 3 runs
  bench/run.sh --quick --case parquet    100,000 events, one run
  python3 bench/parquet.py --rows N      any other count

Uses its own database (training_bench_parquet) and HTTP port (18090), so it runs beside the other
benchmarks and never touches the store's data. The events are generated in SQL (the same shape as
bench.py's events, ~415 B a row) and inserted once. Prints a table and puts it into
bench/RESULTS.md (or RESULTS-quick.md) as the section "Parquet exports", keeping the rest.
"""
import argparse
import sys
import time

import bench

bench.DB = "training_bench_parquet"
bench.PORT = 18090
DB = bench.DB

SELECT = ("SELECT event_type, agent_id, event_id, task_id, workflow_id, session_id, payload, attributes,"
          " occurred_at, ingested_at, stream_entry_id FROM training_data.training_events"
          " ORDER BY occurred_at, event_id")
HEADING = "## Parquet exports"


def sql(statement):
    return bench.psql(statement, db=DB)


def prepare(n):
    """The database with exactly n generated events (re-generated only when the count differs)."""
    if not bench.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", db="postgres"):
        bench.psql(f"CREATE DATABASE {DB}", db="postgres")
    if not sql("SELECT 1 FROM pg_namespace WHERE nspname = 'training_data'"):
        with bench.services(1):
            pass  # Flyway creates the schema at start-up
    if int(sql("SELECT count(*) FROM training_data.training_events")) == n:
        return
    bench.log(f"generating {n:,} events")
    sql("TRUNCATE training_data.training_events")
    sql(f"""INSERT INTO training_data.training_events (event_id, event_type, agent_id, task_id, session_id, payload,
                occurred_at, stream_entry_id)
            SELECT 'bench-p-' || lpad(i::text, 8, '0'), 'tool_call_completed', 'agent-' || lpad((i % 64)::text, 4, '0'),
                   'task-p-' || lpad((i / 10)::text, 7, '0'), 'sess-p-' || lpad((i / 100)::text, 6, '0'),
                   jsonb_build_object(
                       'tool', 'code_search',
                       'arguments', jsonb_build_object('query', 'def handler_' || (i % 997), 'repo', 'acme/platform',
                                                       'max_results', 20),
                       'result', jsonb_build_object('status', 'success', 'matches', i % 17, 'latency_ms', 12 + i % 300,
                                                    'files', jsonb_build_array('src/module_' || (i % 50) || '/handler.py',
                                                                               'tests/test_' || (i % 40) || '.py')),
                       'tokens', jsonb_build_object('prompt', 1200 + i % 500, 'completion', 200 + i % 90)),
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '1 millisecond' + (i % 1000) * interval '1 microsecond',
                   (1767225600000 + i) || '-0'
            FROM generate_series(0, {n - 1}) AS i""")
    sql("VACUUM ANALYZE training_data.training_events")


def psql_copy_csv(n, runs):
    rates = []
    for _ in range(runs):
        start = time.time()
        out = bench.sh("bash", "-c", f"psql -h localhost -U postgres -d {DB} -qX -c"
                                     f" \"\\copy ({SELECT}) TO STDOUT WITH (FORMAT csv, HEADER)\" | wc -c")
        seconds = time.time() - start
        rates.append((n / seconds, int(out) / seconds / 1e6, int(out)))
    return median_of(rates)


def median_of(rates):
    return tuple(bench.median([r[i] for r in rates]) for i in range(3))


def api(service, n, runs, query, headers=()):
    url = f"http://localhost:{service.port}/api/v1/export/events{query}"
    auth = [f"Authorization: Bearer {bench.TOKEN}", *headers]
    rates = []
    for _ in range(runs):
        size, seconds = bench.timed_download(url, auth)
        rates.append((n / seconds, size / seconds / 1e6, size))
    return median_of(rates)


def run(n, runs):
    prepare(n)
    results = {"psql \\copy csv": psql_copy_csv(n, runs)}
    with bench.services(1) as started:
        service = started[0]
        # One short export of each format first: class loading and JIT are not what is measured.
        for query in ("?limit=1000", "?format=csv&limit=1000", "?format=parquet&limit=1000"):
            bench.timed_download(f"http://localhost:{service.port}/api/v1/export/events{query}",
                                 [f"Authorization: Bearer {bench.TOKEN}"])
        with service.sampling() as samples:
            results["API csv"] = api(service, n, runs, "?format=csv")
            results["API parquet (zstd)"] = api(service, n, runs, "?format=parquet")
            parquet_heap = max((s[1] for s in samples), default=0)
        results["API jsonl"] = api(service, n, 1, "")
        results["API jsonl gzip"] = api(service, n, 1, "", ["Accept-Encoding: gzip"])
        results["API csv gzip"] = api(service, n, 1, "?format=csv", ["Accept-Encoding: gzip"])
    with bench.services(1, {"TRAINING_STORE_EXPORT_PARQUET_COMPRESSION": "snappy"}) as started:
        results["API parquet (snappy)"] = api(started[0], n, runs, "?format=parquet")
    for label, (rows, mb, size) in results.items():
        bench.log(f"{label}: {rows:,.0f} rows/s, {mb:.0f} MB/s, {size / 1e6:.1f} MB")
    return results, parquet_heap


def section(results, parquet_heap, n, runs, command):
    copy = results["psql \\copy csv"]
    csv = results["API csv"]
    gzip_jsonl = results["API jsonl gzip"][2]
    lines = [HEADING, "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `{command}`. Machine: {bench.machine()}.", "",
             f"{n:,} events (~415 B a row as CSV), generated in SQL; {'median of ' + str(runs) + ' runs' if runs > 1 else 'one run'}"
             " for psql, CSV and Parquet, one run for JSONL and gzip (their sizes are what matters here). Rows/s and"
             " MB/s on the wire is curl's `size_download / time_total`; MB/s of the rows as CSV is rows/s times the bytes a"
             " row takes in psql's CSV, to compare formats of different sizes.", "",
             "| export | rows/s | MB/s on the wire | MB/s of the rows as CSV | size | rows/s vs CSV export |"
             " rows/s vs psql \\copy csv | size vs gzip JSONL |",
             "|---|---|---|---|---|---|---|---|"]
    csv_bytes_per_row = copy[2] / n
    for label in ("psql \\copy csv", "API csv", "API parquet (zstd)", "API parquet (snappy)", "API jsonl",
                  "API jsonl gzip", "API csv gzip"):
        rows, mb, size = results[label]
        lines.append(f"| {label} | {rows:,.0f} | {mb:.1f} | {rows * csv_bytes_per_row / 1e6:.0f} | {size / 1e6:.1f} MB |"
                     f" {rows / csv[0]:.2f} |"
                     f" {rows / copy[0]:.2f} | {size / gzip_jsonl:.2f} |")
    lines += ["", f"Heap used by the service during the CSV and Parquet exports: peak {parquet_heap:.0f} MiB (-Xmx512m,"
                  " sampled every 0.5 s; includes garbage not yet collected)."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 rows, one run")
    parser.add_argument("--rows", type=int, help="rows to export (default 1,000,000; --quick 100,000)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3; --quick 1)")
    parser.add_argument("--case", default="parquet", help=argparse.SUPPRESS)  # passed on by run.sh
    args = parser.parse_args()
    n = args.rows or (100_000 if args.quick else 1_000_000)
    runs = args.runs or (1 if args.quick else 3)
    if not bench.JAR.exists():
        bench.log("building the service")
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    results, heap = run(n, runs)
    command = "bench/run.sh" + (" --quick" if args.quick else "") + " --case parquet"
    if args.rows or args.runs:
        command = "python3 bench/parquet.py" + (f" --rows {args.rows}" if args.rows else "") + (
            f" --runs {args.runs}" if args.runs else "")
    text = section(results, heap, n, runs, command)
    print("\n" + text)
    results_file = bench.ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    previous = results_file.read_text() if results_file.exists() else "# Benchmark results\n"
    results_file.write_text(with_section(previous, text))
    return 0


def with_section(previous, text):
    """The results file with our section replaced, or put before "## Datasets" (which bench.py's
    `--case datasets` rewrites with everything after it), or appended."""
    if "\n" + HEADING + "\n" in previous:
        before, _, after = previous.partition("\n" + HEADING + "\n")
        rest = "\n## " + after.split("\n## ", 1)[1] if "\n## " in after else ""
    elif "\n## Datasets" in previous:
        before, _, after = previous.partition("\n## Datasets")
        rest = "\n## Datasets" + after
    else:
        before, rest = previous, ""
    return before.rstrip("\n") + "\n\n" + text + rest


if __name__ == "__main__":
    sys.exit(main())
