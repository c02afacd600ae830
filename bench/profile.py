#!/usr/bin/env python3
"""One download profiled with JFR, on data a benchmark case already loaded.

  BENCH_DB=training_bench python3 bench/profile.py PATH_AND_QUERY OUT.jfr [--runs N]

Starts the service on BENCH_DB (as bench.py does) with a JFR recording (settings=profile: CPU
samples every 10-20 ms and allocation samples), downloads PATH_AND_QUERY N times after one
warm-up download, stops the service (the recording is written at exit) and prints
bench/jfr_summary.py's summary. Example: `BENCH_DB=training_bench_redaction BENCH_PORT=18180
python3 bench/profile.py '/api/v1/export/events?redact=all' /tmp/redact.jfr`.
"""
import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("recording")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    auth = [f"Authorization: Bearer {bench.TOKEN}"]
    with bench.services(1) as started:
        url = f"http://localhost:{started[0].port}{args.path}"
        bench.timed_download(url, auth)  # warm-up (JIT), outside the recording
        bench.sh("jcmd", str(started[0].process.pid), "JFR.start", "name=profile", "settings=profile",
                 f"filename={args.recording}")
        for _ in range(args.runs):
            size, seconds = bench.timed_download(url, auth)
            bench.log(f"{args.path}: {size / 1e6:.1f} MB in {seconds:.2f} s")
        bench.sh("jcmd", str(started[0].process.pid), "JFR.stop", "name=profile")
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "jfr_summary.py"), args.recording],
                   check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
