#!/usr/bin/env python3
"""Dataset versions (contract 6.4) on the conversations benchmark's data.

  python3 bench/versions.py [--quick]

Loads the datasets case's data (bench.py: 100,000 conversations of 10 messages; --quick 5,000)
into the benchmark database, starts the service and measures, median of 3 runs (--quick one):
- build: POST a version of the whole conversations dataset until it is ready, against the same
  dataset's GET downloaded whole (target: build <= 1.25 x GET);
- download: GET .../lines whole against psql reading (a) the stored chunks, `COPY (SELECT data FROM
  dataset_version_chunks WHERE version_id = ... ORDER BY chunk_no) TO STDOUT`, and (b) the same
  bytes as the version's lines stored uncompressed, one row per line, `COPY ... TO STDOUT`
  (target: >= 0.8 x); rates are of the version's own (uncompressed) bytes per second;
- heap: live heap after a full GC while idle, then the heap used sampled during the builds and
  downloads and the live heap after them (target: growth < 64 MiB).
The version's SHA-256 is checked against the dataset's GET once. Prints a section for RESULTS.md.
"""
import argparse
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the shared harness: database, service, downloads)

VERSIONS = "/api/v1/datasets/versions"


def call(service, method, path, body=None):
    request = urllib.request.Request(f"http://localhost:{service.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {bench.TOKEN}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
        return json.loads(data) if data else None


def build(service, label):
    """(manifest, seconds) of one version of the whole conversations dataset, POST to ready."""
    start = time.time()
    manifest = call(service, "POST", VERSIONS, {"name": f"bench {label}", "dataset": "conversations", "parameters": {}})
    while manifest["status"] == "building":
        time.sleep(0.05)
        manifest = call(service, "GET", f"{VERSIONS}/{manifest['id']}")
    seconds = time.time() - start
    if manifest["status"] != "ready":
        raise RuntimeError(f"version {manifest['id']} {manifest['status']}: {manifest.get('error')}")
    return manifest, seconds


def sha256_of(url, auth):
    digest = hashlib.sha256()
    with subprocess.Popen(["curl", "-fsS", "-H", auth, url], stdout=subprocess.PIPE) as curl:
        while block := curl.stdout.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def copy_chunks(version_id):
    """(stored bytes, seconds) of psql reading the version's chunks: COPY (SELECT data ...) TO STDOUT."""
    sql = (f"COPY (SELECT data FROM training_data.dataset_version_chunks WHERE version_id = {int(version_id)}"
           " ORDER BY chunk_no) TO STDOUT (FORMAT binary)")
    start = time.time()
    out = bench.sh("bash", "-c", f"set -o pipefail; psql -h localhost -U postgres -d {bench.DB} -qX -v ON_ERROR_STOP=1"
                   f" -c '{sql}' | wc -c")
    return int(out), time.time() - start


# The version's lines as rows of one text column, read back byte for byte: CSV with a quote and a
# delimiter that JSON lines never hold, so nothing is escaped either way.
LINES_FORMAT = "FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'"


def copy_lines(url, auth, expected_bytes):
    """(bytes, seconds) of psql reading the version's own bytes stored as plain rows (loaded first)."""
    psql = f"psql -h localhost -U postgres -d {bench.DB} -qX -v ON_ERROR_STOP=1"
    bench.psql("DROP TABLE IF EXISTS bench_version_lines; CREATE UNLOGGED TABLE bench_version_lines (line text)")
    bench.sh("bash", "-c", f"set -o pipefail; curl -fsS -H '{auth}' '{url}' | {psql}"
             f" -c \"COPY bench_version_lines FROM STDIN ({LINES_FORMAT})\"")
    start = time.time()
    out = bench.sh("bash", "-c", f"set -o pipefail; {psql} -c \"COPY bench_version_lines TO STDOUT ({LINES_FORMAT})\""
                   " | wc -c")
    seconds = time.time() - start
    bench.psql("DROP TABLE bench_version_lines")
    if int(out) != expected_bytes:
        raise RuntimeError(f"psql read {out} bytes of the version's lines, not {expected_bytes}")
    return int(out), seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 conversations, one run: a smoke test")
    parser.add_argument("--runs", type=int, help="runs to take the median of (default 3, --quick 1)")
    args = parser.parse_args()
    n = 5_000 if args.quick else 100_000
    runs = args.runs or (1 if args.quick else 3)
    if not bench.JAR.exists():
        bench.sh(str(bench.ROOT / "mvnw"), "-q", "-B", "-DskipTests", "package", capture=False)
    bench.prepare_database()
    bench.psql("DELETE FROM training_data.dataset_versions WHERE name LIKE 'bench %'")
    messages, _ = bench.load_conversations(n)
    auth = f"Authorization: Bearer {bench.TOKEN}"
    gets, builds, downloads, copies, lines = [], [], [], [], []
    with bench.services(1) as started:
        service = started[0]
        base = f"http://localhost:{service.port}"
        dataset_url = f"{base}/api/v1/datasets/conversations"
        time.sleep(2)
        idle = service.live_heap()
        with service.sampling(0.5) as samples:
            for run in range(runs):
                size, seconds = bench.timed_api(dataset_url, [auth])
                gets.append((size, seconds))
                bench.log(f"versions: dataset GET {size / 1e6:.0f} MB in {seconds:.1f} s")
                manifest, seconds = build(service, f"run {run}")
                builds.append(seconds)
                bench.log(f"versions: build {manifest['bytes'] / 1e6:.0f} MB, {manifest['lines']:,} lines in {seconds:.1f} s")
                size, seconds = bench.timed_api(f"{base}{VERSIONS}/{manifest['id']}/lines", [auth])
                if size != manifest["bytes"]:
                    raise RuntimeError(f"downloaded {size} bytes, the manifest says {manifest['bytes']}")
                downloads.append(seconds)
                stored, seconds = copy_chunks(manifest["id"])
                copies.append((stored, seconds))
                lines.append(copy_lines(f"{base}{VERSIONS}/{manifest['id']}/lines", auth, manifest["bytes"])[1])
                bench.log(f"versions: download {downloads[-1]:.1f} s; psql COPY of the {stored / 1e6:.0f} MB stored"
                          f" {seconds:.1f} s; psql COPY of the same bytes as rows {lines[-1]:.1f} s")
        after = service.live_heap()
        peak = max(sample[1] for sample in samples)
        if manifest["lines"] != n or sha256_of(dataset_url, auth) != manifest["sha256"]:
            raise RuntimeError("the version is not the dataset's GET")
        for run in range(runs):
            call(service, "DELETE", f"{VERSIONS}/{int(manifest['id']) - runs + 1 + run}")
    size = manifest["bytes"]
    get_s, build_s = bench.median([s for _, s in gets]), bench.median(builds)
    download_s, copy_s = bench.median(downloads), bench.median([s for _, s in copies])
    stored = copies[-1][0]
    print(f"\n## Dataset versions: build and download\n\n{n:,} conversations ({messages:,} messages),"
          f" one version of the whole conversations dataset ({size / 1e6:.0f} MB, {stored / 1e6:.0f} MB stored"
          f" zstd), {'one run' if runs == 1 else f'median of {runs} runs'}; `python3 bench/versions.py"
          f"{' --quick' if args.quick else ''}{f' --runs {args.runs}' if args.runs else ''}`. Machine: {bench.machine()}.\n")
    print("| case | store | reference (same run) | ratio | target |\n|---|---|---|---|---|")
    print(f"| build (POST to ready) | {build_s:.1f} s | the dataset's GET {get_s:.1f} s | {build_s / get_s:.2f} x time"
          " | <= 1.25 |")
    print(f"| download .../lines | {size / download_s / 1e6:.1f} MB/s | psql COPY of the stored chunks"
          f" {size / copy_s / 1e6:.1f} MB/s of version bytes ({stored / copy_s / 1e6:.1f} MB/s stored) |"
          f" {copy_s / download_s:.2f} x rate | >= 0.8 |")
    print(f"| download .../lines | same | psql COPY of the same bytes stored as plain rows"
          f" {size / bench.median(lines) / 1e6:.1f} MB/s | {bench.median(lines) / download_s:.2f} x rate | >= 0.8 |")
    print(f"| heap | live {idle:.0f} MiB idle, {after:.0f} MiB after; heap used peak {peak:.0f} MiB |"
          f" growth {after - idle:.0f} MiB live, {peak - idle:.0f} MiB peak | - | < 64 MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
