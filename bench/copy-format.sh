#!/usr/bin/env bash
# COPY text against binary: psql \copy of the same 1,000,000 event rows (bench/bench.py's events) into
# the events table of V1 (same indexes), each format 3 times, interleaved. Server-side cost only; the
# store's binary COPY (store/BinaryCopy) also saves escaping and timestamp text in Java.
# Own database (COPY_FORMAT_DB, default bench_copy_format), dropped and created; ~1.3 GB in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${COPY_FORMAT_DB:-bench_copy_format}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
P="psql -h localhost -U postgres -d $DB -qtAX -v ON_ERROR_STOP=1"
psql -h localhost -U postgres -d postgres -qtAX -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
python3 - "$DIR" <<'PY'
import sys
v1 = open("src/main/resources/db/migration/V1__training_data_schema.sql").read()
ddl = v1[v1.index("CREATE TABLE training_data.training_events"):v1.index("CREATE TABLE training_data.training_tasks")]
open(sys.argv[1] + "/ddl.sql", "w").write("CREATE SCHEMA training_data;\n" + ddl)
sys.path.insert(0, "bench")
import bench
resp, _ = bench.write_event_files(1_000_000, "f", sys.argv[1])
import os; os.remove(resp)
PY
$P -f "$DIR/ddl.sql" > /dev/null
COLS=event_id,event_type,agent_id,task_id,workflow_id,session_id,payload,attributes,occurred_at,stream_entry_id
$P -c "\\copy training_data.training_events ($COLS) FROM '$DIR/events-f.csv' WITH (FORMAT csv)"
$P -c "\\copy training_data.training_events ($COLS) TO '$DIR/events.bin' WITH (FORMAT binary)"
$P -c "\\copy training_data.training_events ($COLS) TO '$DIR/events.txt' WITH (FORMAT text)"
for run in 1 2 3; do
  for format in text binary; do
    file=$DIR/events.txt; [ $format = binary ] && file=$DIR/events.bin
    $P -c "TRUNCATE training_data.training_events"; $P -c "CHECKPOINT"
    start=$(date +%s.%N)
    $P -c "\\copy training_data.training_events ($COLS) FROM '$file' WITH (FORMAT $format)"
    end=$(date +%s.%N)
    echo "run $run $format $(python3 -c "print(f'{1000000 / ($end - $start):,.0f}')") rows/s (load average $(cut -d' ' -f1 /proc/loadavg))"
  done
done
psql -h localhost -U postgres -d postgres -qtAX -c "DROP DATABASE $DB"
