#!/usr/bin/env bash
# Benchmarks: bench/run.sh [--quick] [--case datasets|redaction]. See bench/bench.py, bench/http_ingest.py and
# the README's Performance section.
set -euo pipefail
cd "$(dirname "$0")/.."
# --case redaction: export with redact=all against without (bench/redaction.py), nothing else.
if [[ " $* " == *" --case redaction "* ]]; then exec python3 bench/redaction.py "$@"; fi
python3 bench/bench.py "$@"
# HTTP ingest in requests of 1, 100 and 10,000 records (its own figures, bench/RESULTS-http-ingest*.md);
# not when one case of bench.py was asked for.
quick=()
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then quick=(--quick); fi
  if [ "$arg" = "--case" ]; then exit 0; fi
done
exec python3 bench/http_ingest.py "${quick[@]}"
