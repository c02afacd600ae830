-- Analytics (contract section 8) and the restore of retention archives.
--
-- Each view is a parameterised function over the row tables plus a view that calls it over all
-- time: the API calls the function with its day range and agents, so the range becomes an
-- occurred_at condition that the (occurred_at, identity) indexes serve; SQL users query the view.
-- Both are LANGUAGE sql STABLE single SELECTs, which PostgreSQL inlines into the calling query, so
-- conditions on the view's columns are pushed down too. Days are UTC dates. A range
-- [day_from, day_to) on days is [day_from 00:00 UTC, day_to 00:00 UTC) on occurred_at.

-- A UTC day. IMMUTABLE: only a fixed zone, never the session's TimeZone, decides it.
CREATE FUNCTION training_data.utc_day(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (at AT TIME ZONE 'UTC')::date $$;

-- The start of a UTC day as an instant; -infinity and infinity stay so.
CREATE FUNCTION training_data.utc_day_start(day date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT day::timestamp AT TIME ZONE 'UTC' $$;

-- A tool execution is an error when it has an error text or its status says so.
CREATE FUNCTION training_data.is_tool_error(error text, status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(error, '') <> '' OR coalesce(status IN ('error', 'failed'), false)
$$;

-- Per UTC day and agent: events, tasks (and by status), tool executions and their errors, messages.
-- Tasks and tool executions count on their occurred_at, the time of their newest record.
CREATE FUNCTION training_data.agent_daily_between(day_from date, day_to date, only_agents text[])
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
        SELECT training_data.utc_day(e.occurred_at) AS day, e.agent_id, count(*) AS events, 0::bigint AS tasks,
               NULL::text AS status, 0::bigint AS tool_executions, 0::bigint AS tool_errors, 0::bigint AS messages
          FROM training_data.training_events e
         WHERE e.occurred_at >= training_data.utc_day_start(day_from)
           AND e.occurred_at < training_data.utc_day_start(day_to)
           AND (only_agents IS NULL OR e.agent_id = ANY(only_agents))
         GROUP BY 1, 2
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
        UNION ALL
        SELECT training_data.utc_day(m.occurred_at), m.agent_id, 0, 0, NULL, 0, 0, count(*)
          FROM training_data.training_messages m
         WHERE m.agent_id IS NOT NULL
           AND m.occurred_at >= training_data.utc_day_start(day_from)
           AND m.occurred_at < training_data.utc_day_start(day_to)
           AND (only_agents IS NULL OR m.agent_id = ANY(only_agents))
         GROUP BY 1, 2
    ) AS parts
    GROUP BY day, agent_id
$$;

-- Per UTC day and tool: executions, errors, error rate (a fraction) and duration_ms percentiles
-- (interpolated, percentile_cont) and maximum; null percentiles when no execution has a duration.
CREATE FUNCTION training_data.tool_daily_between(day_from date, day_to date, only_agents text[])
RETURNS TABLE (day date, tool_name text, executions bigint, errors bigint, error_rate double precision,
               p50_ms double precision, p95_ms double precision, max_ms bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT training_data.utc_day(x.occurred_at), x.tool_name, count(*),
           count(*) FILTER (WHERE training_data.is_tool_error(x.error, x.status)),
           (count(*) FILTER (WHERE training_data.is_tool_error(x.error, x.status)))::double precision / count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.duration_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY x.duration_ms),
           max(x.duration_ms)
      FROM training_data.training_tool_executions x
     WHERE x.occurred_at >= training_data.utc_day_start(day_from)
       AND x.occurred_at < training_data.utc_day_start(day_to)
       AND (only_agents IS NULL OR x.agent_id = ANY(only_agents))
     GROUP BY 1, 2
$$;

-- Per UTC day, task type and status (the task's current status, as of its newest record).
CREATE FUNCTION training_data.task_outcomes_daily_between(day_from date, day_to date, only_agents text[])
RETURNS TABLE (day date, task_type text, status text, tasks bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT training_data.utc_day(t.occurred_at), t.task_type, t.status, count(*)
      FROM training_data.training_tasks t
     WHERE t.occurred_at >= training_data.utc_day_start(day_from)
       AND t.occurred_at < training_data.utc_day_start(day_to)
       AND (only_agents IS NULL OR t.agent_id = ANY(only_agents))
     GROUP BY 1, 2, 3
$$;

-- Per UTC day, target kind and name: feedback records (count) and mean, min, max of value
-- (labels only: null statistics).
CREATE FUNCTION training_data.feedback_daily_between(day_from date, day_to date, only_agents text[])
RETURNS TABLE (day date, target_kind text, name text, count bigint, mean double precision,
               min double precision, max double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT training_data.utc_day(f.occurred_at), f.target_kind, f.name, count(*), avg(f.value), min(f.value),
           max(f.value)
      FROM training_data.training_feedback f
     WHERE f.occurred_at >= training_data.utc_day_start(day_from)
       AND f.occurred_at < training_data.utc_day_start(day_to)
       AND (only_agents IS NULL OR f.agent_id = ANY(only_agents))
     GROUP BY 1, 2, 3
$$;

CREATE VIEW training_data.agent_daily AS
    SELECT * FROM training_data.agent_daily_between('-infinity', 'infinity', NULL);
CREATE VIEW training_data.tool_daily AS
    SELECT * FROM training_data.tool_daily_between('-infinity', 'infinity', NULL);
CREATE VIEW training_data.task_outcomes_daily AS
    SELECT * FROM training_data.task_outcomes_daily_between('-infinity', 'infinity', NULL);
CREATE VIEW training_data.feedback_daily AS
    SELECT * FROM training_data.feedback_daily_between('-infinity', 'infinity', NULL);

-- Restores archive lines (the row export's JSON objects) into a kind's table; bin/restore-archive
-- feeds it. A row whose identity is stored already is left as it is (ON CONFLICT DO NOTHING):
-- what is stored is newer than any archive of it. Merged kinds get the merge state of a row built
-- from one record: every field and attribute at the row's version, (occurred_at, stream_entry_id),
-- so records that arrive later merge into it by the usual rule. Returns the rows inserted.
CREATE FUNCTION training_data.restore_archived(kind text, lines jsonb[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    target text;
    -- Slots of field_versions: the named fields of ai.trainingstore.kind.RecordKind, per kind.
    slots int;
    inserted bigint;
BEGIN
    CASE kind
        WHEN 'events' THEN target := 'training_events';
        WHEN 'messages' THEN target := 'training_messages';
        WHEN 'tasks' THEN target := 'training_tasks'; slots := 9;
        WHEN 'tool_executions' THEN target := 'training_tool_executions'; slots := 10;
        WHEN 'workflows' THEN target := 'training_workflows'; slots := 6;
        WHEN 'feedback' THEN target := 'training_feedback'; slots := 9;
        ELSE RAISE EXCEPTION 'unknown kind %: use events, tasks, tool_executions, workflows, messages or feedback', kind;
    END CASE;
    IF slots IS NULL THEN
        EXECUTE format('INSERT INTO training_data.%I SELECT (jsonb_populate_record(NULL::training_data.%I, line)).*'
                       ' FROM unnest($1) AS line ON CONFLICT DO NOTHING', target, target) USING lines;
    ELSE
        EXECUTE format('INSERT INTO training_data.%I SELECT (jsonb_populate_record(NULL::training_data.%I,'
                       ' line || jsonb_build_object(''version'', v, ''field_versions'', array_fill(v, ARRAY[%s]),'
                       ' ''attribute_versions'', (SELECT coalesce(jsonb_object_agg(key, v), ''{}'')'
                       ' FROM jsonb_object_keys(line -> ''attributes'') AS key)))).*'
                       ' FROM unnest($1) AS line,'
                       ' LATERAL training_data.archived_version(line) AS v'
                       ' ON CONFLICT DO NOTHING', target, target, slots) USING lines;
    END IF;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END
$$;

-- The merge version (ai.trainingstore.store.Versions) of an archived row: occurred_at in epoch
-- microseconds (18 digits), the entry id's milliseconds (15) and sequence (20).
CREATE FUNCTION training_data.archived_version(line jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT lpad((extract(epoch FROM (line ->> 'occurred_at')::timestamptz) * 1000000)::bigint::text, 18, '0')
        || lpad(split_part(line ->> 'stream_entry_id', '-', 1), 15, '0')
        || lpad(coalesce(nullif(split_part(line ->> 'stream_entry_id', '-', 2), ''), '0'), 20, '0')
$$;
