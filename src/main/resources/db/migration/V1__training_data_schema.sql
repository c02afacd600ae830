-- Schema of the training data store (contract section 1).
--
-- Every table: one row per identity, `attributes` (every field the kind does not name),
-- `occurred_at` (UTC, never null), `ingested_at` (set by the store), `stream_entry_id`.
--
-- Merged kinds (tasks, tool executions, workflows) also keep the merge state that makes the row
-- independent of arrival order: `version`, the (occurred_at, entry id) of the newest record folded
-- in, `field_versions`, the version each named field's value came from (one slot per field, in the
-- order of ai.trainingstore.kind.RecordKind; a new field is appended, never inserted), and
-- `attribute_versions`, the same per attribute key. Versions are fixed-width digit strings, so
-- comparing them as text (collation "C") compares them in merge order.


-- Attributes of two rows merged key by key: each key keeps the value with the newer version.
CREATE FUNCTION training_data.merge_attributes(old_values jsonb, old_versions jsonb,
                                               new_values jsonb, new_versions jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key,
               CASE WHEN (new_versions ->> key) COLLATE "C" > coalesce(old_versions ->> key, '') COLLATE "C"
                    THEN new_values -> key ELSE old_values -> key END), '{}'::jsonb)
    FROM (SELECT jsonb_object_keys(old_values) AS key
          UNION
          SELECT jsonb_object_keys(new_values)) AS keys
$$;

-- Per key, the newer of two versions.
CREATE FUNCTION training_data.merge_versions(a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, version), '{}'::jsonb)
    FROM (SELECT key, max(value COLLATE "C") AS version
          FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS pairs
          GROUP BY key) AS newest
$$;

CREATE TABLE training_data.training_events (
    event_id        text        PRIMARY KEY,
    event_type      text        NOT NULL,
    agent_id        text        NOT NULL,
    task_id         text,
    workflow_id     text,
    session_id      text,
    payload         jsonb,
    attributes      jsonb       NOT NULL DEFAULT '{}',
    occurred_at     timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    stream_entry_id text        NOT NULL
);
CREATE INDEX training_events_occurred_at ON training_data.training_events (occurred_at, event_id);
CREATE INDEX training_events_agent ON training_data.training_events (agent_id, occurred_at);
CREATE INDEX training_events_task ON training_data.training_events (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX training_events_workflow ON training_data.training_events (workflow_id) WHERE workflow_id IS NOT NULL;

CREATE TABLE training_data.training_tasks (
    task_id            text        PRIMARY KEY,
    agent_id           text        NOT NULL,
    status             text        NOT NULL,
    task_type          text,
    workflow_id        text,
    input              jsonb,
    output             jsonb,
    error              text,
    metadata           jsonb,
    attributes         jsonb       NOT NULL DEFAULT '{}',
    occurred_at        timestamptz NOT NULL,
    first_occurred_at  timestamptz NOT NULL,
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    stream_entry_id    text        NOT NULL,
    version            text        COLLATE "C" NOT NULL,
    field_versions     text[]      COLLATE "C" NOT NULL,
    attribute_versions jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX training_tasks_occurred_at ON training_data.training_tasks (occurred_at, task_id);
CREATE INDEX training_tasks_agent ON training_data.training_tasks (agent_id, occurred_at);
CREATE INDEX training_tasks_workflow ON training_data.training_tasks (workflow_id) WHERE workflow_id IS NOT NULL;
CREATE INDEX training_tasks_status ON training_data.training_tasks (status, occurred_at);

CREATE TABLE training_data.training_tool_executions (
    execution_id       text        PRIMARY KEY,
    agent_id           text        NOT NULL,
    tool_name          text        NOT NULL,
    task_id            text,
    workflow_id        text,
    status             text,
    input_params       jsonb,
    output_result      jsonb,
    error              text,
    duration_ms        bigint,
    attributes         jsonb       NOT NULL DEFAULT '{}',
    occurred_at        timestamptz NOT NULL,
    first_occurred_at  timestamptz NOT NULL,
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    stream_entry_id    text        NOT NULL,
    version            text        COLLATE "C" NOT NULL,
    field_versions     text[]      COLLATE "C" NOT NULL,
    attribute_versions jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX training_tool_executions_occurred_at ON training_data.training_tool_executions (occurred_at, execution_id);
CREATE INDEX training_tool_executions_agent ON training_data.training_tool_executions (agent_id, occurred_at);
CREATE INDEX training_tool_executions_tool ON training_data.training_tool_executions (tool_name, occurred_at);
CREATE INDEX training_tool_executions_task ON training_data.training_tool_executions (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX training_tool_executions_workflow ON training_data.training_tool_executions (workflow_id) WHERE workflow_id IS NOT NULL;
CREATE INDEX training_tool_executions_status ON training_data.training_tool_executions (status) WHERE status IS NOT NULL;

CREATE TABLE training_data.training_workflows (
    workflow_id        text        PRIMARY KEY,
    workflow_type      text        NOT NULL,
    phase              text        NOT NULL,
    agent_ids          jsonb,
    state              jsonb,
    metadata           jsonb,
    attributes         jsonb       NOT NULL DEFAULT '{}',
    occurred_at        timestamptz NOT NULL,
    first_occurred_at  timestamptz NOT NULL,
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    stream_entry_id    text        NOT NULL,
    version            text        COLLATE "C" NOT NULL,
    field_versions     text[]      COLLATE "C" NOT NULL,
    attribute_versions jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX training_workflows_occurred_at ON training_data.training_workflows (occurred_at, workflow_id);
CREATE INDEX training_workflows_type ON training_data.training_workflows (workflow_type, occurred_at);
CREATE INDEX training_workflows_phase ON training_data.training_workflows (phase);

CREATE TABLE training_data.training_messages (
    message_id      text        PRIMARY KEY,
    conversation_id text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         text        NOT NULL,
    agent_id        text,
    task_id         text,
    name            text,
    tool_calls      jsonb,
    tool_call_id    text,
    seq             bigint,
    attributes      jsonb       NOT NULL DEFAULT '{}',
    occurred_at     timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    stream_entry_id text        NOT NULL
);
CREATE INDEX training_messages_occurred_at ON training_data.training_messages (occurred_at, message_id);
CREATE INDEX training_messages_conversation ON training_data.training_messages (conversation_id, seq, occurred_at);
CREATE INDEX training_messages_agent ON training_data.training_messages (agent_id, occurred_at) WHERE agent_id IS NOT NULL;
CREATE INDEX training_messages_task ON training_data.training_messages (task_id) WHERE task_id IS NOT NULL;
