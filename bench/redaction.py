#!/usr/bin/env python3
"""Redaction benchmark: the same rows exported with redact=all and without, in the same run.

  bench/run.sh --case redaction [--rows N] [--runs R]

Loads N events (default 200,000; the machine is shared, so smaller than bench.py's million) straight
into a database of its own (training_bench_redaction) with psql \\copy, one in ten carrying an email,
a phone number, an IP address and an API key in its payload, and another one in ten a card number in
a text attribute; then times GET /api/v1/export/events as JSONL and CSV, plain and with redact=all
(median of R runs, default 3), and prints rows/s and the ratio (target: >= 0.5). Appends its table
to bench/RESULTS.md under "Redaction", replacing an earlier one. Reuses bench.py's helpers.
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

# Its own database, port and streams, so it can run beside bench.py and other benchmarks.
bench.DB = "training_bench_redaction"
bench.PORT = 18180
bench.STREAMS = {kind: f"bench-redaction:{kind}" for kind in bench.STREAMS}

HEADING = "## Redaction: `redact=all` against no redaction"


def payload_with_pii(i, base_payload):
    payload = json.loads(base_payload)
    if i % 10 == 0:
        payload["message"] = (f"user jane.doe{i}@example.com called +1-415-555-{i % 10000:04d} from"
                              f" 203.0.{i % 256}.{(i // 256) % 256}; key ghp_{('%036d' % i)[-36:].replace('0', 'q')}")
    else:
        payload["message"] = f"handled request {i} in {12 + i % 300} ms, version 1.{i % 20}.3"
    return json.dumps(payload, separators=(",", ":"))


def write_rows(n, directory):
    csv_path = Path(directory) / "events-redaction.csv"
    base_ms = int(time.time() * 1000) - n
    with open(csv_path, "w") as out:
        for i in range(n):
            e = bench.event(i, "redact")
            payload = payload_with_pii(i, e["payload"])
            attributes = json.dumps({"note": f"card 4111 1111 1111 1111 on order {i}"} if i % 10 == 5 else {},
                                    separators=(",", ":"))
            occurred = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((base_ms + i) / 1000)) + f".{(base_ms + i) % 1000:03d}Z"
            quote = lambda text: '"' + text.replace('"', '""') + '"'  # noqa: E731
            out.write(",".join([e["event_id"], e["event_type"], e["agent_id"], e["task_id"], "", e["session_id"],
                                quote(payload), quote(attributes), occurred, f"{base_ms + i}-0"]) + "\n")
    return csv_path


def psql(sql):
    # bench.psql's default database is bound when bench.py loads: always name ours.
    return bench.psql(sql, db=bench.DB)


def load(n):
    if not bench.psql(f"SELECT 1 FROM pg_database WHERE datname = '{bench.DB}'", db="postgres"):
        bench.psql(f"CREATE DATABASE {bench.DB}", db="postgres")
    if not psql("SELECT 1 FROM pg_namespace WHERE nspname = 'training_data'"):
        with bench.services(1):
            pass  # Flyway creates the schema at start-up
    psql("TRUNCATE training_data.training_events")  # this benchmark's own database only
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = write_rows(n, tmp)
        bench.sh("psql", "-h", "localhost", "-U", "postgres", "-d", bench.DB, "-qX", "-v", "ON_ERROR_STOP=1", "-c",
                 f"\\copy training_data.training_events ({','.join(bench.EVENT_COLUMNS)}) FROM '{csv_path}' WITH (FORMAT csv)")
    psql("ANALYZE training_data.training_events")


def measure(n, runs):
    results = {}
    with bench.services(1) as started:
        base = f"http://localhost:{started[0].port}/api/v1/export/events"
        auth = [f"Authorization: Bearer {bench.TOKEN}"]
        for warm in ("", "&redact=all", "&format=csv", "&format=csv&redact=all"):
            bench.timed_download(base + "?limit=20000" + warm, auth)  # warm-up: JIT, detectors' rules
        for label, url in (("jsonl", base), ("jsonl redact=all", base + "?redact=all"),
                           ("csv", base + "?format=csv"), ("csv redact=all", base + "?format=csv&redact=all")):
            rates = []
            for _ in range(runs):
                size, seconds = bench.timed_download(url, auth)
                rates.append((n / seconds, size / seconds / 1e6))
            results[label] = (bench.median([r[0] for r in rates]), bench.median([r[1] for r in rates]))
            bench.log(f"export {label}: {results[label][0]:,.0f} rows/s, {results[label][1]:.1f} MB/s")
    return results


def section(n, runs, results):
    lines = [HEADING, "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh --case redaction --rows {n}"
             f" --runs {runs}`. Machine: {bench.machine()}. The machine was shared with other test runs, so the"
             " absolute rates are low; the ratio is what this case measures.", "",
             f"{n:,} events (payload ~0.4 kB), one in ten with an email, a phone number, an IP address and a"
             " GitHub token in its payload, another one in ten a card number in an attribute; median of"
             f" {runs} runs of the whole export.", "",
             "| case | store | reference (same run) | ratio | target |", "|---|---|---|---|---|"]
    for fmt in ("jsonl", "csv"):
        plain, redacted = results[fmt], results[f"{fmt} redact=all"]
        lines.append(f"| export {fmt} redact=all | {redacted[0]:,.0f} rows/s, {redacted[1]:.1f} MB/s |"
                     f" {fmt} without redact {plain[0]:,.0f} rows/s, {plain[1]:.1f} MB/s |"
                     f" {redacted[0] / plain[0]:.2f} | 0.5 |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=("redaction",), default="redaction", help="(for bench/run.sh)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one run")
    args = parser.parse_args()
    n, runs = (20_000, 1) if args.quick else (args.rows, args.runs)
    if not bench.JAR.exists():
        bench.log("building the service")
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.log(f"loading {n:,} events into {bench.DB}")
    load(n)
    report = section(n, runs, measure(n, runs))
    print("\n" + report)
    results_file = bench.ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    previous = results_file.read_text() if results_file.exists() else "# Benchmark results\n"
    before, _, after = previous.partition("\n" + HEADING)
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    results_file.write_text(before.rstrip("\n") + "\n\n" + report + ("\n## " + rest if rest else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
