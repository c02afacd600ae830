#!/usr/bin/env python3
"""Profiles one ingest of N waiting events with JFR, and prints what a row costs.

  python3 bench/profile_ingest.py [--jar DIR/quarkus-run.jar] [--events N] [--out FILE.jfr]

Publishes N bench events (bench/bench.py's), starts the service with a flight recording (CPU
samples every 2 ms, allocation samples), waits until every row is stored, then prints rows/s, the
JVM's CPU a row from readiness to the last row (/proc), and the recording's summary over the
ingest window (bench/JfrSummary.java: CPU by area, top frames, allocation a row by area and class).
Uses its own database and streams (BENCH_DB, default ingest_prof). Figures in bench/RESULTS.md.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("BENCH_DB", "ingest_prof")
os.environ.setdefault("BENCH_PORT", "18380")
os.environ.setdefault("BENCH_START_SECONDS", "300")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def jvm_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jar", default=str(bench.JAR))
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--out", default=str(bench.ROOT / "target" / "ingest.jfr"))
    args = parser.parse_args()
    bench.JAR = Path(args.jar)
    n = args.events
    settings = Path(args.out).with_suffix(".jfc")
    subprocess.run(["jfr", "configure", "--input", "profile", "jdk.ExecutionSample#period=2ms", "--output",
                    str(settings)], check=True, stdout=subprocess.DEVNULL)
    bench.prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        resp_path, _ = bench.write_event_files(n, "p", tmp)
        bench.reset_streams()
        bench.truncate("training_events")
        bench.publish(resp_path)
        env = {"JAVA_TOOL_OPTIONS": f"-XX:StartFlightRecording=settings={settings},filename={args.out},dumponexit=true"}
        with bench.services(1, env) as started:
            before_ready = int(bench.psql("SELECT count(*) FROM training_data.training_events"))
            cpu_at_ready = jvm_cpu_seconds(started[0].process.pid)
            bench.wait_rows("training_events", n)
            jvm = jvm_cpu_seconds(started[0].process.pid) - cpu_at_ready
    rate = n / bench.ingest_seconds("training_events")
    bench.reset_streams()
    print(f"{n:,} events: {rate:,.0f} rows/s; JVM CPU {jvm * 1e6 / max(1, n - before_ready):.1f} µs a row after"
          f" readiness ({before_ready:,} rows stored before it); load average {os.getloadavg()[0]:.1f}")
    subprocess.run(["java", str(Path(__file__).resolve().parent / "JfrSummary.java"), args.out, str(n)], check=True)


if __name__ == "__main__":
    sys.exit(main())
