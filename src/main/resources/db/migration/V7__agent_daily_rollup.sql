-- A daily rollup of the insert-once kinds (events, messages) per agent, so that agent_daily does
-- not count every event of its range (2 s over 1,000,000 events; 1 s is the target).
--
-- Kept by the database itself, so every writer keeps it right: the store's batches (INSERT or
-- COPY), retention's deletes, restore_archived, an operator's SQL. Statement-level triggers with
-- transition tables add one row per (day, agent) a statement touches: +n for inserted rows, -n for
-- deleted ones (an UPDATE is both). Rows are only ever appended, never updated in place, so two
-- batches (two consumers, two replicas) never wait for each other on a counter row; the store folds
-- them from time to time (compact_agent_day_counts, analytics.AgentDayCompaction). The sum over a
-- (day, agent, kind) is the count of its rows at any snapshot, compacted or not.
-- Tasks and tool executions are merged kinds (rows move between days as newer records arrive) and
-- 100 times fewer: agent_daily still counts them from their tables.

CREATE TABLE training_data.agent_day_counts (
    day      date   NOT NULL,
    agent_id text   NOT NULL,
    kind     text   NOT NULL CHECK (kind IN ('events', 'messages')),
    records  bigint NOT NULL
);
CREATE INDEX agent_day_counts_day ON training_data.agent_day_counts (day, agent_id);

-- The rows of one statement, counted per UTC day and agent, with the sign of the change.
-- Messages without an agent_id count for no agent (as in agent_daily before the rollup).
CREATE FUNCTION training_data.count_agent_days() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    counted_kind text := TG_ARGV[0];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO training_data.agent_day_counts (day, agent_id, kind, records)
        SELECT training_data.utc_day(occurred_at), agent_id, counted_kind, -count(*)
          FROM old_rows WHERE agent_id IS NOT NULL GROUP BY 1, 2;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO training_data.agent_day_counts (day, agent_id, kind, records)
        SELECT training_data.utc_day(occurred_at), agent_id, counted_kind, count(*)
          FROM new_rows WHERE agent_id IS NOT NULL GROUP BY 1, 2;
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE fires no row triggers: drop the kind's counts. The compaction's lock first, so a
-- compaction in flight cannot put back what this removes.
CREATE FUNCTION training_data.forget_agent_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('training_data.agent_day_counts'));
    DELETE FROM training_data.agent_day_counts WHERE kind = TG_ARGV[0];
    RETURN NULL;
END
$$;

-- One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER events_counted_in AFTER INSERT ON training_data.training_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('events');
CREATE TRIGGER events_counted_out AFTER DELETE ON training_data.training_events
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('events');
CREATE TRIGGER events_counted_again AFTER UPDATE ON training_data.training_events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('events');
CREATE TRIGGER events_forgotten AFTER TRUNCATE ON training_data.training_events
    FOR EACH STATEMENT EXECUTE FUNCTION training_data.forget_agent_days('events');

CREATE TRIGGER messages_counted_in AFTER INSERT ON training_data.training_messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('messages');
CREATE TRIGGER messages_counted_out AFTER DELETE ON training_data.training_messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('messages');
CREATE TRIGGER messages_counted_again AFTER UPDATE ON training_data.training_messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION training_data.count_agent_days('messages');
CREATE TRIGGER messages_forgotten AFTER TRUNCATE ON training_data.training_messages
    FOR EACH STATEMENT EXECUTE FUNCTION training_data.forget_agent_days('messages');

-- The rows stored before this migration (the triggers above hold the tables' lock until it commits,
-- so no batch slips between the count and the triggers).
INSERT INTO training_data.agent_day_counts (day, agent_id, kind, records)
SELECT training_data.utc_day(occurred_at), agent_id, 'events', count(*)
  FROM training_data.training_events GROUP BY 1, 2;
INSERT INTO training_data.agent_day_counts (day, agent_id, kind, records)
SELECT training_data.utc_day(occurred_at), agent_id, 'messages', count(*)
  FROM training_data.training_messages WHERE agent_id IS NOT NULL GROUP BY 1, 2;

-- Folds the appended counts into one row per (day, agent, kind), dropping those that sum to zero.
-- One statement: counts appended meanwhile are not in its snapshot and stay as they are. Returns
-- the rows folded away. Under a transaction lock, so that two replicas never fold at once (the
-- second answers 0 at once) and a TRUNCATE waits for it.
CREATE FUNCTION training_data.compact_agent_day_counts() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    rows_before bigint;
    rows_after bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('training_data.agent_day_counts')) THEN
        RETURN 0;
    END IF;
    WITH folded AS (
        DELETE FROM training_data.agent_day_counts RETURNING day, agent_id, kind, records
    ), kept AS (
        INSERT INTO training_data.agent_day_counts (day, agent_id, kind, records)
        SELECT day, agent_id, kind, sum(records) FROM folded GROUP BY 1, 2, 3 HAVING sum(records) <> 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM folded), (SELECT count(*) FROM kept) INTO rows_before, rows_after;
    RETURN rows_before - rows_after;
END
$$;

-- agent_daily with events and messages from the rollup; the same columns and rows as V4's.
CREATE OR REPLACE FUNCTION training_data.agent_daily_between(day_from date, day_to date, only_agents text[])
RETURNS TABLE (day date, agent_id text, events bigint, tasks bigint, tasks_by_status jsonb,
               tool_executions bigint, tool_errors bigint, messages bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT day, agent_id,
           sum(events)::bigint,
           sum(tasks)::bigint,
           coalesce(jsonb_object_agg(status, tasks) FILTER (WHERE status IS NOT NULL), '{}'::jsonb),
           sum(tool_executions)::bigint,
           sum(tool_errors)::bigint,
           sum(messages)::bigint
    FROM (
        SELECT c.day, c.agent_id, coalesce(sum(c.records) FILTER (WHERE c.kind = 'events'), 0) AS events,
               0::bigint AS tasks, NULL::text AS status, 0::bigint AS tool_executions, 0::bigint AS tool_errors,
               coalesce(sum(c.records) FILTER (WHERE c.kind = 'messages'), 0) AS messages
          FROM training_data.agent_day_counts c
         WHERE c.day >= day_from AND c.day < day_to
           AND (only_agents IS NULL OR c.agent_id = ANY(only_agents))
         GROUP BY 1, 2
        HAVING coalesce(sum(c.records) FILTER (WHERE c.kind = 'events'), 0) <> 0
            OR coalesce(sum(c.records) FILTER (WHERE c.kind = 'messages'), 0) <> 0
        UNION ALL
        SELECT training_data.utc_day(t.occurred_at), t.agent_id, 0, count(*), t.status, 0, 0, 0
          FROM training_data.training_tasks t
         WHERE t.occurred_at >= training_data.utc_day_start(day_from)
           AND t.occurred_at < training_data.utc_day_start(day_to)
           AND (only_agents IS NULL OR t.agent_id = ANY(only_agents))
         GROUP BY 1, 2, t.status
        UNION ALL
        SELECT training_data.utc_day(x.occurred_at), x.agent_id, 0, 0, NULL, count(*),
               count(*) FILTER (WHERE training_data.is_tool_error(x.error, x.status)), 0
          FROM training_data.training_tool_executions x
         WHERE x.occurred_at >= training_data.utc_day_start(day_from)
           AND x.occurred_at < training_data.utc_day_start(day_to)
           AND (only_agents IS NULL OR x.agent_id = ANY(only_agents))
         GROUP BY 1, 2
    ) AS parts
    GROUP BY day, agent_id
$$;
