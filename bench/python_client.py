#!/usr/bin/env python3
"""Publish throughput of the Python client (clients/python): records/s from the call to Redis'
answer, awaited one at a time, and in batches (one pipelined round trip each); the synchronous
twin alike; against raw redis-py XADDs of the same, already encoded, entries as the reference.

    bench/run.sh --case python [--quick]     (or python3 bench/python_client.py [--quick])

Publishes to bench-only stream keys that no store reads (this measures the client, not the
store's ingest: see bench.py for that) and deletes them after each case. Redis from
TRAINING_STORE_REDIS_URL (default redis://localhost:6379). Prints a Markdown table.
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients" / "python"))

import redis  # noqa: E402
import redis.asyncio  # noqa: E402

from training_store import Settings, SyncTrainingDataStore, TrainingDataStore  # noqa: E402
from training_store.kinds import EVENTS  # noqa: E402
from training_store.validation import encode_record  # noqa: E402

BATCH = 1_000
REDIS_URL = os.environ.get("TRAINING_STORE_REDIS_URL", "redis://localhost:6379")


def record(i: int) -> dict:
    """A typical event: ~300 bytes of JSON payload."""
    return dict(event_type="tool_called", agent_id=f"agent-{i % 50}", task_id=f"task-{i // 10}",
                payload={"tool": "code_search", "query": f"def handler_{i}", "hits": i % 17,
                         "files": [f"src/module_{i % 13}/file_{j}.py" for j in range(4)],
                         "elapsed_ms": 12.5 + i % 100, "ok": True},
                occurred_at=datetime.now(timezone.utc))


def settings(key: str) -> Settings:
    return Settings(redis_url=REDIS_URL, streams={"events": key})


async def async_single(key, records):
    async with TrainingDataStore(settings(key)) as store:
        start = time.perf_counter()
        for fields in records:
            await store.store_agent_event(**fields)
        return time.perf_counter() - start


async def async_concurrent(key, records, in_flight=100):
    async with TrainingDataStore(settings(key)) as store:
        start = time.perf_counter()
        for i in range(0, len(records), in_flight):
            await asyncio.gather(*(store.store_agent_event(**fields) for fields in records[i:i + in_flight]))
        return time.perf_counter() - start


async def async_batched(key, records):
    async with TrainingDataStore(settings(key)) as store:
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            async with store.batch() as batch:
                for fields in records[i:i + BATCH]:
                    batch.store_agent_event(**fields)
        return time.perf_counter() - start


def sync_single(key, records):
    with SyncTrainingDataStore(settings(key)) as store:
        start = time.perf_counter()
        for fields in records:
            store.store_agent_event(**fields)
        return time.perf_counter() - start


def sync_batched(key, records):
    with SyncTrainingDataStore(settings(key)) as store:
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            with store.batch() as batch:
                for fields in records[i:i + BATCH]:
                    batch.store_agent_event(**fields)
        return time.perf_counter() - start


def validate_only(key, records):
    start = time.perf_counter()
    for fields in records:
        encode_record(EVENTS, fields)
    return time.perf_counter() - start


def raw_entries(records):
    """The entries the client sends, encoded beforehand (json.dumps, no validation)."""
    return [{"data": json.dumps(dict(fields, occurred_at=fields["occurred_at"].isoformat()),
                                separators=(",", ":"))} for fields in records]


async def raw_async_single(key, entries):
    client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    start = time.perf_counter()
    for entry in entries:
        await client.xadd(key, entry)
    elapsed = time.perf_counter() - start
    await client.close()
    await client.connection_pool.disconnect()
    return elapsed


async def raw_async_batched(key, entries):
    client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    start = time.perf_counter()
    for i in range(0, len(entries), BATCH):
        async with client.pipeline(transaction=False) as pipe:
            for entry in entries[i:i + BATCH]:
                pipe.xadd(key, entry)
            await pipe.execute()
    elapsed = time.perf_counter() - start
    await client.close()
    await client.connection_pool.disconnect()
    return elapsed


def measure(case, n, runs):
    """Median records/s over runs; checks every record arrived (the stream's length)."""
    rates = []
    for _ in range(runs):
        key = f"bench-pyclient-{secrets.token_hex(4)}:events"
        records = [record(i) for i in range(n)]
        argument = raw_entries(records) if case.__name__.startswith("raw_") else records
        client = redis.Redis.from_url(REDIS_URL)
        try:
            result = case(key, argument)
            elapsed = asyncio.run(result) if asyncio.iscoroutine(result) else result
            if case is not validate_only:
                length = client.xlen(key)
                assert length == n, f"{case.__name__}: {length} entries of {n}"
        finally:
            client.delete(key)
            client.close()
        rates.append(n / elapsed)
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small counts, one run: a smoke test")
    parser.add_argument("--case", default="python", help=argparse.SUPPRESS)  # as bench/run.sh passes it
    args = parser.parse_args()
    single_n, batched_n, runs = (2_000, 20_000, 1) if args.quick else (5_000, 50_000, 3)
    rows = [
        ("async, one `await store.store_agent_event(...)` at a time", async_single, single_n,
         "raw redis.asyncio XADD, one at a time", raw_async_single),
        ("async, 100 awaits in flight (`asyncio.gather`)", async_concurrent, single_n,
         "raw redis.asyncio XADD, one at a time", raw_async_single),
        (f"async, `store.batch()` of {BATCH:,} (one pipelined round trip)", async_batched, batched_n,
         f"raw redis.asyncio pipeline of {BATCH:,} XADD", raw_async_batched),
        ("sync twin, one call at a time", sync_single, single_n, None, None),
        (f"sync twin, `store.batch()` of {BATCH:,}", sync_batched, batched_n, None, None),
        ("validation and encoding alone (no Redis)", validate_only, batched_n, None, None),
    ]
    references = {}
    print(f"Python client publish throughput, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"`bench/run.sh --case python{' --quick' if args.quick else ''}`; "
          f"{'one run' if args.quick else 'median of 3 runs'}; Python {platform.python_version()}, "
          f"redis-py {redis.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the "
          f"start; Redis {REDIS_URL}. Events of ~400 bytes "
          "(a JSON payload, a datetime occurred_at), from the call to Redis' answer.\n")
    print("| case | records | client | reference (same run) | ratio |")
    print("|---|---|---|---|---|")
    for name, case, n, reference_name, reference in rows:
        rate = measure(case, n, runs)
        if reference is not None:
            if reference not in references:
                references[reference] = measure(reference, n, runs)
            shown_reference = f"{reference_name}: {references[reference]:,.0f} records/s"
            ratio = f"{rate / references[reference]:.2f}"
        else:
            shown_reference, ratio = "-", "-"
        print(f"| {name} | {n:,} | {rate:,.0f} records/s | {shown_reference} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
