#!/usr/bin/env python3
"""Benchmarks of retention, archives and analytics (docs/lifecycle.md).

Reuses bench/bench.py's helpers (the service runner, psql, RESP) with its own database
(lifecycle_bench), streams (lc-bench:*) and port, so it never touches another benchmark's data.

  bench/run.sh --case lifecycle            1,000,000 expired events; analytics over 30 days of
                                           1,000,000 events, 100,000 tasks, 100,000 tool executions
  bench/run.sh --quick --case lifecycle    20,000 / 20,000 / 2,000 / 2,000: a smoke test

Cases:
  retention     the service deletes (and archives) N expired events while latency probes are
                published at 5,000/s: delete rows/s, probe p99 publish-to-store during the run
                against the same probes without it;
  partitioning  native range partitioning by day against batched deletes, on N events in psql
                (pgbench inserting 5,000 rows/s meanwhile): delete rows/s, insert p99, identity;
  analytics     each view through GET /api/v1/analytics/{view} over 30 days: median and p95.
Writes its section ("## Retention and analytics") into bench/RESULTS.md (RESULTS-quick.md with
--quick), keeping the rest of the file.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench as b  # noqa: E402

DB = "lifecycle_bench"
PORT = 18480
b.DB = DB
b.STREAMS = {kind: f"lc-bench:{kind}" for kind in b.STREAMS}
SECTION = "## Retention and analytics"
VIEWS = ("agent_daily", "tool_daily", "task_outcomes_daily", "feedback_daily")


def psql(sql):
    return b.psql(sql, db=DB)


def env(extra=None):
    settings = {"QUARKUS_HTTP_PORT": str(PORT), "TRAINING_STORE_STREAMS_DEAD_LETTER": "lc-bench:dead-letter",
                "TRAINING_STORE_GROUP": "lc-bench"}
    settings.update(extra or {})
    return settings


def prepare_database():
    if not b.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", db="postgres"):
        b.psql(f"CREATE DATABASE {DB}", db="postgres")
    with b.services(1, env()):
        pass  # Flyway brings the schema up to date at start-up


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# ---------------------------------------------------------------- retention through the service

EVENT_PAYLOAD = ("jsonb_build_object('tool', 'code_search', 'arguments', jsonb_build_object('query', 'def handler_'"
                 " || (i % 997), 'repo', 'acme/platform', 'max_results', 20), 'result', jsonb_build_object("
                 "'status', 'success', 'matches', i % 17, 'latency_ms', 12 + i % 300, 'files', jsonb_build_array("
                 "'src/module_' || (i % 50) || '/handler.py', 'tests/test_' || (i % 40) || '.py')), 'tokens',"
                 " jsonb_build_object('prompt', 1200 + i % 500, 'completion', 200 + i % 90))")


def insert_events(table, n, first, seconds, prefix="old"):
    """n events of bench.py's shape, spread evenly over `seconds` from the SQL instant `first`."""
    psql(f"INSERT INTO {table} (event_id, event_type, agent_id, task_id, session_id, payload, attributes,"
         f" occurred_at, stream_entry_id)"
         f" SELECT '{prefix}-' || lpad(i::text, 8, '0'), 'tool_call_completed', 'agent-' || lpad((i % 64)::text, 4, '0'),"
         f" 'task-' || (i / 10), 'sess-' || (i / 100), {EVENT_PAYLOAD}, '{{}}',"
         f" {first} + (i * {seconds}::double precision / {n}) * interval '1 second', (1000000 + i) || '-0'"
         f" FROM generate_series(0, {n} - 1) AS i")


class Probes:
    """Publishes latency probes at a steady rate; each carries its phase in its id."""

    def __init__(self, rate):
        self.rate = rate
        self.phase = "idle"
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        sock = socket.create_connection(("localhost", 6379))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=b.drain, args=(sock,), daemon=True).start()
        per_tick = max(1, int(self.rate * 0.01))
        start = time.time()
        while not self.stop.is_set():
            now_ms = int(time.time() * 1000)
            batch = []
            for _ in range(per_tick):
                batch.append(b.resp("XADD", b.STREAMS["events"], "*", "event_type", "latency_probe",
                                    "agent_id", "agent-lat", "event_id", f"lat-{self.phase}-{self.sent}",
                                    "occurred_at", str(now_ms), "payload", '{"probe":true}'))
                self.sent += 1
            sock.sendall(b"".join(batch))
            pause = start + self.sent / self.rate - time.time()
            if pause > 0:
                time.sleep(pause)
        sock.close()

    def latency(self, phase):
        row = psql("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP"
                   " (ORDER BY ms), max(ms), count(*) FROM (SELECT extract(epoch FROM ingested_at - occurred_at) * 1000"
                   f" AS ms FROM training_data.training_events WHERE event_id LIKE 'lat-{phase}-%') l")
        return tuple(float(x or "nan") for x in row.split("|"))


def post(path, timeout):
    request = urllib.request.Request(f"http://localhost:{PORT}{path}", method="POST", data=b"",
                                     headers={"Authorization": f"Bearer {b.TOKEN}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def case_retention(n, probe_seconds, archive):
    """The service deletes n expired events (archiving them) while probes arrive at 5,000/s."""
    b.redis("DEL", *b.STREAMS.values(), "lc-bench:dead-letter")
    psql("TRUNCATE training_data.training_events")
    insert_events("training_data.training_events", n, "now() - interval '400 days'", 86400 * 30)
    psql("VACUUM ANALYZE training_data.training_events")
    settings = {"TRAINING_STORE_RETENTION_EVENTS": "90d", "TRAINING_STORE_RETENTION_SCHEDULED": "false",
                "TRAINING_STORE_RETENTION_BATCH_PAUSE": os.environ.get("RETENTION_BATCH_PAUSE", "100ms")}
    if archive:
        settings["TRAINING_STORE_RETENTION_ARCHIVE_DIR"] = archive
    with b.services(1, env(settings)):
        probes = Probes(5000)
        probes.phase = "warmup"  # a JVM just started is slower: not counted
        probes.thread.start()
        time.sleep(probe_seconds / 2)
        probes.phase = "idle"
        time.sleep(probe_seconds)
        probes.phase = "retention"
        start = time.time()
        report = post("/api/v1/retention/run", timeout=3600)
        seconds = time.time() - start
        probes.stop.set()
        probes.thread.join()
        deadline = time.time() + 300
        while int(psql("SELECT count(*) FROM training_data.training_events WHERE event_type = 'latency_probe'")) < probes.sent:
            if time.time() > deadline:
                raise RuntimeError("probes not all stored in 300 s")
            time.sleep(0.25)
    events = report["kinds"]["events"]
    left = int(psql("SELECT count(*) FROM training_data.training_events WHERE event_id LIKE 'old-%'"))
    if events["deleted"] != n or left != 0:
        raise RuntimeError(f"retention deleted {events['deleted']} of {n}; {left} left")
    idle, during = probes.latency("idle"), probes.latency("retention")
    result = {"rows": n, "seconds": seconds, "rate": n / seconds, "files": len(events["files"]),
              "pause": settings["TRAINING_STORE_RETENTION_BATCH_PAUSE"],
              "archived": events["archived"], "idle": idle, "during": during}
    b.log(f"retention: {n:,} rows in {seconds:.1f} s = {n / seconds:,.0f} rows/s, {result['files']} files;"
          f" probe p99 {idle[1]:.1f} ms idle, {during[1]:.1f} ms during ({during[3]:,.0f} probes)")
    return result


# ---------------------------------------------------------------- partitioning against batched deletes

INSERT_SCRIPT = """\\set r random(1, 1000000000)
INSERT INTO part_bench.{table} (event_id, event_type, agent_id, payload, occurred_at, stream_entry_id)
SELECT 'pgb-' || :client_id || '-' || :r || '-' || g, 'probe', 'agent-lat', '{{"probe":true}}', now(), '0-0'
FROM generate_series(1, 50) AS g ON CONFLICT DO NOTHING;
"""


def pgbench(table, seconds, log_dir):
    """pgbench inserting 50-row transactions at 100/s (5,000 rows/s) for `seconds`; returns the process."""
    script = Path(log_dir) / f"insert-{table}.sql"
    script.write_text(INSERT_SCRIPT.format(table=table))
    for old in Path(log_dir).glob(f"{table}.log*"):
        old.unlink()
    return subprocess.Popen(["pgbench", "-h", "localhost", "-U", "postgres", "-n", "-c", "2", "-R", "100", "-T",
                             str(seconds), "-l", "--log-prefix", str(Path(log_dir) / table), "-f", str(script), DB],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pgbench_latencies(table, log_dir, since, until):
    """Latencies (ms) of the transactions that ended within [since, until], from pgbench's log."""
    values = []
    for path in Path(log_dir).glob(f"{table}.*"):
        if path.suffix == ".sql":
            continue
        for line in path.read_text().split("\n"):
            parts = line.split()
            if len(parts) >= 6:
                ended = int(parts[4]) + int(parts[5]) / 1e6
                if since <= ended <= until:
                    values.append(int(parts[2]) / 1000)
    return values


def case_partitioning(n, log_dir, baseline_seconds):
    days = 20
    psql("DROP SCHEMA IF EXISTS part_bench CASCADE; CREATE SCHEMA part_bench")
    psql("CREATE TABLE part_bench.plain (LIKE training_data.training_events INCLUDING ALL)")
    psql("CREATE TABLE part_bench.parted (LIKE training_data.training_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
         " PARTITION BY RANGE (occurred_at)")
    # The identity rule's price: the primary key must include the partition key.
    psql("ALTER TABLE part_bench.parted ADD PRIMARY KEY (event_id, occurred_at)")
    psql("CREATE INDEX ON part_bench.parted (occurred_at, event_id); CREATE INDEX ON part_bench.parted (agent_id, occurred_at)")
    for day in range(-days, 3):
        psql(f"CREATE TABLE part_bench.parted_{day + days:02d} PARTITION OF part_bench.parted FOR VALUES FROM"
             f" (date_trunc('day', now()) + interval '{day} days') TO (date_trunc('day', now()) + interval '{day + 1} days')")
    first = f"date_trunc('day', now()) - interval '{days} days'"
    start = time.time()
    insert_events("part_bench.plain", n, first, 86400 * days)
    plain_load = time.time() - start
    start = time.time()
    insert_events("part_bench.parted", n, first, 86400 * days)
    parted_load = time.time() - start
    psql("VACUUM ANALYZE part_bench.plain")
    psql("VACUUM ANALYZE part_bench.parted")
    b.log(f"partitioning: loaded {n:,} rows: plain {n / plain_load:,.0f} rows/s, partitioned {n / parted_load:,.0f} rows/s")
    expired_days = days // 2
    cutoff = f"date_trunc('day', now()) - interval '{days - expired_days} days'"
    expired = int(psql(f"SELECT count(*) FROM part_bench.plain WHERE occurred_at < {cutoff}"))
    psql("""CREATE PROCEDURE part_bench.delete_batches(cutoff timestamptz, batch int) LANGUAGE plpgsql AS $$
        DECLARE deleted int;
        BEGIN
          LOOP
            DELETE FROM part_bench.plain WHERE event_id IN (SELECT event_id FROM part_bench.plain
              WHERE occurred_at < cutoff ORDER BY occurred_at, event_id LIMIT batch FOR UPDATE);
            GET DIAGNOSTICS deleted = ROW_COUNT;
            COMMIT;
            EXIT WHEN deleted < batch;
          END LOOP;
        END $$""")
    results = {"rows": n, "expired": expired}
    for table in ("plain", "parted"):
        load = pgbench(table, baseline_seconds, log_dir)
        load.wait()
        baseline = pgbench_latencies(table, log_dir, 0, time.time() + 1)
        load = pgbench(table, 600, log_dir)
        time.sleep(3)
        start = time.time()
        if table == "plain":
            psql(f"CALL part_bench.delete_batches({cutoff}, 5000)")
        else:
            for day in range(expired_days):
                psql(f"ALTER TABLE part_bench.parted DETACH PARTITION part_bench.parted_{day:02d} CONCURRENTLY")
                psql(f"DROP TABLE part_bench.parted_{day:02d}")
        end = time.time()
        time.sleep(2)
        load.terminate()
        load.wait()
        during = pgbench_latencies(table, log_dir, start, end + 0.5)
        left = int(psql(f"SELECT count(*) FROM part_bench.{table} WHERE occurred_at < {cutoff}"))
        if left:
            raise RuntimeError(f"{table}: {left} expired rows left")
        results[table] = {"seconds": end - start, "rate": expired / (end - start),
                          "p99_idle": percentile(baseline, 0.99), "p99_during": percentile(during, 0.99),
                          "inserts_during": len(during)}
        b.log(f"partitioning: {table}: {expired:,} rows in {end - start:.2f} s = {expired / (end - start):,.0f} rows/s;"
              f" insert p99 {percentile(baseline, 0.99):.1f} ms idle, {percentile(during, 0.99):.1f} ms during")
    # What it costs the identity rule: the same event_id at another occurred_at is a second row.
    psql("INSERT INTO part_bench.plain (event_id, event_type, agent_id, occurred_at, stream_entry_id) VALUES"
         " ('dup', 't', 'a', now(), '1-0'), ('dup', 't', 'a', now() - interval '1 hour', '2-0') ON CONFLICT DO NOTHING")
    psql("INSERT INTO part_bench.parted (event_id, event_type, agent_id, occurred_at, stream_entry_id) VALUES"
         " ('dup', 't', 'a', now(), '1-0'), ('dup', 't', 'a', now() - interval '1 hour', '2-0') ON CONFLICT DO NOTHING")
    results["duplicates"] = {table: int(psql(f"SELECT count(*) FROM part_bench.{table} WHERE event_id = 'dup'"))
                             for table in ("plain", "parted")}
    psql("DROP SCHEMA part_bench CASCADE")
    return results


# ---------------------------------------------------------------- analytics

def load_analytics(events, tasks, executions):
    """30 days (to now) of events, tasks and tool executions, straight into the tables."""
    for table in ("training_events", "training_tasks", "training_tool_executions", "training_messages",
                  "training_feedback"):
        psql(f"TRUNCATE training_data.{table} CASCADE")  # CASCADE: search_vectors references messages
    insert_events("training_data.training_events", events, "now() - interval '30 days'", 86400 * 30, prefix="an")
    psql("INSERT INTO training_data.training_tasks (task_id, agent_id, status, task_type, attributes, occurred_at,"
         " first_occurred_at, stream_entry_id, version, field_versions)"
         " SELECT 'task-' || i, 'agent-' || lpad((i % 64)::text, 4, '0'),"
         " (ARRAY['completed', 'completed', 'completed', 'failed', 'running'])[1 + i % 5],"
         " (ARRAY['codegen', 'review', 'search', 'plan', 'test', 'deploy'])[1 + i % 6], '{}',"
         f" now() - interval '30 days' + (i * 2592000.0 / {tasks}) * interval '1 second',"
         f" now() - interval '30 days' + (i * 2592000.0 / {tasks}) * interval '1 second', i || '-0', lpad(i::text, 53, '0'),"
         f" '{{}}' FROM generate_series(0, {tasks} - 1) AS i")
    psql("INSERT INTO training_data.training_tool_executions (execution_id, agent_id, tool_name, status, error,"
         " duration_ms, attributes, occurred_at, first_occurred_at, stream_entry_id, version, field_versions)"
         " SELECT 'exec-' || i, 'agent-' || lpad((i % 64)::text, 4, '0'), 'tool-' || (i % 50),"
         " CASE WHEN i % 20 = 0 THEN 'error' ELSE 'success' END, CASE WHEN i % 33 = 0 THEN 'timeout' END,"
         " (hashint4(i) & 4095), '{}',"
         f" now() - interval '30 days' + (i * 2592000.0 / {executions}) * interval '1 second',"
         f" now() - interval '30 days' + (i * 2592000.0 / {executions}) * interval '1 second', i || '-0',"
         f" lpad(i::text, 53, '0'), '{{}}' FROM generate_series(0, {executions} - 1) AS i")
    for table in ("training_events", "training_tasks", "training_tool_executions"):
        psql(f"VACUUM ANALYZE training_data.{table}")


def case_analytics(events, tasks, executions, requests):
    load_analytics(events, tasks, executions)
    frm = psql("SELECT (now() AT TIME ZONE 'UTC')::date - 30")
    to = psql("SELECT (now() AT TIME ZONE 'UTC')::date + 1")
    results = {}
    with b.services(1, env()):
        for view in VIEWS:
            url = f"http://localhost:{PORT}/api/v1/analytics/{view}?from={frm}&to={to}"
            b.timed_api(url, headers=(f"Authorization: Bearer {b.TOKEN}",))  # warm-up
            times, size = [], 0
            for _ in range(requests):
                size, seconds = b.timed_api(url, headers=(f"Authorization: Bearer {b.TOKEN}",))
                times.append(seconds * 1000)
            rows = len(json.loads(urllib.request.urlopen(urllib.request.Request(
                url, headers={"Authorization": f"Bearer {b.TOKEN}"})).read()))
            results[view] = {"median": statistics.median(times), "p95": percentile(times, 0.95), "rows": rows,
                             "bytes": size}
            b.log(f"analytics: {view}: median {results[view]['median']:.0f} ms, p95 {results[view]['p95']:.0f} ms,"
                  f" {rows} rows")
    return results


# ---------------------------------------------------------------- report

def section(quick, sizes, retention, partitioning, analytics):
    n, events, tasks, executions = sizes
    r, p = retention, partitioning
    lines = [SECTION, "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if quick else ''} --case"
             f" lifecycle` (bench/lifecycle.py). Machine: {b.machine()}. Shared with other work while it ran:"
             " figures are lower bounds.", "",
             "| case | figure | target |", "|---|---|---|",
             f"| retention: delete {n:,} expired events, archive on (batches of 5,000, {r.get('pause', '0s')} pause,"
             f" gzip JSONL, fsync) |"
             f" {r['rate']:,.0f} rows/s ({r['seconds']:.1f} s, {r['files']} files) | - |",
             f"| ingest p99 publish-to-store at 5,000/s, without retention | p50 {r['idle'][0]:.1f} ms, p99"
             f" {r['idle'][1]:.1f} ms ({r['idle'][3]:,.0f} probes) | p99 < 100 ms |",
             f"| ingest p99 publish-to-store at 5,000/s, during retention | p50 {r['during'][0]:.1f} ms, p99"
             f" {r['during'][1]:.1f} ms, max {r['during'][2]:.0f} ms ({r['during'][3]:,.0f} probes) | p99 < 100 ms |",
    ]
    if p is None:
        lines.append("| partitioning | not measured: pgbench is not installed | - |")
    else:
        lines += [
             f"| batched DELETE (5,000 a transaction) of {p['expired']:,} of {p['rows']:,} events, psql |"
             f" {p['plain']['rate']:,.0f} rows/s; insert p99 {p['plain']['p99_idle']:.1f} ms idle,"
             f" {p['plain']['p99_during']:.1f} ms during | - |",
             f"| daily partitions: DETACH CONCURRENTLY + DROP of the same rows |"
             f" {p['parted']['rate']:,.0f} rows/s; insert p99 {p['parted']['p99_idle']:.1f} ms idle,"
             f" {p['parted']['p99_during']:.1f} ms during | - |",
             f"| same event_id at two occurred_at, ON CONFLICT DO NOTHING | plain table {p['duplicates']['plain']} row,"
             f" partitioned {p['duplicates']['parted']} rows | 1 |"]
    for view in VIEWS:
        a = analytics[view]
        lines.append(f"| `GET /api/v1/analytics/{view}`, 30 days of {events:,} events, {tasks:,} tasks, {executions:,}"
                     f" tool executions | median {a['median']:.0f} ms, p95 {a['p95']:.0f} ms ({a['rows']:,} rows) | < 1 s |")
    return "\n".join(lines) + "\n"


def write_section(results_file, text):
    previous = results_file.read_text() if results_file.exists() else "# Benchmark results\n"
    if SECTION in previous:
        before, after = previous.split(SECTION, 1)
        rest = after.split("\n## ", 1)
        previous = before.rstrip("\n") + ("\n\n## " + rest[1] if len(rest) > 1 else "")
    results_file.write_text(previous.rstrip("\n") + "\n\n" + text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", choices=("retention", "partitioning", "analytics"),
                        help="run one case; the others' figures come from the last run (target/lifecycle-*.json)")
    args = parser.parse_args()
    if args.quick:
        n, sizes, probe_seconds, requests = 20_000, (20_000, 2_000, 2_000), 5, 5
    else:
        n, sizes, probe_seconds, requests = 1_000_000, (1_000_000, 100_000, 100_000), 20, 20
    if not b.JAR.exists():
        b.log("building the service")
        b.sh(str(b.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    prepare_database()
    cache = b.ROOT / "target" / f"lifecycle-{'quick' if args.quick else 'full'}.json"
    results = json.loads(cache.read_text()) if args.only and cache.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "retention"):
            archive = str(Path(tmp) / "archive")
            results["retention"] = case_retention(n, probe_seconds, archive)
            shutil.rmtree(archive, ignore_errors=True)
        if args.only in (None, "partitioning"):
            results["partitioning"] = (case_partitioning(n, tmp, 3 if args.quick else 10)
                                       if shutil.which("pgbench") else None)
    if args.only in (None, "analytics"):
        results["analytics"] = case_analytics(*sizes, requests)
    cache.write_text(json.dumps(results))
    if any(case not in results for case in ("retention", "partitioning", "analytics")):
        b.log(f"figures of the other cases are missing ({cache}): run without --only first")
        return 1
    text = section(args.quick, (n, *sizes), results["retention"], results["partitioning"], results["analytics"])
    print("\n" + text)
    write_section(b.ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md"), text)
    b.redis("DEL", *b.STREAMS.values(), "lc-bench:dead-letter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
