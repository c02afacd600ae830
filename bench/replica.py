#!/usr/bin/env python3
"""--case replica: ingest at a steady 5,000 events/s, idle and while a 1,000,000-row export and a
conversations dataset run, with reads on the primary and with reads on a streaming replica
(bin/local-replica, port 5433), in the same run. Prints the stored rate and the p99 latency
(ingested_at - occurred_at) of each phase. Target: with the replica, rate >= 0.9 x and p99 <= 1.5 x
the idle figures. On one machine the replica shares the primary's cores and disk: it moves the
export's reads to another server process, not to other hardware.

    bench/run.sh --case replica [--quick]
"""
import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("BENCH_DB", "training_bench_replica")
# A port of its own: another session's benchmark may hold the default one.
os.environ.setdefault("BENCH_PORT", "18731")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)

RATE = 5_000
REPLICA_URL = f"postgresql://localhost:5433/{bench.DB}"


def steady(port, seconds, tag, load=None):
    """Publishes latency probes at RATE for `seconds`, with `load` (a function) running meanwhile in
    a loop on another thread; answers (stored rate, p50 ms, p99 ms, loads completed)."""
    kind = f"probe-{tag}"
    stop = threading.Event()
    done = []

    def loop():
        while not stop.is_set():
            load()
            done.append(1)

    worker = threading.Thread(target=loop, daemon=True) if load else None
    if worker:
        worker.start()
        time.sleep(2)  # the export's cursor is open and streaming before the measurement starts
    sock = socket.create_connection(("localhost", 6379))
    reader = threading.Thread(target=bench.drain, args=(sock,), daemon=True)
    reader.start()
    per_tick = max(1, int(RATE * 0.01))
    start = time.time()
    sent = 0
    while time.time() - start < seconds:
        now_ms = int(time.time() * 1000)
        sock.sendall(b"".join(bench.resp("XADD", bench.STREAMS["events"], "*", "event_type", kind,
                                          "agent_id", "agent-probe", "event_id", f"{kind}-{sent + i}",
                                          "occurred_at", str(now_ms), "payload", '{"probe":true}')
                              for i in range(per_tick)))
        sent += per_tick
        pause = start + sent / RATE - time.time()
        if pause > 0:
            time.sleep(pause)
    bench.wait_rows("training_events", sent, where=f"event_type = '{kind}'")
    sock.close()
    stop.set()
    if worker:
        worker.join()
    row = bench.psql("SELECT count(*) / extract(epoch FROM max(ingested_at) - min(occurred_at)),"
                     " percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)"
                     " FROM (SELECT ingested_at, occurred_at, extract(epoch FROM ingested_at - occurred_at) * 1000 AS ms"
                     f" FROM training_data.training_events WHERE event_type = '{kind}') l")
    rate, p50, p99 = (float(x) for x in row.split("|"))
    bench.log(f"{tag}: {sent:,} events, stored {rate:,.0f}/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, {len(done)} loads")
    return rate, p50, p99, len(done)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 10 s phases: a smoke test")
    parser.add_argument("--case")
    args = parser.parse_args()
    rows = 100_000 if args.quick else 1_000_000
    seconds = 10 if args.quick else 30
    conversations = 2_000 if args.quick else 20_000
    if not bench.JAR.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.sh(str(bench.ROOT / "bin" / "local-replica"), "up", capture=False)
    bench.prepare_database()
    bench.reset_streams()
    for table in ("training_events", "training_messages", "training_tool_executions", "training_tasks"):
        bench.truncate(table)
    bench.load_conversations(conversations)
    with tempfile.TemporaryDirectory() as tmp, bench.services(1):
        resp_path = bench.write_event_files(rows, "bulk", tmp)[0]
        bench.publish(resp_path)
        bench.wait_rows("training_events", rows)
    auth = f"Authorization: Bearer {bench.TOKEN}"
    results = {}
    for label, env in (("primary only", {}), ("with replica", {"TRAINING_STORE_READ_URL": REPLICA_URL})):
        with bench.services(1, env) as started:
            base = f"http://localhost:{started[0].port}/api/v1"
            if env:
                # Reads go to the replica once its first probe has seen it caught up.
                deadline = time.time() + 120
                while '"reads":"replica"' not in bench.sh("curl", "-fsS", "-H", auth, f"{base}/stats"):
                    if time.time() > deadline:
                        raise RuntimeError("reads never went to the replica")
                    time.sleep(1)

            def load():
                export = threading.Thread(target=bench.timed_api, args=(
                    f"{base}/export/events?event_type=tool_call_completed&limit={rows}", [auth]))
                export.start()
                bench.timed_api(f"{base}/datasets/conversations", [auth])
                export.join()

            tag = label.replace(" ", "-")
            results[label] = (steady(started[0].port, seconds, f"{tag}-idle"),
                              steady(started[0].port, seconds, f"{tag}-loaded", load))
    print(f"\n## Read replica: ingest at {RATE:,} events/s, idle and while a {rows:,}-row export and a"
          f" {conversations:,}-conversation dataset run\n\n{seconds} s per phase, one run;"
          f" `bench/run.sh --case replica{' --quick' if args.quick else ''}`. Machine: {bench.machine()}"
          " (the replica is a second PostgreSQL on the same cores and disk).\n")
    print("| reads | idle rate/s | idle p99 ms | loaded rate/s | loaded p99 ms | rate ratio | p99 ratio | loads |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (idle, loaded) in results.items():
        print(f"| {label} | {idle[0]:,.0f} | {idle[2]:,.0f} | {loaded[0]:,.0f} | {loaded[2]:,.0f} |"
              f" {loaded[0] / idle[0]:.2f} | {loaded[2] / max(idle[2], 1):.2f} | {loaded[3]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
