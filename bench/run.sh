#!/usr/bin/env bash
# Benchmarks: bench/run.sh [--quick] [--case datasets]. See bench/bench.py and the README's Performance section.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
