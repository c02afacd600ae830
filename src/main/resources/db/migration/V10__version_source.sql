-- Where a dataset version's snapshot was read (docs/deploying.md "Read replica"):
-- {"replica": false} on the primary, or {"replica": true, "replay_lsn": "0/3000060",
-- "replay_at": "<last replayed commit>"} on a streaming replica. NULL for versions built before.
ALTER TABLE training_data.dataset_versions ADD COLUMN source jsonb;
