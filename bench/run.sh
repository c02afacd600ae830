#!/usr/bin/env bash
# Benchmarks: bench/run.sh [--quick] [--case datasets|ingest|export-merged|export|python|lifecycle|parquet|redaction|replica|trajectories|preferences|search]. See bench/bench.py, bench/http_ingest.py and
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Python client's publishing (bench/python_client.py), with an interpreter that has redis-py.
if [[ " $* " == *" --case python "* ]]; then
  python3 -c 'import redis.asyncio' 2>/dev/null && py=python3 || py=/usr/bin/python3
  exec "$py" bench/python_client.py "$@"
fi
# --case lifecycle: only retention, partitioning and analytics (bench/lifecycle.py, its own section).
if [[ " $* " == *" --case lifecycle "* ]]; then
  exec python3 bench/lifecycle.py $([[ " $* " == *" --quick "* ]] && echo --quick)
fi
# --case parquet: Parquet exports against CSV, JSONL and psql \copy (bench/parquet.py).
if [[ " $* " == *" --case parquet "* ]]; then
  exec python3 bench/parquet.py "$@"
fi
# --case trajectories: the trajectories dataset on the datasets case's tasks (bench/trajectories.py).
if [[ " $* " == *" --case trajectories "* ]]; then
  exec python3 bench/trajectories.py $(printf "%s\n" "$@" | grep -v -x -e --case -e trajectories)
fi
# --case preferences: the preferences dataset against the conversations dataset (bench/preferences.py).
if [[ " $* " == *" --case preferences "* ]]; then
  exec python3 bench/preferences.py $([[ " $* " == *" --quick "* ]] && echo --quick)
fi
# --case replica: ingest under a large export and a dataset, reads on a replica vs not (bench/replica.py).
if [[ " $* " == *" --case replica "* ]]; then
  exec python3 bench/replica.py "$@"
fi
# --case search: semantic search (bench/search.py): embedding, index memory, latency, recall, ingest on/off.
if [[ " $* " == *" --case search "* ]]; then
  args=(); [[ " $* " == *" --quick "* ]] && args=(--messages 20000 --events 100000)
  exec python3 bench/search.py "${args[@]}"
fi
# --case redaction: export with redact=all against without (bench/redaction.py), nothing else.
if [[ " $* " == *" --case redaction "* ]]; then
  exec python3 bench/redaction.py "$@"
fi
python3 bench/bench.py "$@"
# HTTP ingest in requests of 1, 100 and 10,000 records (its own figures, bench/RESULTS-http-ingest*.md);
# not when one case of bench.py was asked for.
quick=()
for arg in "$@"; do
  if [ "$arg" = "--quick" ]; then quick=(--quick); fi
  if [ "$arg" = "--case" ]; then exit 0; fi
done
python3 bench/lifecycle.py "${quick[@]}"
python3 bench/trajectories.py "${quick[@]}"
exec python3 bench/http_ingest.py "${quick[@]}"
