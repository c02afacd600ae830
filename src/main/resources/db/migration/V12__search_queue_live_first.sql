-- Messages stored while search is on are embedded before the backfill's backlog (docs/search.md).
-- Ids alone did not say it: the backfill's INSERT ... SELECT sorts every message without a vector
-- before it takes its first id, so messages queued by the trigger during that sort got lower ids
-- than the whole backlog and waited behind it (minutes on a large store).
ALTER TABLE training_data.search_queue ADD COLUMN backfill boolean NOT NULL DEFAULT false;
CREATE INDEX search_queue_claim_order ON training_data.search_queue (backfill, id DESC);
