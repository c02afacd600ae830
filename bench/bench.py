#!/usr/bin/env python3
"""Benchmarks of the training data store against what PostgreSQL itself can do on this machine.

Needs only the project (it builds the jar if missing), PostgreSQL and Redis on localhost, psql,
redis-cli and curl. Uses its own database (training_bench) and streams (bench:*), so it never
touches the store's data. Prints a table and writes it to bench/RESULTS.md.

  bench/run.sh            full: 1,000,000 rows, each figure the median of 3 runs
  bench/run.sh --quick    smoke: 100,000 rows, one run, a few seconds per case
"""
import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "target" / "quarkus-app" / "quarkus-run.jar"
DB = "training_bench"
PORT = 18080
TOKEN = "bench-token"
STREAMS = {kind: f"bench:{kind}" for kind in ("events", "tasks", "tool_executions", "workflows", "messages")}
EVENT_COLUMNS = ["event_id", "event_type", "agent_id", "task_id", "workflow_id", "session_id", "payload",
                 "attributes", "occurred_at", "stream_entry_id"]


# ---------------------------------------------------------------- tools

def sh(*args, stdin=None, check=True, capture=True):
    result = subprocess.run(args, input=stdin, stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode() if capture else ""


def psql(sql, db=DB):
    return sh("psql", "-h", "localhost", "-U", "postgres", "-d", db, "-qtAX", "-v", "ON_ERROR_STOP=1",
              "-c", sql).strip()


def redis(*args):
    return sh("redis-cli", *map(str, args)).strip()


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def median(values):
    return statistics.median(values) if values else float("nan")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- data

def event(i, tag):
    payload = json.dumps({
        "tool": "code_search",
        "arguments": {"query": f"def handler_{i % 997}", "repo": "acme/platform", "max_results": 20},
        "result": {"status": "success", "matches": i % 17, "latency_ms": 12 + i % 300,
                   "files": [f"src/module_{i % 50}/handler.py", f"tests/test_{i % 40}.py"]},
        "tokens": {"prompt": 1200 + i % 500, "completion": 200 + i % 90},
    }, separators=(",", ":"))
    return {"event_type": "tool_call_completed", "agent_id": f"agent-{i % 64:04d}",
            "event_id": f"bench-{tag}-{i:08d}", "task_id": f"task-{tag}-{i // 10:07d}",
            "session_id": f"sess-{tag}-{i // 100:06d}", "payload": payload}


def write_event_files(n, tag, directory):
    """The same n events as XADD commands (for redis-cli --pipe) and as CSV rows (for COPY)."""
    resp_path = Path(directory) / f"events-{tag}.resp"
    csv_path = Path(directory) / f"events-{tag}.csv"
    base_ms = int(time.time() * 1000) - n
    with open(resp_path, "wb") as r, open(csv_path, "w") as c:
        for i in range(n):
            e = event(i, tag)
            r.write(resp("XADD", STREAMS["events"], "*", *[x for kv in e.items() for x in kv]))
            payload_csv = '"' + e["payload"].replace('"', '""') + '"'
            occurred = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((base_ms + i) / 1000)) + f".{(base_ms + i) % 1000:03d}Z"
            c.write(",".join([e["event_id"], e["event_type"], e["agent_id"], e["task_id"], "", e["session_id"],
                              payload_csv, "{}", occurred, f"{base_ms + i}-0"]) + "\n")
    return resp_path, csv_path


def write_task_file(n, ids, tag, directory):
    """n task updates over `ids` tasks, in random order, as XADD commands."""
    path = Path(directory) / f"tasks-{tag}.resp"
    statuses = ["queued", "running", "tool_call", "reviewing", "completed", "failed"]
    rng = random.Random(7)
    order = list(range(n))
    rng.shuffle(order)
    with open(path, "wb") as r:
        for j in order:
            task = j % ids
            step = j // ids
            fields = ["task_id", f"task-{tag}-{task:07d}", "agent_id", f"agent-{task % 64:04d}",
                      "status", statuses[min(step, len(statuses) - 1)], "task_type", "codegen",
                      "occurred_at", str(1_767_225_600_000 + task * 1000 + step),
                      "metadata", json.dumps({"step": step, "model": "m-1"}, separators=(",", ":"))]
            if step % 3 == 2:
                fields += ["output", json.dumps({"files": step, "summary": "x" * 120}, separators=(",", ":"))]
            r.write(resp("XADD", STREAMS["tasks"], "*", *fields))
    return path


def publish(path):
    sh("bash", "-c", f"redis-cli --pipe < '{path}' > /dev/null")


# ---------------------------------------------------------------- the service

class Service:
    def __init__(self, name, extra_env=None):
        self.name = name
        self.env = dict(os.environ)
        self.env.update({
            "QUARKUS_HTTP_PORT": str(PORT if name == "bench-1" else PORT + int(name.split("-")[1])),
            "QUARKUS_DATASOURCE_REACTIVE_URL": f"postgresql://localhost:5432/{DB}",
            "QUARKUS_DATASOURCE_JDBC_URL": f"jdbc:postgresql://localhost:5432/{DB}",
            "TRAINING_STORE_GROUP": "bench",
            "TRAINING_STORE_CONSUMER_NAME": name,
            "TRAINING_STORE_TOKENS": f"{TOKEN}:export+ingest",
            "TRAINING_STORE_STREAMS_DEAD_LETTER": "bench:dead-letter",
            "QUARKUS_LOG_CATEGORY__AI_TRAININGSTORE__LEVEL": "WARN",
        })
        for kind, key in STREAMS.items():
            self.env[f"TRAINING_STORE_STREAMS_{kind.upper()}"] = key
        self.env.update(extra_env or {})
        self.port = int(self.env["QUARKUS_HTTP_PORT"])
        self.process = None
        self.samples = []

    def start(self):
        log_file = open(ROOT / "target" / f"{self.name}.log", "w")
        self.process = subprocess.Popen(["java", "-Xmx512m", "-jar", str(JAR)], env=self.env, stdout=log_file,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.http_status("/q/health/ready") == 200:
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"service {self.name} exited; see target/{self.name}.log")
            time.sleep(0.2)
        raise RuntimeError(f"service {self.name} not ready in 60 s; see target/{self.name}.log")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def http_status(self, path):
        try:
            with urllib.request.urlopen(f"http://localhost:{self.port}{path}", timeout=2) as response:
                return response.status
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            return getattr(e, "code", -1)

    def memory(self):
        """(RSS MiB, heap used MiB, old generation used MiB) now; old gen is what the heap retains."""
        rss = 0
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
        heap = old = 0.0
        try:
            with urllib.request.urlopen(f"http://localhost:{self.port}/q/metrics", timeout=5) as response:
                for line in response.read().decode().splitlines():
                    if line.startswith("jvm_memory_used_bytes") and 'area="heap"' in line:
                        heap += float(line.rsplit(" ", 1)[1])
                        if "Old Gen" in line or "Tenured" in line:
                            old += float(line.rsplit(" ", 1)[1])
        except Exception:  # noqa: BLE001
            pass
        return rss, heap / 1024 / 1024, old / 1024 / 1024

    def live_heap(self):
        """Heap used (MiB) right after a full collection: what the service really holds."""
        sh("jcmd", str(self.process.pid), "GC.run")
        time.sleep(1)
        return self.memory()[1]

    @contextmanager
    def sampling(self, interval=0.5):
        """Samples memory in the background; yields the list of (rss, heap) samples."""
        samples, stop = [], threading.Event()

        def run():
            while not stop.is_set():
                try:
                    samples.append(self.memory())
                except Exception:  # noqa: BLE001
                    pass
                stop.wait(interval)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield samples
        finally:
            stop.set()
            thread.join()


@contextmanager
def services(count=1, extra_env=None):
    started = [Service(f"bench-{i + 1}", extra_env) for i in range(count)]
    try:
        for service in started:
            service.start()
        yield started
    finally:
        for service in started:
            service.stop()


# ---------------------------------------------------------------- set-up

def prepare_database():
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", db="postgres")
    if not exists:
        psql(f"CREATE DATABASE {DB}", db="postgres")
    if not psql("SELECT 1 FROM pg_namespace WHERE nspname = 'training_data'"):
        with services(1):
            pass  # Flyway creates the schema at start-up


def reset_streams():
    redis("DEL", *STREAMS.values(), "bench:dead-letter")


def truncate(table):
    psql(f"TRUNCATE training_data.{table}")


WAIT_SECONDS = 1800


def wait_rows(table, expected, timeout=None, where="true"):
    timeout = timeout or WAIT_SECONDS
    deadline = time.time() + timeout
    while time.time() < deadline:
        if int(psql(f"SELECT count(*) FROM training_data.{table} WHERE {where}")) >= expected:
            return
        time.sleep(0.25)
    raise RuntimeError(f"{table}: {expected} rows not reached in {timeout} s")


def ingest_seconds(table):
    """From the first batch's commit to the last one's (ingested_at is each batch's transaction time)."""
    return float(psql(f"SELECT extract(epoch FROM max(ingested_at) - min(ingested_at)) FROM training_data.{table}"))


# ---------------------------------------------------------------- cases

def copy_baseline(csv_path, n):
    """COPY of the same rows into a fresh table with the same indexes, as psql \\copy does it."""
    psql("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy;"
         " CREATE TABLE bench_copy.training_events (LIKE training_data.training_events INCLUDING ALL)")
    start = time.time()
    sh("psql", "-h", "localhost", "-U", "postgres", "-d", DB, "-qX", "-v", "ON_ERROR_STOP=1", "-c",
       f"\\copy bench_copy.training_events ({','.join(EVENT_COLUMNS)}) FROM '{csv_path}' WITH (FORMAT csv)")
    seconds = time.time() - start
    return n / seconds


def case_ingest(n, runs, tmp, consumers_list=(1,), extra_env=None):
    results = {}
    resp_path, csv_path = write_event_files(n, "e", tmp)
    copy_rates, memory = [], []
    for consumers in consumers_list:
        rates = []
        for run in range(runs):
            reset_streams()
            truncate("training_events")
            publish(resp_path)
            log(f"ingest: {n:,} events waiting; starting {consumers} consumer(s), run {run + 1}/{runs}")
            with services(consumers, extra_env) as started:
                with started[0].sampling() as samples:
                    wait_rows("training_events", n)
            rates.append(n / ingest_seconds("training_events"))
            memory.extend(samples)
            if consumers == consumers_list[0] and not extra_env:
                copy_rates.append(copy_baseline(csv_path, n))
            log(f"ingest: {rates[-1]:,.0f} rows/s ({consumers} instance(s), {extra_env or 'defaults'})"
                + (f"; COPY {copy_rates[-1]:,.0f} rows/s" if copy_rates else ""))
        results[consumers] = median(rates)
    os.remove(resp_path)
    return results, median(copy_rates), csv_path, memory


def case_merged(n, ids, runs, tmp, extra_env=None):
    path = write_task_file(n, ids, "t", tmp)
    rates = []
    for run in range(runs):
        reset_streams()
        truncate("training_tasks")
        publish(path)
        log(f"merged: {n:,} task updates over {ids:,} tasks waiting; run {run + 1}/{runs} ({extra_env or 'defaults'})")
        with services(1, extra_env):
            start = time.time()
            # Every update is folded in once the stream is fully delivered and acknowledged.
            deadline = start + 1800
            while time.time() < deadline:
                info = redis("XINFO", "GROUPS", STREAMS["tasks"]) + "\n"
                if re.search(r"\bpending\n0\n", info) and re.search(r"\blag\n0\n", info):
                    break
                time.sleep(0.1)
            seconds = time.time() - start
        assert int(psql("SELECT count(*) FROM training_data.training_tasks")) == ids
        rates.append(n / seconds)
        log(f"merged: {rates[-1]:,.0f} updates/s")
    os.remove(path)
    return median(rates)


def case_latency(rate, seconds):
    """Publishes at a steady rate from this process; latency = ingested_at - occurred_at (set at publish)."""
    reset_streams()
    truncate("training_events")
    with services(1):
        sock = socket.create_connection(("localhost", 6379))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = threading.Thread(target=drain, args=(sock,), daemon=True)
        reader.start()
        tick = 0.01
        per_tick = max(1, int(rate * tick))
        start = time.time()
        sent = 0
        while time.time() - start < seconds:
            batch = []
            now_ms = int(time.time() * 1000)
            for _ in range(per_tick):
                batch.append(resp("XADD", STREAMS["events"], "*", "event_type", "latency_probe",
                                  "agent_id", "agent-lat", "event_id", f"lat-{sent}", "occurred_at", str(now_ms),
                                  "payload", '{"probe":true}'))
                sent += 1
            sock.sendall(b"".join(batch))
            sleep = start + (sent / rate) - time.time()
            if sleep > 0:
                time.sleep(sleep)
        wait_rows("training_events", sent, where="event_type = 'latency_probe'")
        sock.close()
    row = psql("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP"
               " (ORDER BY ms), max(ms), count(*) FROM (SELECT extract(epoch FROM ingested_at - occurred_at) * 1000"
               " AS ms FROM training_data.training_events WHERE event_type = 'latency_probe') l")
    p50, p99, worst, count = (float(x) for x in row.split("|"))
    achieved = count / seconds
    log(f"latency: {count:,.0f} events at {achieved:,.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms")
    return p50, p99, worst, achieved


def drain(sock):
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def timed_download(url, headers=(), limit_rate=None):
    args = ["curl", "-fsS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"]
    for header in headers:
        args += ["-H", header]
    if limit_rate:
        args += ["--limit-rate", limit_rate]
    size, seconds = sh(*args, url).split()
    return int(size), float(seconds)


def case_export(n, runs):
    """Exports of the n events stored by the ingest case, against psql's own \\copy of the same rows."""
    results = {}
    select = ("SELECT event_type, agent_id, event_id, task_id, workflow_id, session_id, payload, attributes,"
              " occurred_at, ingested_at, stream_entry_id FROM training_data.training_events"
              " ORDER BY occurred_at, event_id")
    for name, copy_sql in (("csv", f"\\copy ({select}) TO STDOUT WITH (FORMAT csv, HEADER)"),
                           ("row_to_json", f"\\copy (SELECT row_to_json(e) FROM ({select}) e) TO STDOUT")):
        rates = []
        for _ in range(runs):
            start = time.time()
            out = sh("bash", "-c", f"psql -h localhost -U postgres -d {DB} -qX -c \"{copy_sql}\" | wc -c")
            seconds = time.time() - start
            rates.append((n / seconds, int(out) / seconds / 1e6))
        results[f"psql {name}"] = (median([r[0] for r in rates]), median([r[1] for r in rates]))
    memory = []
    with services(1) as started:
        base = f"http://localhost:{started[0].port}/api/v1/export/events"
        auth = f"Authorization: Bearer {TOKEN}"
        with started[0].sampling() as samples:
            for label, url, headers in (("API jsonl", base, [auth]),
                                        ("API csv", base + "?format=csv", [auth]),
                                        ("API jsonl gzip", base, [auth, "Accept-Encoding: gzip"]),
                                        ("API csv gzip", base + "?format=csv", [auth, "Accept-Encoding: gzip"])):
                rates = []
                for _ in range(runs):
                    size, seconds = timed_download(url, headers)
                    rates.append((n / seconds, size / seconds / 1e6))
                results[label] = (median([r[0] for r in rates]), median([r[1] for r in rates]))
                log(f"export {label}: {results[label][0]:,.0f} rows/s, {results[label][1]:.0f} MB/s")
        memory.extend(samples)
    return results, memory


def case_throttled_export(seconds, rate="1M"):
    """A client reading at 1 MB/s: the heap must stay flat (backpressure to the cursor)."""
    with services(1) as started:
        service = started[0]
        time.sleep(3)
        idle_live = service.live_heap()
        url = f"http://localhost:{service.port}/api/v1/export/events"
        client = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "--limit-rate", rate, "-H",
                                   f"Authorization: Bearer {TOKEN}", url])
        with service.sampling(1.0) as samples:
            time.sleep(seconds)
        # What the heap holds while the export is still running, garbage collected first.
        exporting_live = service.live_heap()
        still_running = client.poll() is None
        client.terminate()
        client.wait()
        return idle_live, exporting_live, max(s[1] for s in samples), max(s[0] for s in samples), still_running


# ---------------------------------------------------------------- report

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = os.cpu_count()
    mem = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    pg = psql("SHOW server_version", db="postgres")
    return f"{cpu}, {cores} cores, {mem} GiB; PostgreSQL {pg}; {redis('INFO', 'server').splitlines()[1]}; {platform.python_version()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 rows, one run: a smoke test")
    parser.add_argument("--resp-events", nargs=3, metavar=("N", "STREAM", "TAG"),
                        help="only write N XADD commands for STREAM to stdout (for redis-cli --pipe)")
    args = parser.parse_args()
    if args.resp_events:
        count, stream, tag = int(args.resp_events[0]), args.resp_events[1], args.resp_events[2]
        for i in range(count):
            sys.stdout.buffer.write(resp("XADD", stream, "*", *[x for kv in event(i, tag).items() for x in kv]))
        return 0
    global WAIT_SECONDS
    WAIT_SECONDS = 300 if args.quick else 1800
    n = 100_000 if args.quick else 1_000_000
    runs = 1 if args.quick else 3
    if not JAR.exists():
        log("building the service")
        sh(str(ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    prepare_database()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ingest, copy_rate, _, ingest_memory = case_ingest(n, runs, tmp, consumers_list=(1,) if args.quick else (1, 2))
        rows.append(("1. ingest events (defaults: 1 instance, 2 consumers per stream)", f"{ingest[1]:,.0f} rows/s",
                     f"COPY {copy_rate:,.0f} rows/s", f"{ingest[1] / copy_rate:.2f}", "0.5"))
        single = {"TRAINING_STORE_BATCH_CONSUMERS_PER_STREAM": "1"}
        if 2 in ingest:
            rows.append(("6. ingest events, 2 instances (2 consumers per stream each)", f"{ingest[2]:,.0f} rows/s",
                         f"COPY {copy_rate:,.0f} rows/s", f"{ingest[2] / copy_rate:.2f}", "-"))
        if not args.quick:
            alone, _, _, _ = case_ingest(n, runs, tmp, extra_env=single)
            rows.append(("6. ingest events, 1 instance, 1 consumer per stream", f"{alone[1]:,.0f} rows/s",
                         f"COPY {copy_rate:,.0f} rows/s", f"{alone[1] / copy_rate:.2f}", "-"))
        merged = case_merged(n, n // 10, runs, tmp)
        rows.append(("2. ingest task updates (merge; defaults)", f"{merged:,.0f} updates/s",
                     f"COPY {copy_rate:,.0f} rows/s", f"{merged / copy_rate:.2f}", "-"))
        if not args.quick:
            merged1 = case_merged(n, n // 10, runs, tmp, single)
            rows.append(("2. ingest task updates, 1 consumer per stream", f"{merged1:,.0f} updates/s",
                         f"COPY {copy_rate:,.0f} rows/s", f"{merged1 / copy_rate:.2f}", "-"))
        # The latency case stores extra rows; export reads what case 1 left, so run it first.
        exports, export_memory = case_export(n, runs)
        for label in ("API jsonl", "API csv", "API jsonl gzip", "API csv gzip"):
            base = exports["psql csv"] if "csv" in label else exports["psql row_to_json"]
            rows.append((f"4. export {label[4:]}", f"{exports[label][0]:,.0f} rows/s, {exports[label][1]:.0f} MB/s",
                         f"psql {'csv' if 'csv' in label else 'row_to_json'} {base[0]:,.0f} rows/s, {base[1]:.0f} MB/s",
                         f"{exports[label][0] / base[0]:.2f}", "0.7" if "gzip" not in label else "-"))
        idle_live, exporting_live, throttled_peak, throttled_rss, running = case_throttled_export(
            15 if args.quick else 60)
        p50, p99, worst, achieved = case_latency(5000, 10 if args.quick else 60)
        rows.append(("3. latency at 5,000/s", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.0f} ms",
                     f"{achieved:,.0f} records/s achieved", "-", "p99 < 100 ms"))
        peak = lambda samples, i: max((s[i] for s in samples), default=0)  # noqa: E731
        rows.append(("5. memory, ingest (case 1)", f"peak RSS {peak(ingest_memory, 0):.0f} MiB, heap {peak(ingest_memory, 1):.0f} MiB",
                     "-Xmx512m", "-", "-"))
        rows.append(("5. memory, export (case 4)", f"peak RSS {peak(export_memory, 0):.0f} MiB, heap {peak(export_memory, 1):.0f} MiB",
                     "-Xmx512m", "-", "-"))
        rows.append(("5. memory, export read at 1 MB/s",
                     f"live heap {exporting_live:.0f} MiB after GC (idle {idle_live:.0f}); heap used peak"
                     f" {throttled_peak:.0f} MiB; RSS {throttled_rss:.0f} MiB{'' if running else ' (export ended early)'}",
                     f"growth {exporting_live - idle_live:.0f} MiB", "-", "< 64 MiB growth"))
    table = ["| case | store | reference (same run) | ratio | target |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    header = (f"# Benchmark results\n\n{'Quick run (100,000 rows, one run)' if args.quick else 'Full run: 1,000,000 rows, median of 3 runs'},"
              f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if args.quick else ''}`.\n\n"
              f"Machine: {machine()}.\n\n")
    report = header + "\n".join(table) + "\n"
    print("\n" + report)
    (ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md")).write_text(report)
    reset_streams()


if __name__ == "__main__":
    sys.exit(main())
