#!/usr/bin/env python3
"""Semantic search (contract 10, docs/search.md) on a database of its own (BENCH_DB, default
training_bench_search).

  python3 bench/search.py [--messages N] [--events N] [--skip-ingest]

1. Embedding throughput: N user/assistant messages (default 100,000; sentences drawn from topic
   vocabularies, 10 per conversation) are loaded with SQL while search is off, then the service starts
   with search on and its backfill embeds them all: messages/s from the first vector to the last.
2. Index: messages indexed per replica, index directory size and live heap (after a full GC) with the
   index built, against the same service with search off: memory per 100,000 messages.
3. Latency: 300 searches by text over HTTP one after another, p50 / p99 (includes embedding the
   query), with the HNSW graph and again with the exact scan (exact-below above the size).
4. Recall@10 of the HNSW index against exact cosine: `like=<conversation>` answers (the query vector
   is the mean of that conversation's vectors, computable from the table) against numpy's exact
   ranking of conversations by their best message over every stored vector.
5. Ingest with search on against off: --events events + --events/10 messages published with
   redis-cli --pipe, seconds until all are stored; the ratio off/on (target >= 0.9).
Prints a section for RESULTS.md. The machine is shared: figures are as measured.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

os.environ.setdefault("BENCH_DB", "training_bench_search")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

import numpy as np  # noqa: E402

# BENCH_JAR: run another build (a copy of target/quarkus-app, so a rebuild meanwhile does not disturb it)
bench.JAR = Path(os.environ.get("BENCH_JAR", str(bench.JAR)))
START_SECONDS = 300  # the model and a busy machine: more than bench.py's 60 s


def _start(self):
    log_file = open(bench.ROOT / "target" / f"{self.name}.log", "w")
    self.process = subprocess.Popen(["java", "-Xmx512m", "-jar", str(bench.JAR)], env=self.env, stdout=log_file,
                                    stderr=subprocess.STDOUT)
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        if self.http_status("/q/health/ready") == 200:
            return self
        if self.process.poll() is not None:
            raise RuntimeError(f"service {self.name} exited; see target/{self.name}.log")
        time.sleep(0.5)
    raise RuntimeError(f"service {self.name} not ready in {START_SECONDS} s; see target/{self.name}.log")


bench.Service.start = _start

TOPICS = {
    "database": "postgres index query table vacuum join schema migration replica backup transaction lock".split(),
    "kubernetes": "pod container node deployment probe cluster restart memory limit image service ingress".split(),
    "cooking": "bread dough oven flour yeast knead bake crust recipe sugar butter sourdough".split(),
    "travel": "flight ticket airport booking hotel luggage seat passport visa refund delay gate".split(),
    "garden": "tomato leaves soil water seedling compost mildew fertiliser prune pepper lettuce weed".split(),
    "finance": "invoice payment budget tax refund account balance loan interest salary expense receipt".split(),
    "music": "guitar violin chord melody piano rhythm tune string bow concert practice scale".split(),
    "code": "function bug test compile refactor exception variable loop class api commit merge".split(),
}
FILLER = "the a my our please why how can should we it this that with for on in to of is not".split()
INDEX_DIR = Path(tempfile.gettempdir()) / "bench-search-index"


def sentence(rng, topic):
    words = rng.sample(TOPICS[topic], 5) + rng.sample(FILLER, 5)
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def load_messages(n):
    """n messages (user/assistant alternating, 10 per conversation) with SQL, search off (nothing queued)."""
    rng = random.Random(11)
    path = Path(tempfile.gettempdir()) / "bench-search-messages.csv"
    topics = list(TOPICS)
    with open(path, "w") as out:
        for i in range(n):
            conversation = i // 10
            topic = topics[conversation % len(topics)]
            role = "user" if i % 2 == 0 else "assistant"
            out.write(f"bs-{i:08d},bsc-{conversation:07d},{role},{sentence(rng, topic)},agent-{conversation % 32:02d},"
                      f"2026-01-01T00:00:00Z,bench/{i}-0\n")
    # Every message of this database goes (the last run's ingest case left its own, with vectors): the
    # recall case compares with an exact ranking of every stored vector, and copies of one text tie.
    bench.psql("UPDATE training_data.search_state SET enabled = false;"
               " TRUNCATE training_data.search_queue, training_data.training_messages CASCADE")
    bench.sh("psql", "-h", "localhost", "-U", "postgres", "-d", bench.DB, "-qX", "-v", "ON_ERROR_STOP=1", "-c",
             "\\copy training_data.training_messages (message_id, conversation_id, role, content, agent_id, occurred_at,"
             f" stream_entry_id) FROM '{path}' WITH (FORMAT csv)")


def search_env(enabled, exact_below=0):
    return {"TRAINING_STORE_SEARCH_ENABLED": "true" if enabled else "false",
            "TRAINING_STORE_SEARCH_EXACT_BELOW": str(exact_below),
            "TRAINING_STORE_SEARCH_INDEX_DIR": str(INDEX_DIR),
            "QUARKUS_LOG_CATEGORY__AI_TRAININGSTORE_SEARCH__LEVEL": "INFO"}


def api(service, path):
    request = urllib.request.Request(f"http://localhost:{service.port}{path}",
                                     headers={"Authorization": f"Bearer {bench.TOKEN}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def dir_mib(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1024 / 1024


def embedding_case(n):
    load_messages(n)
    with bench.services(1, search_env(True)) as (service,):
        deadline = time.time() + 4 * 3600
        while time.time() < deadline:
            done = int(bench.psql("SELECT count(*) FROM training_data.search_vectors WHERE message_id LIKE 'bs-%'"))
            if done >= n:
                break
            time.sleep(2)
        seconds = float(bench.psql("SELECT extract(epoch FROM max(embedded_at) - min(embedded_at))"
                                   " FROM training_data.search_vectors WHERE message_id LIKE 'bs-%'"))
        while api(service, "/api/v1/search/status")["indexed"] < n:
            time.sleep(1)
        heap_on = service.live_heap()
        index_mib = dir_mib(INDEX_DIR)
        latencies = latency_case(service)
        recall = recall_case(service)
    with bench.services(1, search_env(True, exact_below=1_000_000_000)) as (service,):
        while api(service, "/api/v1/search/status")["indexed"] < n:
            time.sleep(1)
        exact = latency_case(service)
    with bench.services(1, search_env(False)) as (service,):
        heap_off = service.live_heap()
    return {"n": n, "rate": n / max(seconds, 1e-9), "seconds": seconds, "index_mib": index_mib,
            "heap_on": heap_on, "heap_off": heap_off, "latency": latencies, "exact": exact, "recall": recall}


def latency_case(service, queries=300):
    rng = random.Random(5)
    times = []
    for _ in range(queries):
        q = sentence(rng, rng.choice(list(TOPICS)))
        start = time.time()
        api(service, "/api/v1/search/conversations?" + urllib.parse.urlencode({"q": q, "k": 10}))
        times.append((time.time() - start) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1], "queries": queries}


def recall_case(service, queries=50):
    conversations, vectors = [], []
    for line in bench.sh("psql", "-h", "localhost", "-U", "postgres", "-d", bench.DB, "-qAtX", "-F", "\t", "-c",
                         "SELECT conversation_id, encode(vector, 'hex') FROM training_data.search_vectors"
                         " WHERE message_id LIKE 'bs-%'").splitlines():
        conversation, hexed = line.split("\t")
        conversations.append(conversation)
        vectors.append(np.frombuffer(bytes.fromhex(hexed), dtype="<f4"))
    matrix = np.vstack(vectors)
    ids = np.array(conversations)
    rng = random.Random(3)
    found = 0
    for _ in range(queries):
        self_id = ids[rng.randrange(len(ids))]
        mine = matrix[ids == self_id]
        query = mine.mean(axis=0)
        query /= np.linalg.norm(query)
        scores = matrix @ query
        best = {}
        for conversation, score in zip(ids, scores):
            if conversation != self_id and score > best.get(conversation, -2):
                best[conversation] = score
        truth = set(sorted(best, key=best.get, reverse=True)[:10])
        got = {r["conversation_id"] for r in api(service, "/api/v1/search/conversations?"
                                                   + urllib.parse.urlencode({"like": self_id, "k": 10}))["results"]}
        found += len(truth & got)
    return found / (queries * 10)


def ingest_case(events, settled=False):
    """Seconds to store `events` events and events/10 messages, search off then on. `settled`: the
    search-on replica first reads the vectors already stored (else it builds its index meanwhile)."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for enabled in (False, True):
            tag = f"s{int(enabled)}{int(time.time())}"
            resp_events, _ = bench.write_event_files(events, tag, tmp)
            messages_path = Path(tmp) / f"messages-{tag}.resp"
            rng = random.Random(9)
            with open(messages_path, "wb") as out:
                for i in range(events // 10):
                    out.write(bench.resp("XADD", bench.STREAMS["messages"], "*", "message_id", f"bi-{tag}-{i}",
                                         "conversation_id", f"bic-{tag}-{i // 10}", "role", "user" if i % 2 == 0 else "assistant",
                                         "content", sentence(rng, rng.choice(list(TOPICS))), "agent_id", "agent-bench"))
            bench.reset_streams()
            # the search-off run's messages would be backfilled during the search-on run: not what is measured
            bench.psql("DELETE FROM training_data.training_messages WHERE message_id LIKE 'bi-%'")
            with bench.services(1, search_env(enabled)) as started:
                if enabled and settled:
                    # steady state: this replica has read the vectors stored before it started
                    deadline = time.time() + 600
                    while not api(started[0], "/api/v1/search/status")["caught_up"] and time.time() < deadline:
                        time.sleep(0.5)
                start = time.time()
                bench.publish(resp_events)
                bench.publish(messages_path)
                bench.wait_rows("training_events", events, where=f"event_id LIKE 'bench-{tag}-%'")
                bench.wait_rows("training_messages", events // 10, where=f"message_id LIKE 'bi-{tag}-%'")
                results[enabled] = time.time() - start
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--latency-only", action="store_true",
                        help="only the latency case, on the vectors an earlier run stored")
    parser.add_argument("--ingest-only", action="store_true",
                        help="only the ingest case (on the vectors earlier runs stored), as a replica starts and settled")
    args = parser.parse_args()
    if not bench.JAR.exists():
        sys.exit("build first: ./mvnw -B -q package -DskipTests")
    if args.latency_only:
        with bench.services(1, search_env(True)) as (service,):
            # nothing left to embed (a backlog would share the cores) and every vector read
            while True:
                status = api(service, "/api/v1/search/status")
                if status["caught_up"] and status["pending"] == 0 and status["indexed"] >= int(bench.psql(
                        "SELECT count(*) FROM training_data.search_vectors")):
                    break
                time.sleep(1)
            indexed = api(service, "/api/v1/search/status")["indexed"]
            for label in ("as soon as the index has read every vector", "again, 60 s later (background merges done)"):
                latency = latency_case(service)
                print(f"- search latency over {indexed:,} messages, {latency['queries']} queries by text, k=10, {label}:"
                      f" HNSW p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms (target p99 < 50 ms)")
                time.sleep(60)
        return
    if args.ingest_only:
        for settled in (False, True):
            r = ingest_case(args.events, settled)
            print(f"- ingest of {args.events:,} events + {args.events // 10:,} messages"
                  f" ({'index read before publishing' if settled else 'the replica builds its index meanwhile'}):"
                  f" {r[False]:.1f} s with search off, {r[True]:.1f} s on: {r[False] / r[True]:.2f} x (target >= 0.9)")
        return
    bench.prepare_database()
    e = embedding_case(args.messages)
    lines = [f"## Semantic search ({bench.machine() if hasattr(bench, 'machine') else 'this machine'}; busy shared machine)", "",
             f"- embedding throughput: {e['rate']:.0f} messages/s ({e['n']:,} messages in {e['seconds']:.0f} s, 1 worker thread)",
             f"- index of {e['n']:,} messages: directory {e['index_mib']:.0f} MiB (memory-mapped, page cache);"
             f" live heap {e['heap_on']:.0f} MiB with search on against {e['heap_off']:.0f} MiB off"
             f" (index files: {e['index_mib'] * 100_000 / e['n']:.0f} MiB per 100,000 messages; the heap difference"
             f" is mostly fixed at small sizes: compare runs of different sizes)",
             f"- search latency over {e['n']:,} messages, {e['latency']['queries']} queries by text, k=10:"
             f" HNSW p50 {e['latency']['p50']:.1f} ms, p99 {e['latency']['p99']:.1f} ms (target p99 < 50 ms);"
             f" exact scan p50 {e['exact']['p50']:.1f} ms, p99 {e['exact']['p99']:.1f} ms",
             f"- recall@10 of `like` (HNSW) against exact cosine over every vector: {e['recall']:.3f} (target >= 0.95)"]
    if not args.skip_ingest:
        r = ingest_case(args.events)
        lines.append(f"- ingest of {args.events:,} events + {args.events // 10:,} messages: {r[False]:.1f} s with search off,"
                     f" {r[True]:.1f} s on: {r[False] / r[True]:.2f} x (target >= 0.9)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
