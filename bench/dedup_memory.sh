#!/usr/bin/env bash
# Heap growth of dedup's state for 1,000,000 kept lines (exact, then near), measured on the
# component (dataset/dedup/DuplicateFilter) with distinct generated lines: see
# src/test/java/ai/trainingstore/dataset/dedup/DedupMemoryBench.java and docs/datasets.md.
#   bench/dedup_memory.sh [lines]
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"
./mvnw -q -B -o test-compile
./mvnw -q -B -o dependency:build-classpath -Dmdep.outputFile=target/dedup-bench.classpath -Dmdep.includeScope=test
cp="target/classes:target/test-classes:$(cat target/dedup-bench.classpath)"
for mode in exact near; do
  java -Xmx2g -XX:+UseG1GC -Djava.io.tmpdir="${TMPDIR:-/tmp}" -cp "$cp" ai.trainingstore.dataset.dedup.DedupMemoryBench "$mode" "$lines"
done
