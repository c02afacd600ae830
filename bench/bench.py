#!/usr/bin/env python3
"""Benchmarks of the training data store against what PostgreSQL itself can do on this machine.

Needs only the project (it builds the jar if missing), PostgreSQL and Redis on localhost, psql,
redis-cli and curl. Uses its own database (training_bench) and streams (bench:*), so it never
touches the store's data. Prints a table and writes it to bench/RESULTS.md.

  bench/run.sh            full: 1,000,000 rows, each figure the median of 3 runs
  bench/run.sh --quick    smoke: 20,000 rows, one run, a few seconds per case

Both modes end with the conversations dataset case (100,000 conversations of 10 messages, 1,000,000
messages; --quick 5,000), loaded straight into PostgreSQL. `--case datasets` runs only that case and
replaces the "Datasets" section of the results file, keeping the rest. `--case ingest` runs only the
events ingest and latency, by the COPY path and by the statement path (training-store.store.copy),
and replaces its own section, "Ingest paths".
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
# BENCH_DB / BENCH_PORT let two benchmarks run side by side on one machine: another database also
# means other stream keys and another consumer group (BENCH_PREFIX), so neither reads the other's entries.
DB = os.environ.get("BENCH_DB", "training_bench")
PORT = int(os.environ.get("BENCH_PORT", "18080"))
PREFIX = os.environ.get("BENCH_PREFIX", "bench" if DB == "training_bench" else DB)
TOKEN = "bench-token"
STREAMS = {kind: f"{PREFIX}:{kind}" for kind in ("events", "tasks", "tool_executions", "workflows", "messages", "feedback")}
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
            "TRAINING_STORE_GROUP": PREFIX,
            "TRAINING_STORE_CONSUMER_NAME": name,
            "TRAINING_STORE_TOKENS": f"{TOKEN}:export+ingest+admin",
            "TRAINING_STORE_STREAMS_DEAD_LETTER": f"{PREFIX}:dead-letter",
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
        # BENCH_JAR in the service's environment runs another build (e.g. the one before a change).
        jar = self.env.get("BENCH_JAR", str(JAR))
        self.process = subprocess.Popen(["java", "-Xmx512m", "-jar", jar], env=self.env, stdout=log_file,
                                        stderr=subprocess.STDOUT)
        # BENCH_START_SECONDS: a loaded machine can take longer than a minute to start the service.
        deadline = time.time() + int(os.environ.get("BENCH_START_SECONDS", "60"))
        while time.time() < deadline:
            if self.http_status("/q/health/ready") == 200:
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"service {self.name} exited; see target/{self.name}.log")
            time.sleep(0.2)
        raise RuntimeError(f"service {self.name} not ready in time; see target/{self.name}.log")

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
    redis("DEL", *STREAMS.values(), f"{PREFIX}:dead-letter")


def truncate(table):
    psql(f"TRUNCATE training_data.{table} CASCADE")  # CASCADE: search_vectors references messages


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
    """COPY of the same rows into a fresh table of the same shape, as psql \\copy does it: the same
    indexes and the same statement trigger that counts events for agent_daily (migration V7)."""
    psql("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy;"
         " CREATE TABLE bench_copy.training_events (LIKE training_data.training_events INCLUDING ALL);"
         " CREATE TRIGGER events_counted_in AFTER INSERT ON bench_copy.training_events"
         " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
         " EXECUTE FUNCTION training_data.count_agent_days('events')")
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


def case_latency(rate, seconds, extra_env=None, live_heap=None):
    """Publishes at a steady rate from this process; latency = ingested_at - occurred_at (set at publish).

    With a `live_heap` list, appends the service's live heap (MiB after a full GC) idle before
    publishing and once everything is stored: whether the heap stays flat under steady load."""
    reset_streams()
    truncate("training_events")
    with services(1, extra_env) as started:
        if live_heap is not None:
            live_heap.append(started[0].live_heap())
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
        if live_heap is not None:
            live_heap.append(started[0].live_heap())
    row = psql("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP"
               " (ORDER BY ms), max(ms), count(*) FROM (SELECT extract(epoch FROM ingested_at - occurred_at) * 1000"
               " AS ms FROM training_data.training_events WHERE event_type = 'latency_probe') l")
    p50, p99, worst, count = (float(x) for x in row.split("|"))
    achieved = count / seconds
    log(f"latency: {count:,.0f} events at {achieved:,.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms")
    return p50, p99, worst, achieved


# training-store.store.copy: insert-once kinds by binary COPY (default) or by INSERT ... ON CONFLICT.
WRITE_PATHS = {"statement": {"TRAINING_STORE_STORE_COPY": "false"}, "copy": {"TRAINING_STORE_STORE_COPY": "true"}}
# BENCH_BEFORE_JAR=<quarkus-run.jar of another build> adds its COPY path, "copy-before", to the same runs:
# before and after a change, interleaved on the same machine. BENCH_INGEST_PATHS=copy,copy-before picks paths.
if os.environ.get("BENCH_BEFORE_JAR"):
    WRITE_PATHS["copy-before"] = {"TRAINING_STORE_STORE_COPY": "true", "BENCH_JAR": os.environ["BENCH_BEFORE_JAR"]}
if os.environ.get("BENCH_INGEST_PATHS"):
    WRITE_PATHS = {path: WRITE_PATHS[path] for path in os.environ["BENCH_INGEST_PATHS"].split(",")}


def case_ingest_paths(n, runs, tmp, latency_seconds):
    """--case ingest: events ingested by the COPY path and by the statement path, and psql's COPY of
    the same rows, runs interleaved so that both paths meet the same machine; then latency at
    5,000/s and the live heap before and after it, per path."""
    resp_path, csv_path = write_event_files(n, "e", tmp)
    rates = {path: [] for path in WRITE_PATHS}
    copy_rates, peak_heap, loads = [], {path: 0.0 for path in WRITE_PATHS}, []
    cpu = {path: [] for path in WRITE_PATHS}
    for run in range(runs):
        for path, env in WRITE_PATHS.items():
            reset_streams()
            truncate("training_events")
            publish(resp_path)
            log(f"ingest paths: {n:,} events waiting; {path} path, run {run + 1}/{runs}")
            with services(1, env) as started:
                with started[0].sampling() as samples:
                    wait_rows("training_events", n)
                cpu[path].append(cpu_seconds(started[0]) * 1e6 / n)
            rates[path].append(n / ingest_seconds("training_events"))
            peak_heap[path] = max([peak_heap[path]] + [sample[1] for sample in samples])
            loads.append(os.getloadavg()[0])
            log(f"ingest paths: {path} {rates[path][-1]:,.0f} rows/s (load average {loads[-1]:.1f})")
        copy_rates.append(copy_baseline(csv_path, n))
        log(f"ingest paths: psql COPY {copy_rates[-1]:,.0f} rows/s")
    os.remove(resp_path)
    latency = {}
    for path, env in WRITE_PATHS.items():
        heap = []
        latency[path] = case_latency(5000, latency_seconds, env, heap) + tuple(heap)
    return ({path: median(rates[path]) for path in WRITE_PATHS}, rates, median(copy_rates), copy_rates, latency,
            peak_heap, loads, {path: median(cpu[path]) for path in WRITE_PATHS})


def cpu_seconds(service):
    """CPU seconds (user + system) used so far by the service's JVM and by the PostgreSQL backends of
    its connections: what a row costs the machine, whatever else shares the cores (unlike rows/s)."""
    pids = [service.process.pid] + [int(pid) for pid in psql(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'").split()]
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass  # a backend that ended meanwhile
    return total


def ingest_paths_section(results, n, runs, quick):
    rates, all_rates, copy_rate, copy_rates, latency, peak_heap, loads, cpu = results
    lines = [f"## Ingest paths: binary COPY against INSERT ... ON CONFLICT (`--case ingest`)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if quick else ''}"
             f" --case ingest`. Machine: {machine()}.", "",
             f"{n:,} events published before the service starts (1 instance, defaults: 2 consumers per stream,"
             f" batches of 1,000), {'median of ' + str(runs) + ' runs' if runs > 1 else 'one run'}, the paths and"
             " psql's COPY of the same rows interleaved run by run. Rows/s from the first commit to the last"
             " (ingested_at). Latency: 5,000 events/s published for"
             f" {'10' if quick else '60'} s, ingested_at - occurred_at; live heap after a full GC, idle before"
             " and after the latency run. The machine's 1-minute load average at the end of each ingest run:"
             f" {', '.join(f'{load:.1f}' for load in loads)} (2 cores; above 2, other work shared them).", "",
             "CPU a row: user + system CPU of the service's JVM and of the PostgreSQL backends of its connections"
             " over the whole run (start-up included), divided by the rows; psql's COPY keeps about one core busy,"
             " that is about 1,000,000 / its rows/s µs a row.", "",
             "| path (training-store.store.copy) | events rows/s (runs) | vs psql COPY | CPU a row (JVM + its backends) |"
             " latency at 5,000/s | live heap idle -> after | heap used peak (ingest) |",
             "|---|---|---|---|---|---|---|"]
    for path in WRITE_PATHS:
        setting = WRITE_PATHS[path]["TRAINING_STORE_STORE_COPY"]
        p50, p99, worst, achieved, idle, after = latency[path]
        lines.append(f"| {path} ({setting}) | {rates[path]:,.0f} ({', '.join(f'{r:,.0f}' for r in all_rates[path])})"
                     f" | {rates[path] / copy_rate:.2f} | {cpu[path]:.1f} µs | p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.0f} ms"
                     f" ({achieved:,.0f}/s) | {idle:.0f} -> {after:.0f} MiB | {peak_heap[path]:.0f} MiB |")
    lines.append(f"| psql `\\copy` (reference) | {copy_rate:,.0f} ({', '.join(f'{r:,.0f}' for r in copy_rates)})"
                 f" | 1.00 | ~{1e6 / copy_rate:.0f} µs (one core) | - | - | - |")
    return "\n".join(lines) + "\n"


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


def export_section(n, runs, quick):
    """--case export: n events loaded with psql \\copy (no ingest), then case_export."""
    truncate("training_events")
    with tempfile.TemporaryDirectory() as tmp:
        _, csv_path = write_event_files(n, "x", tmp)
        sh("psql", "-h", "localhost", "-U", "postgres", "-d", DB, "-qX", "-v", "ON_ERROR_STOP=1", "-c",
           f"\\copy training_data.training_events ({','.join(EVENT_COLUMNS)}) FROM '{csv_path}' WITH (FORMAT csv)")
    psql("VACUUM ANALYZE training_data.training_events")
    exports, _ = case_export(n, runs)
    lines = ["## Exports against psql (`--case export`)", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if quick else ''}"
             f" --case export --rows {n}`, median of {runs}, load average {os.getloadavg()[0]:.1f} at the end."
             f" Machine: {machine()}.", "",
             "| case | store | reference (same run) | ratio |", "|---|---|---|---|"]
    for label in ("API jsonl", "API csv", "API jsonl gzip", "API csv gzip"):
        base = exports["psql csv"] if "csv" in label else exports["psql row_to_json"]
        lines.append(f"| export {label[4:]} | {exports[label][0]:,.0f} rows/s, {exports[label][1]:.0f} MB/s |"
                     f" psql {'csv' if 'csv' in label else 'row_to_json'} {base[0]:,.0f} rows/s |"
                     f" {exports[label][0] / base[0]:.2f} |")
    return "\n".join(lines) + "\n"


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


# ---------------------------------------------------------------- datasets

# One conversation: 10 messages (system with tool definitions, user, parallel calls, results, a
# follow-up, a final call answered only by its execution, the answer), 4 tool calls, 4 tool
# executions (2 calls answered by tool messages, 2 only by their execution: rule 2 of the
# contract), its task, and feedback on half of the conversations and a fifth of the tasks.
# Messages are spread in time as concurrent agents write them (a conversation's messages 30 s
# apart, a new conversation every 100 ms) and inserted in time order, so reading in conversation
# order visits the heap as it would in production.
DATASET_TOOLS = json.dumps([
    {"type": "function", "function": {"name": "search", "description": "Search the repository",
     "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                    "required": ["query"]}}},
    {"type": "function", "function": {"name": "read_file", "description": "Read a file",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}},
    {"type": "function", "function": {"name": "run_tests", "description": "Run tests",
     "parameters": {"type": "object", "properties": {"target": {"type": "string"}, "verbose": {"type": "boolean"}},
                    "required": ["target"]}}}], separators=(",", ":"))

DATASET_LOAD = """
TRUNCATE training_data.training_messages, training_data.training_tool_executions, training_data.training_tasks,
         training_data.training_feedback CASCADE;
CREATE TEMP TABLE conv AS
SELECT c, 'conv-' || lpad(c::text, 7, '0') AS id, 'task-' || lpad(c::text, 7, '0') AS task,
       'agent-' || lpad((c % 64)::text, 4, '0') AS agent, c % 50 AS module,
       timestamptz '2026-11-01 00:00:00+00' + c * interval '100 milliseconds' AS t0
FROM generate_series(0, {n} - 1) AS c;
CREATE FUNCTION pg_temp.version(t timestamptz, entry bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad((extract(epoch FROM t) * 1000000)::bigint::text, 18, '0') || lpad(entry::text, 15, '0') || lpad('0', 20, '0')
$$;
CREATE FUNCTION pg_temp.call(id text, fn text, arguments jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('id', id, 'type', 'function', 'function', jsonb_build_object('name', fn, 'arguments', arguments::text))
$$;
INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, agent_id, task_id, tool_calls,
                                             tool_call_id, seq, tools, attributes, occurred_at, stream_entry_id)
SELECT 'msg-' || lpad(c::text, 7, '0') || '-' || lpad(k::text, 2, '0'), id, role, content,
       CASE WHEN role = 'tool' THEN NULL ELSE agent END, task, tool_calls, tool_call_id, k, tools, '{{}}',
       t0 + (k - 1) * interval '30 seconds',
       ((extract(epoch FROM t0) * 1000)::bigint + (k - 1) * 30000)::text || '-0'
FROM (
  SELECT conv.*, k,
    (ARRAY['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'assistant'])[k] AS role,
    CASE k
      WHEN 1 THEN 'You are a coding agent working in the repository acme/platform. Search, read files and run the tests before you answer; keep changes minimal.'
      WHEN 2 THEN 'The test tests/test_' || module || '.py fails since this morning with a 500 from the handler in module ' || module || '. Can you find out why and fix it? The CI log says the failure started after the dependency update.'
      WHEN 4 THEN 'Found 3 matches: src/module_' || module || '/handler.py:42 def handler_' || c || '(request), src/module_' || module || '/handler.py:88 return handler_' || c || '(req), tests/test_' || module || '.py:12 from module_' || module || ' import handler_' || c
      WHEN 6 THEN 'FAILED tests/test_' || module || '.py::test_handler - AssertionError: expected status 200, got 500; KeyError: ''user_id'' in src/module_' || module || '/handler.py line 47 (request.json[''user_id''] is missing since the client library renamed it to userId). 1 failed, 11 passed in 0.84s'
      WHEN 7 THEN 'The handler reads request.json["user_id"], but since the dependency update the client sends "userId". I will accept both names and add a test for the new one.'
      WHEN 8 THEN 'Sounds good, please apply the fix and run the tests again.'
      WHEN 10 THEN 'Done: handler_' || c || ' now accepts both user_id and userId, with a test for each. All 12 tests in tests/test_' || module || '.py pass. The change is two lines in src/module_' || module || '/handler.py.'
      ELSE '' END AS content,
    CASE k
      WHEN 3 THEN jsonb_build_array(
          pg_temp.call('call-' || c || '-a', 'search', jsonb_build_object('query', 'def handler_' || c, 'limit', 10)),
          pg_temp.call('call-' || c || '-b', 'read_file', jsonb_build_object('path', 'src/module_' || module || '/handler.py')))
      WHEN 5 THEN jsonb_build_array(pg_temp.call('call-' || c || '-c', 'run_tests',
          jsonb_build_object('target', 'tests/test_' || module || '.py', 'verbose', true)))
      WHEN 9 THEN jsonb_build_array(pg_temp.call('call-' || c || '-d', 'run_tests',
          jsonb_build_object('target', 'tests/test_' || module || '.py', 'verbose', false)))
      END AS tool_calls,
    CASE k WHEN 4 THEN 'call-' || c || '-a' WHEN 6 THEN 'call-' || c || '-c' END AS tool_call_id,
    CASE k WHEN 1 THEN '{tools}'::jsonb END AS tools
  FROM conv CROSS JOIN generate_series(1, 10) AS k
) m
ORDER BY t0 + (k - 1) * interval '30 seconds';
INSERT INTO training_data.training_tool_executions (execution_id, agent_id, tool_name, task_id, status, input_params,
    output_result, duration_ms, attributes, occurred_at, first_occurred_at, stream_entry_id, version, field_versions)
SELECT 'call-' || c || '-' || x.call, agent, x.tool, task, 'completed', x.input, to_jsonb(x.output), 40 + c % 900, '{{}}',
       t0 + x.after, t0 + x.after, ((extract(epoch FROM t0 + x.after) * 1000)::bigint)::text || '-0', v.v,
       ARRAY[v.v, v.v, v.v, v.v, NULL, v.v, v.v, v.v, NULL, v.v]
FROM conv
CROSS JOIN LATERAL (VALUES
  ('a', 'search', jsonb_build_object('query', 'def handler_' || c, 'limit', 10),
   'Found 3 matches: src/module_' || module || '/handler.py:42, src/module_' || module || '/handler.py:88, tests/test_' || module || '.py:12', interval '65 seconds'),
  ('b', 'read_file', jsonb_build_object('path', 'src/module_' || module || '/handler.py'),
   'from flask import request, jsonify' || chr(10) || chr(10) || 'def handler_' || c || '(request):' || chr(10)
     || '    user = load_user(request.json["user_id"])' || chr(10) || '    if user is None:' || chr(10)
     || '        return jsonify(error="unknown user"), 404' || chr(10) || '    return jsonify(user.to_dict()), 200' || chr(10),
   interval '66 seconds'),
  ('c', 'run_tests', jsonb_build_object('target', 'tests/test_' || module || '.py', 'verbose', true),
   '1 failed, 11 passed in 0.84s', interval '125 seconds'),
  ('d', 'run_tests', jsonb_build_object('target', 'tests/test_' || module || '.py', 'verbose', false),
   '12 passed in 0.79s', interval '245 seconds')) AS x(call, tool, input, output, after)
CROSS JOIN LATERAL (SELECT pg_temp.version(t0 + x.after, (extract(epoch FROM t0 + x.after) * 1000)::bigint) AS v) v;
INSERT INTO training_data.training_tasks (task_id, agent_id, status, task_type, input, output, metadata, attributes,
    occurred_at, first_occurred_at, stream_entry_id, version, field_versions)
SELECT task, agent, 'completed', 'bugfix', jsonb_build_object('issue', c), jsonb_build_object('files_changed', 1),
       jsonb_build_object('model', 'm-1'), '{{}}', t0 + interval '300 seconds', t0,
       ((extract(epoch FROM t0) * 1000)::bigint + 300000)::text || '-0', v.v,
       ARRAY[v.v, v.v, v.v, v.v, NULL, v.v, v.v, NULL, v.v]
FROM conv CROSS JOIN LATERAL (SELECT pg_temp.version(t0 + interval '300 seconds',
    (extract(epoch FROM t0) * 1000)::bigint + 300000) AS v) v;
INSERT INTO training_data.training_feedback (feedback_id, target_kind, target_id, name, value, source, attributes,
    occurred_at, first_occurred_at, stream_entry_id, version, field_versions)
SELECT kind || '/' || target || '/' || name || '/model', kind, target, name, value, 'model', '{{}}', t0 + interval '400 seconds',
       t0 + interval '400 seconds', ((extract(epoch FROM t0) * 1000)::bigint + 400000)::text || '-0', v.v,
       ARRAY[v.v, v.v, v.v, v.v, NULL, NULL, v.v, NULL, v.v]
FROM (SELECT conv.*, 'conversation' AS kind, id AS target, 'correctness' AS name, (c % 100) / 100.0 AS value
      FROM conv WHERE c % 2 = 0
      UNION ALL
      SELECT conv.*, 'task', task, 'reward', 1 FROM conv WHERE c % 5 = 0) f
CROSS JOIN LATERAL (SELECT pg_temp.version(t0 + interval '400 seconds',
    (extract(epoch FROM t0) * 1000)::bigint + 400000) AS v) v;
ANALYZE training_data.training_messages, training_data.training_tool_executions, training_data.training_tasks,
        training_data.training_feedback;
"""

# The same lines, built by PostgreSQL alone in one query over the same index
# (training_messages_conversation_order): messages in order (window functions over the index
# order), each assistant call without a tool message answering it followed by its execution's
# result (the same lookup of training_tool_executions as the service's query), after the tool
# messages that directly follow it (rule 2); tools from the latest message that has them (every
# called function is defined in this data). This data has no broken conversation and nothing after
# the last assistant message, so rules 3 and 4 change nothing here and are not spelled out. The
# service's query also joins tasks and looks up feedback for every row (for metadata and filters),
# which the default line does not show: that work is the service's own cost.
DATASET_REFERENCE = """
SELECT '{{"messages":[' || string_agg(p.fragment, ',' ORDER BY r.grp, p.sub, r.rn) || ']'
       || coalesce(',"tools":' || (array_agg(r.tools::text ORDER BY r.rn DESC) FILTER (WHERE r.tools IS NOT NULL))[1], '')
       || '}}'
FROM (
  SELECT m.conversation_id COLLATE "C" AS conversation_id, m.role, m.content, m.tool_calls, m.tool_call_id, m.tools,
         m.agent_id,
         row_number() OVER w AS rn,
         count(*) FILTER (WHERE m.role <> 'tool') OVER w AS grp,
         array_agg(m.tool_call_id) FILTER (WHERE m.role = 'tool') OVER whole AS answered
  FROM training_data.training_messages m
  {where}
  WINDOW w AS (PARTITION BY m.conversation_id COLLATE "C" ORDER BY m.seq, m.occurred_at, m.message_id),
         whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) r
CROSS JOIN LATERAL (VALUES
  (0, CASE
        WHEN r.role = 'assistant' AND jsonb_typeof(r.tool_calls) = 'array' AND jsonb_array_length(r.tool_calls) > 0 THEN
          json_build_object('role', 'assistant', 'content', nullif(r.content, ''), 'tool_calls',
            (SELECT json_agg(json_build_object('id', c ->> 'id', 'type', 'function', 'function',
                      json_build_object('name', c -> 'function' ->> 'name', 'arguments',
                        CASE WHEN jsonb_typeof(c -> 'function' -> 'arguments') = 'string' THEN c -> 'function' ->> 'arguments'
                             ELSE (c -> 'function' -> 'arguments')::text END)) ORDER BY o)
             FROM jsonb_array_elements(r.tool_calls) WITH ORDINALITY AS x(c, o)))::text
        WHEN r.role = 'tool' THEN json_build_object('role', 'tool', 'content', r.content, 'tool_call_id', r.tool_call_id)::text
        ELSE json_build_object('role', r.role, 'content', r.content)::text END),
  (1, CASE WHEN r.role = 'assistant' AND jsonb_typeof(r.tool_calls) = 'array' THEN
        (SELECT string_agg(json_build_object('role', 'tool', 'content',
                  CASE WHEN jsonb_typeof(e.output_result) = 'string' THEN e.output_result #>> '{{}}'
                       WHEN e.output_result IS NOT NULL AND jsonb_typeof(e.output_result) <> 'null' THEN e.output_result::text
                       ELSE e.error END, 'tool_call_id', e.execution_id)::text, ',' ORDER BY x.o)
         FROM jsonb_array_elements(r.tool_calls) WITH ORDINALITY AS x(c, o)
         JOIN training_data.training_tool_executions e ON e.execution_id = x.c ->> 'id'
         WHERE (e.output_result IS NOT NULL OR e.error IS NOT NULL)
           AND (e.agent_id IS NULL OR r.agent_id IS NULL OR e.agent_id = r.agent_id)
           AND NOT coalesce(x.c ->> 'id' = ANY (r.answered), false)) END)) AS p(sub, fragment)
GROUP BY r.conversation_id
ORDER BY r.conversation_id
"""


# The service's own query for a request without filters, as ConversationQuery builds it
# (src/main/java/ai/trainingstore/dataset/ConversationQuery.java): with metadata=true it also joins
# tasks and looks up the feedback on the conversation and the task on the first row of each (a
# window in the query's own order). pg_stat_activity
# shows the first 1 kB of the query the service runs; the case checks that this text starts with it.
def service_dataset_query(metadata=False):
    def feedback(kind, target):
        return ("(SELECT jsonb_object_agg(f.name, jsonb_build_object('value', f.value, 'label', f.label)"
                " ORDER BY f.occurred_at, f.feedback_id)::text FROM training_data.training_feedback f"
                f" WHERE f.target_kind = {kind} AND f.target_id = {target})")
    order = "m.conversation_id COLLATE \"C\", m.seq, m.occurred_at, m.message_id"
    first = "lag(m.conversation_id) OVER w IS DISTINCT FROM m.conversation_id"
    return ("SELECT m.conversation_id, m.message_id, m.role, m.content, m.name, m.tool_calls::text AS tool_calls,"
            " m.tool_call_id, m.tools::text AS tools, m.agent_id, m.task_id, m.occurred_at,"
            + (" t.status AS task_status," if metadata else " NULL::text AS task_status,")
            + " CASE WHEN m.role = 'assistant' AND jsonb_typeof(m.tool_calls) = 'array' THEN"
            " (SELECT jsonb_object_agg(e.execution_id, jsonb_build_object('output_result', e.output_result,"
            " 'error', e.error))::text FROM training_data.training_tool_executions e"
            " WHERE e.execution_id IN (SELECT c ->> 'id' FROM jsonb_array_elements(m.tool_calls) AS c)"
            " AND (e.output_result IS NOT NULL OR e.error IS NOT NULL)"
            " AND (e.agent_id IS NULL OR m.agent_id IS NULL OR e.agent_id = m.agent_id)) END AS executions,"
            + ((" CASE WHEN " + first + " THEN " + feedback("'conversation'", "m.conversation_id")
                + " END AS conversation_feedback,"
                " CASE WHEN m.task_id IS NOT NULL AND (" + first + " OR lag(m.task_id) OVER w IS DISTINCT FROM m.task_id)"
                " THEN " + feedback("'task'", "m.task_id") + " END AS task_feedback")
               if metadata else " NULL::text AS conversation_feedback, NULL::text AS task_feedback")
            + " FROM training_data.training_messages m"
            + (" LEFT JOIN training_data.training_tasks t ON t.task_id = m.task_id" if metadata else "")
            + (" WINDOW w AS (ORDER BY " + order + ")" if metadata else "")
            + " ORDER BY " + order)


def dataset_reference(where=""):
    return DATASET_REFERENCE.format(where=where)


def load_conversations(n):
    start = time.time()
    sh("psql", "-h", "localhost", "-U", "postgres", "-d", DB, "-qX", "-v", "ON_ERROR_STOP=1", "-f", "-",
       stdin=DATASET_LOAD.format(n=n, tools=DATASET_TOOLS.replace("'", "''")).encode())
    seconds = time.time() - start
    messages = int(psql("SELECT count(*) FROM training_data.training_messages"))
    executions = int(psql("SELECT count(*) FROM training_data.training_tool_executions"))
    log(f"datasets: loaded {n:,} conversations, {messages:,} messages, {executions:,} tool executions in {seconds:.0f} s")
    return messages, executions


def one_line(sql):
    return " ".join(sql.split())


def psql_rows(sql):
    """The rows of a one-column query as psql prints them (unaligned, no header), as text lines."""
    return sh("psql", "-h", "localhost", "-U", "postgres", "-d", DB, "-qtAX", "-v", "ON_ERROR_STOP=1", "-f", "-",
              stdin=(one_line(sql) + ";\n").encode()).splitlines()


def psql_copy(sql):
    """(lines, bytes, seconds) of psql's \\copy of the query to stdout (COPY text: backslashes doubled)."""
    start = time.time()
    out = sh("bash", "-c", f"set -o pipefail; psql -h localhost -U postgres -d {DB} -qX -v ON_ERROR_STOP=1 -f - | wc -lc",
             stdin=f"\\copy ({one_line(sql)}) TO STDOUT\n".encode())
    seconds = time.time() - start
    lines, size = (int(x) for x in out.split())
    return lines, size, seconds


def timed_api(url, headers=()):
    """(bytes, seconds) of a full download by curl."""
    args = ["curl", "-fsS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"]
    for header in headers:
        args += ["-H", header]
    size, seconds = sh(*args, url).split()
    return int(size), float(seconds)


def service_runs_query(url, auth, expected):
    """Starts a slow download and checks that the service's query (pg_stat_activity) is the expected one."""
    client = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "--limit-rate", "1M", "-H", auth, url])
    seen = set()
    deadline = time.time() + 20
    try:
        while time.time() < deadline and client.poll() is None:
            for query in psql("SELECT query FROM pg_stat_activity WHERE datname = current_database()"
                              " AND state IN ('active', 'idle in transaction') AND query LIKE 'SELECT m.conversation_id%'"
                              " AND pid <> pg_backend_pid()").splitlines():
                if expected.startswith(query.rstrip()):
                    return
                seen.add(query)
            time.sleep(0.05)
    finally:
        client.terminate()
        client.wait()
    raise RuntimeError("the service's query is not the one this benchmark explains (see ConversationQuery):\n"
                       f"  running:   {seen}\n  explained: {expected}")


def explain_costs(sql):
    """EXPLAIN ANALYZE of a query: its execution time and its costliest nodes (time over all loops)."""
    plan = json.loads("\n".join(psql_rows("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)))[0]
    parts = []

    def walk(node):
        loops = node.get("Actual Loops", 1)
        label = node["Node Type"]
        if "Relation Name" in node:
            label += f" on {node['Relation Name']}"
        if "Index Name" in node:
            label += f" using {node['Index Name']}"
        if node.get("Subplan Name"):
            label = f"{node['Subplan Name']}: {label}"
        parts.append((node["Actual Total Time"] * loops, label, loops))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    parts.sort(reverse=True)
    return plan["Execution Time"], parts


def case_datasets(n, runs, heap_seconds):
    """The conversations dataset of n conversations against one SQL query building the same lines."""
    messages, executions = load_conversations(n)
    results, queries = {}, {}
    with services(1) as started:
        service = started[0]
        url = f"http://localhost:{service.port}/api/v1/datasets/conversations"
        auth = f"Authorization: Bearer {TOKEN}"
        # The reference builds the same lines: the first 500 conversations, parsed, from both.
        sample = min(n, 500)
        api_sample = [json.loads(line) for line in sh("curl", "-fsS", "-H", auth, f"{url}?limit={sample}").splitlines()]
        ref_sample = [json.loads(line) for line in
                      psql_rows(dataset_reference(f"WHERE m.conversation_id COLLATE \"C\" <= 'conv-{sample - 1:07d}'"))]
        if api_sample != ref_sample:
            first = next((i for i, (a, b) in enumerate(zip(api_sample, ref_sample)) if a != b),
                         min(len(api_sample), len(ref_sample)))
            raise RuntimeError(f"the SQL reference does not build the service's lines; line {first}:\n"
                               f"  service: {json.dumps(api_sample[first]) if first < len(api_sample) else None}\n"
                               f"  SQL:     {json.dumps(ref_sample[first]) if first < len(ref_sample) else None}")
        log(f"datasets: the SQL reference builds the same {sample} lines as the service")
        # The query the service runs is the one this benchmark explains.
        for metadata in (False, True):
            queries[metadata] = service_dataset_query(metadata)
            service_runs_query(url + ("?metadata=true" if metadata else ""), auth, queries[metadata])
        for label, suffix, headers in (("API", "", [auth]), ("API gzip", "", [auth, "Accept-Encoding: gzip"]),
                                       ("API metadata", "?metadata=true", [auth])):
            rates = []
            for _ in range(runs):
                size, seconds = timed_api(url + suffix, headers)
                rates.append((n / seconds, size / seconds / 1e6))
            results[label] = (median([r[0] for r in rates]), median([r[1] for r in rates]))
            log(f"datasets: {label} {results[label][0]:,.0f} lines/s, {results[label][1]:.1f} MB/s")
        lines = int(sh("bash", "-c", f"set -o pipefail; curl -fsS -H '{auth}' '{url}' | wc -l"))
        if lines != n:
            raise RuntimeError(f"the dataset has {lines} lines, not {n}")
        # Live heap while a client reads at 1 MB/s (backpressure down to the cursor).
        time.sleep(2)
        idle_live = service.live_heap()
        client = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "--limit-rate", "1M", "-H", auth, url])
        with service.sampling(1.0) as samples:
            time.sleep(heap_seconds)
        reading_live = service.live_heap()
        still_running = client.poll() is None
        client.terminate()
        client.wait()
    rates = []
    for _ in range(runs):
        count, size, seconds = psql_copy(dataset_reference())
        if count != n:
            raise RuntimeError(f"the SQL reference gave {count} lines, not {n}")
        rates.append((n / seconds, size / seconds / 1e6))
    results["SQL reference"] = (median([r[0] for r in rates]), median([r[1] for r in rates]))
    log(f"datasets: SQL reference {results['SQL reference'][0]:,.0f} lines/s, {results['SQL reference'][1]:.1f} MB/s")
    # The service's query alone through psql: what PostgreSQL spends before the service assembles
    # anything; and where that time goes.
    for metadata in (False, True):
        label = "service query alone" + (", metadata" if metadata else "")
        rows, _, seconds = psql_copy(f"SELECT q::text FROM ({queries[metadata]}) q")
        results[label] = (n / seconds, rows / seconds)
        log(f"datasets: {label}: {rows / seconds:,.0f} rows/s, {n / seconds:,.0f} conversations/s")
    explained = {"reference": explain_costs(dataset_reference()), "service": explain_costs(queries[False]),
                 "service, metadata": explain_costs(queries[True])}
    for label, (total, parts) in explained.items():
        log(f"datasets: EXPLAIN ANALYZE {label}: {total / 1000:.1f} s; "
            + "; ".join(f"{name} {ms / 1000:.1f} s ({loops:,} loops)" for ms, name, loops in parts[1:6]))
    return {"n": n, "messages": messages, "executions": executions, "results": results,
            "heap": (idle_live, reading_live, max(s[1] for s in samples), still_running), "explained": explained}


def dataset_section(d, quick):
    r = d["results"]
    api, ref, gz, meta = r["API"], r["SQL reference"], r["API gzip"], r["API metadata"]
    alone, alone_meta = r["service query alone"], r["service query alone, metadata"]
    idle, reading, peak, running = d["heap"]
    out = ["## Datasets: `GET /api/v1/datasets/conversations`", "",
           f"{d['n']:,} conversations of 10 messages with 4 tool calls each ({d['messages']:,} messages,"
           f" {d['executions']:,} tool executions, a task each, feedback on half of them), loaded with"
           f" `INSERT ... SELECT generate_series` in time order (concurrent agents); {'one run' if quick else 'median of 3 runs'}."
           " Each line: 12 messages (2 tool results come from executions), 3 tools, about 3.3 kB."
           " Reference: psql `\\copy` of one query building the same lines (checked equal on the first 500)"
           " over the same index, with the same execution lookup (`DATASET_REFERENCE` in bench.py).", "",
           "| case | store | reference (same run) | ratio | target |", "|---|---|---|---|---|",
           f"| dataset, default parameters | {api[0]:,.0f} lines/s, {api[1]:.1f} MB/s |"
           f" SQL building the same lines {ref[0]:,.0f} lines/s, {ref[1]:.1f} MB/s | {api[0] / ref[0]:.2f} | 0.7 |",
           f"| dataset, gzip | {gz[0]:,.0f} lines/s, {gz[1]:.1f} MB/s on the wire | same | {gz[0] / ref[0]:.2f} | - |",
           f"| dataset, metadata=true (task status per row, feedback per conversation and task) | {meta[0]:,.0f} lines/s, {meta[1]:.1f} MB/s | same |"
           f" {meta[0] / ref[0]:.2f} | - |",
           f"| the service's query alone (psql, no assembly) | {alone[0]:,.0f} conversations/s ({alone[1]:,.0f} rows/s);"
           f" with metadata {alone_meta[0]:,.0f} | same | {alone[0] / ref[0]:.2f} | - |",
           f"| memory, dataset read at 1 MB/s | live heap {reading:.0f} MiB after GC (idle {idle:.0f}); heap used peak"
           f" {peak:.0f} MiB{'' if running else ' (dataset ended early)'} | growth {reading - idle:.0f} MiB | - |"
           " < 64 MiB growth |", "", "EXPLAIN ANALYZE (time summed over loops; per-loop times are rounded to 1 µs):", ""]
    for label, (total, parts) in d["explained"].items():
        out.append(f"- {label}: {total / 1000:.1f} s; " + "; ".join(
            f"{name} {ms / 1000:.1f} s ({loops:,} loops)" for ms, name, loops in parts[1:6]))
    return "\n".join(out) + "\n"


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


def replace_section(results_file, title, section):
    """Puts the section first in the results file, in place of an older one with the same title."""
    previous = results_file.read_text() if results_file.exists() else "# Benchmark results\n"
    if title in previous:
        start = previous.index(title)
        end = previous.find("\n## ", start + 1)
        previous = previous[:start] + previous[end if end >= 0 else len(previous):]
    first_section = previous.find("\n## ")
    at = first_section if first_section >= 0 else len(previous)
    results_file.write_text(previous[:at].rstrip("\n") + "\n\n" + section + previous[at:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one run: a smoke test")
    parser.add_argument("--case", choices=("all", "datasets", "ingest", "export-merged", "export"), default="all",
                        help="datasets: only the conversations dataset case; its section of the results file is"
                             " replaced, the rest kept; ingest: the two write paths; export-merged: task updates"
                             " (merged kind) and the exports, each against psql, in a section of their own;"
                             " export: only the exports against psql, on events loaded with psql \\copy")
    parser.add_argument("--rows", type=int, help="export case: events to load (default 1,000,000; --quick 100,000)")
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
    n = 20_000 if args.quick else 1_000_000
    n = int(os.environ.get("BENCH_EVENTS", n))  # fewer rows when the machine is too busy for a full run
    runs = 1 if args.quick else 3
    if not JAR.exists():
        log("building the service")
        sh(str(ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    prepare_database()
    conversations = 2_000 if args.quick else 100_000
    heap_seconds = 5 if args.quick else 60
    results_file = ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    if args.case == "datasets":
        section = dataset_section(case_datasets(conversations, runs, heap_seconds), args.quick)
        section = section.replace("## Datasets: `GET /api/v1/datasets/conversations`",
                                  "## Datasets: `GET /api/v1/datasets/conversations`\n\n"
                                  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
                                  f" `bench/run.sh{' --quick' if args.quick else ''} --case datasets`."
                                  f" Machine: {machine()}.", 1)
        print("\n" + section)
        previous = results_file.read_text() if results_file.exists() else "# Benchmark results\n"
        kept = previous.split("\n## Datasets", 1)[0].rstrip("\n")
        results_file.write_text(kept + "\n\n" + section)
        return 0
    if args.case == "ingest":
        with tempfile.TemporaryDirectory() as tmp:
            section = ingest_paths_section(case_ingest_paths(n, runs, tmp, 10 if args.quick else 60), n, runs,
                                           args.quick)
        print("\n" + section)
        replace_section(results_file, "\n## Ingest paths", section)
        reset_streams()
        return 0
    if args.case == "export":
        n = args.rows or n
        section = export_section(n, runs, args.quick)
        print("\n" + section)
        replace_section(results_file, "\n## Exports against psql", section)
        return 0
    if args.case == "export-merged":
        with tempfile.TemporaryDirectory() as tmp:
            ingest, copy_rate, _, _ = case_ingest(n, runs, tmp)
            merged = case_merged(n, n // 10, runs, tmp)
            exports, _ = case_export(n, runs)
        lines = [f"## Merged updates and exports (`--case export-merged`)", "",
                 f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if args.quick else ''}"
                 f" --case export-merged`, {n:,} rows, median of {runs}, load average {os.getloadavg()[0]:.1f} at the"
                 f" end. Machine: {machine()}.", "",
                 "| case | store | reference (same run) | ratio |", "|---|---|---|---|",
                 f"| ingest events (defaults) | {ingest[1]:,.0f} rows/s | psql COPY {copy_rate:,.0f} rows/s |"
                 f" {ingest[1] / copy_rate:.2f} |",
                 f"| task updates (merge; defaults) | {merged:,.0f} updates/s | psql COPY {copy_rate:,.0f} rows/s |"
                 f" {merged / copy_rate:.2f} |"]
        for label in ("API jsonl", "API csv", "API jsonl gzip", "API csv gzip"):
            base = exports["psql csv"] if "csv" in label else exports["psql row_to_json"]
            lines.append(f"| export {label[4:]} | {exports[label][0]:,.0f} rows/s, {exports[label][1]:.0f} MB/s |"
                         f" psql {'csv' if 'csv' in label else 'row_to_json'} {base[0]:,.0f} rows/s |"
                         f" {exports[label][0] / base[0]:.2f} |")
        section = "\n".join(lines) + "\n"
        print("\n" + section)
        replace_section(results_file, "\n## Merged updates and exports", section)
        reset_streams()
        return 0
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
            5 if args.quick else 60)
        p50, p99, worst, achieved = case_latency(5000, 5 if args.quick else 60)
        rows.append(("3. latency at 5,000/s", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.0f} ms",
                     f"{achieved:,.0f} records/s achieved", "-", "p99 < 100 ms"))
        peak = lambda samples, i: max((s[i] for s in samples), default=0)  # noqa: E731
        rows.append(("5. memory, ingest (case 1)", f"peak RSS {peak(ingest_memory, 0):.0f} MiB, heap {peak(ingest_memory, 1):.0f} MiB",
                     "-Xmx512m", "-", "-"))
        rows.append(("5. memory, export (case 4)", f"peak RSS {peak(export_memory, 0):.0f} MiB, heap {peak(export_memory, 1):.0f} MiB",
                     "-Xmx512m", "-", "-"))
        datasets = case_datasets(conversations, runs, heap_seconds)
        rows.append(("5. memory, export read at 1 MB/s",
                     f"live heap {exporting_live:.0f} MiB after GC (idle {idle_live:.0f}); heap used peak"
                     f" {throttled_peak:.0f} MiB; RSS {throttled_rss:.0f} MiB{'' if running else ' (export ended early)'}",
                     f"growth {exporting_live - idle_live:.0f} MiB", "-", "< 64 MiB growth"))
    table = ["| case | store | reference (same run) | ratio | target |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    header = (f"# Benchmark results\n\n{'Quick run (20,000 rows, one run)' if args.quick else 'Full run: 1,000,000 rows, median of 3 runs'},"
              f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/run.sh{' --quick' if args.quick else ''}`.\n\n"
              f"Machine: {machine()}.\n\n")
    report = header + "\n".join(table) + "\n\n" + dataset_section(datasets, args.quick)
    print("\n" + report)
    results_file.write_text(report)
    reset_streams()


if __name__ == "__main__":
    sys.exit(main())
