#!/usr/bin/env bash
# First ingest figure: publishes N events (default 100,000) with redis-cli --pipe into a running
# store and reports the time from the first XADD to the last row committed, and that every event
# is stored exactly once. Needs the service running (see the README) and psql + redis-cli.
set -euo pipefail
N=${1:-100000}
STREAM=${STREAM:-training:events}
PSQL=(psql -h "${PGHOST:-localhost}" -U "${PGUSER:-postgres}" -d "${PGDATABASE:-postgres}" -qtA)
TAG=$(date +%s%N | sha1sum | cut -c1-8)
here=$(cd "$(dirname "$0")" && pwd)

python3 "$here/bench.py" --resp-events "$N" "$STREAM" "$TAG" > "/tmp/events-$TAG.resp"
start=$("${PSQL[@]}" -c "SELECT clock_timestamp()")
redis-cli --pipe < "/tmp/events-$TAG.resp" > /dev/null
published=$("${PSQL[@]}" -c "SELECT clock_timestamp()")
until [ "$("${PSQL[@]}" -c "SELECT count(*) FROM training_data.training_events WHERE event_id LIKE 'bench-$TAG-%'")" -ge "$N" ]; do
  sleep 0.2
done
"${PSQL[@]}" -F ' ' -c "
  SELECT 'events published:        ' || $N,
         E'\nrows stored:             ' || count(*),
         E'\ndistinct event ids:      ' || count(DISTINCT event_id),
         E'\npublish took (s):        ' || round(extract(epoch FROM '$published'::timestamptz - '$start'::timestamptz)::numeric, 2),
         E'\nfirst XADD to last commit (s): ' || round(extract(epoch FROM max(ingested_at) - '$start'::timestamptz)::numeric, 2),
         E'\nrows/s:                  ' || round($N / extract(epoch FROM max(ingested_at) - '$start'::timestamptz)::numeric)
  FROM training_data.training_events WHERE event_id LIKE 'bench-$TAG-%'"
rm -f "/tmp/events-$TAG.resp"
