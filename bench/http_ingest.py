#!/usr/bin/env python3
"""HTTP ingest benchmark: records through POST /api/v1/ingest/events in requests of 1, 100 and
10,000 records, from several concurrent clients, against the service started from the packaged jar
(as bench/bench.py starts it: its own database training_bench and streams bench:*).

For each request size it prints records/s accepted (202) over HTTP, records/s stored end to end
(first request sent to the last row committed), p50/p99/max request latency, and the service's heap
peak (jvm_memory_used_bytes{area="heap"} from /q/metrics, sampled every 0.5 s). No figure is
asserted; a request that fails or is not answered (60 s) is counted and makes the script exit 1.

  bench/http_ingest.py                  1,000,000 records per size (size 1 capped, see --size1-cap)
  bench/http_ingest.py --quick          5,000 records per size (bench/run.sh --quick runs this)
  bench/http_ingest.py --sizes 1,100    only those sizes

The clients are Python threads (http.client, keep-alive, one connection each) on the same 2 cores
as the service, so at size 1 the figure includes the client's own cost.
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the service, database and stream helpers of the main benchmark)

REQUEST_TIMEOUT = 60
SIZE_TIME_BUDGET = 600  # seconds of sending per size; what is not sent by then is reported


def record(tag, i):
    e = bench.event(i, tag)
    e["event_id"] = f"http-{tag}-{i:08d}"
    e["payload"] = json.loads(e["payload"])  # nested JSON, as an HTTP client sends it
    return json.dumps(e, separators=(",", ":"))


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


class Clients:
    """`clients` threads that take request numbers from a shared counter and POST them."""

    def __init__(self, port, size, requests, clients, tag):
        self.port, self.size, self.requests, self.tag = port, size, requests, tag
        self.clients = clients
        self.next = 0
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = []
        self.accepted = 0
        self.deadline = None

    def take(self):
        with self.lock:
            if self.next >= self.requests or time.time() > self.deadline or len(self.errors) >= 3:
                return None
            n = self.next
            self.next += 1
            return n

    def body(self, n):
        first = n * self.size
        return ("\n".join(record(self.tag, i) for i in range(first, first + self.size)) + "\n").encode()

    def run_client(self):
        connection = http.client.HTTPConnection("localhost", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Authorization": f"Bearer {bench.TOKEN}", "Content-Type": "application/x-ndjson"}
        latencies, accepted = [], 0
        while (n := self.take()) is not None:
            body = self.body(n)
            start = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/ingest/events", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                elapsed = time.perf_counter() - start
                if response.status != 202:
                    raise RuntimeError(f"status {response.status}: {answer[:200]!r}")
                ids = json.loads(answer)["entry_ids"]
                if len(ids) != self.size:
                    raise RuntimeError(f"{len(ids)} entry ids for {self.size} records")
                latencies.append(elapsed)
                accepted += self.size
            except Exception as e:  # noqa: BLE001 - every failure is reported
                with self.lock:
                    self.errors.append(f"request {n} ({self.size} records): {type(e).__name__}: {e}"[:300])
                connection.close()
                connection = http.client.HTTPConnection("localhost", self.port, timeout=REQUEST_TIMEOUT)
        connection.close()
        with self.lock:
            self.latencies.extend(latencies)
            self.accepted += accepted

    def run(self):
        self.deadline = time.time() + SIZE_TIME_BUDGET
        threads = [threading.Thread(target=self.run_client, daemon=True) for _ in range(self.clients)]
        start = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.time() - start


def case(size, records, clients, cap=None):
    requests = records // size
    if cap is not None and requests > cap:
        bench.log(f"size {size}: {requests:,} requests would take too long; capped at {cap:,} requests")
        requests = cap
    tag = f"s{size}"
    bench.reset_streams()
    bench.truncate("training_events")
    result = {"size": size, "requests": requests, "records": requests * size, "clients": clients}
    with bench.services(1) as started:
        service = started[0]
        bench.log(f"size {size}: {requests:,} requests of {size:,} records from {clients} clients")
        load = Clients(service.port, size, requests, clients, tag)
        sending_started = time.time()
        with service.sampling() as samples:
            seconds = load.run()
            stored_by = None
            if load.accepted and not load.errors:
                bench.wait_rows("training_events", load.accepted, timeout=bench.WAIT_SECONDS)
                stored_by = time.time()
        latencies = sorted(load.latencies)
        result.update({
            "sent": load.accepted,
            "errors": load.errors,
            "http_rate": load.accepted / seconds if seconds else 0,
            "stored_rate": load.accepted / (stored_by - sending_started) if stored_by else None,
            "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000,
            "max": (latencies[-1] * 1000) if latencies else float("nan"),
            "mean": statistics.mean(latencies) * 1000 if latencies else float("nan"),
            "heap_peak": max((s[1] for s in samples), default=0),
            "rss_peak": max((s[0] for s in samples), default=0),
            "capped": load.accepted < records,
        })
    stored = int(bench.psql("SELECT count(*) FROM training_data.training_events"))
    result["stored"] = stored
    state = "FAILED" if load.errors else "ok"
    bench.log(f"size {size}: {state}; {load.accepted:,} records accepted at {result['http_rate']:,.0f}/s,"
              f" stored {stored:,}; p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms;"
              f" heap peak {result['heap_peak']:.0f} MiB")
    for error in load.errors:
        bench.log(f"size {size}: error: {error}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 records per size")
    parser.add_argument("--sizes", default="1,100,10000", help="request sizes, comma-separated")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--records", type=int, help="records per size (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--size1-cap", type=int, default=200_000,
                        help="most requests at size 1 in a full run (1,000,000 single-record requests take"
                             " over 10 minutes here)")
    args = parser.parse_args()
    records = args.records or (5_000 if args.quick else 1_000_000)
    sizes = [int(s) for s in args.sizes.split(",")]
    bench.WAIT_SECONDS = 300 if args.quick else 1800
    if not bench.JAR.exists():
        bench.log("building the service")
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.prepare_database()
    results = []
    for size in sizes:
        cap = args.size1_cap if size == 1 and not args.quick else None
        try:
            results.append(case(size, records, args.clients, cap))
        except Exception as e:  # noqa: BLE001 - a failed size is reported, the others still run
            bench.log(f"size {size}: FAILED: {e}")
            results.append({"size": size, "errors": [str(e)], "sent": 0, "records": 0})
    bench.reset_streams()

    lines = ["| request size | requests x records | records/s accepted (HTTP 202) | records/s stored (end to end)"
             " | latency p50 / p99 / max | heap peak | RSS peak | outcome |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "http_rate" not in r:
            lines.append(f"| {r['size']:,} | - | - | - | - | - | - | FAILED: {r['errors'][0][:120]} |")
            continue
        outcome = "ok" if not r["errors"] else f"FAILED ({len(r['errors'])} errors): {r['errors'][0][:120]}"
        if r["capped"] and not r["errors"]:
            outcome = f"ok; capped at {r['requests']:,} requests ({r['sent']:,} records, not {records:,})"
        stored = f"{r['stored_rate']:,.0f}" if r["stored_rate"] else "-"
        lines.append(f"| {r['size']:,} | {r['requests']:,} x {r['size']:,} | {r['http_rate']:,.0f} | {stored}"
                     f" | {r['p50']:.1f} / {r['p99']:.1f} / {r['max']:.0f} ms | {r['heap_peak']:.0f} MiB"
                     f" | {r['rss_peak']:.0f} MiB | {outcome} |")
    header = (f"# HTTP ingest benchmark\n\n{'Quick run' if args.quick else 'Full run'}: up to {records:,} records per"
              f" request size, {args.clients} concurrent clients (Python threads, keep-alive), NDJSON bodies of"
              f" events (~{len(record('x', 0)) + 1} bytes a record), service from the packaged jar with -Xmx512m,"
              f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/http_ingest.py"
              f"{' --quick' if args.quick else ''}`.\n\nMachine: {bench.machine()}.\n\n")
    report = header + "\n".join(lines) + "\n"
    print("\n" + report)
    name = "RESULTS-http-ingest-quick.md" if args.quick else "RESULTS-http-ingest.md"
    if sizes == [1, 100, 10000]:
        (bench.ROOT / "bench" / name).write_text(report)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
