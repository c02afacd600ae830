#!/usr/bin/env bash
# Benchmarks: bench/run.sh [--quick] [--case datasets|parquet]. See bench/bench.py, bench/http_ingest.py and
# the README's Performance section.
set -euo pipefail
cd "$(dirname "$0")/.."
# --case parquet: Parquet exports against CSV, JSONL and psql \copy (bench/parquet.py).
for arg in "$@"; do
  if [ "$arg" = "parquet" ]; then exec python3 bench/parquet.py "$@"; fi
done
python3 bench/bench.py "$@"
# HTTP ingest in requests of 1, 100 and 10,000 records (its own figures, bench/RESULTS-http-ingest*.md);
# not when one case of bench.py was asked for.
quick=()
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then quick=(--quick); fi
  if [ "$arg" = "--case" ]; then exit 0; fi
done
exec python3 bench/http_ingest.py "${quick[@]}"
