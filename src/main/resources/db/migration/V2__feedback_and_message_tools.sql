-- Feedback (contract section 1): scores, labels and rewards on what agents did. Merged like tasks:
-- `field_versions` has one slot per named field of ai.trainingstore.kind.RecordKind.FEEDBACK, in
-- that order (target_kind, target_id, name, value, label, comment, source, agent_id, feedback_id).
CREATE TABLE training_data.training_feedback (
    feedback_id        text             PRIMARY KEY,
    target_kind        text             NOT NULL
        CHECK (target_kind IN ('event', 'task', 'tool_execution', 'workflow', 'message', 'conversation')),
    target_id          text             NOT NULL,
    name               text             NOT NULL,
    value              double precision,
    label              text,
    comment            text,
    source             text,
    agent_id           text,
    attributes         jsonb            NOT NULL DEFAULT '{}',
    occurred_at        timestamptz      NOT NULL,
    first_occurred_at  timestamptz      NOT NULL,
    ingested_at        timestamptz      NOT NULL DEFAULT now(),
    stream_entry_id    text             NOT NULL,
    version            text             COLLATE "C" NOT NULL,
    field_versions     text[]           COLLATE "C" NOT NULL,
    attribute_versions jsonb            NOT NULL DEFAULT '{}'
);
CREATE INDEX training_feedback_occurred_at ON training_data.training_feedback (occurred_at, feedback_id);
-- Datasets look feedback up by its target (a conversation's or a task's scores) and by name.
CREATE INDEX training_feedback_target ON training_data.training_feedback (target_kind, target_id, name);
CREATE INDEX training_feedback_name ON training_data.training_feedback (name, occurred_at);
CREATE INDEX training_feedback_agent ON training_data.training_feedback (agent_id, occurred_at) WHERE agent_id IS NOT NULL;

-- Messages: the tool definitions offered to the model (OpenAI shape), until now kept in attributes:
-- as the JSON array itself (document entries) or as its text (flat entries). Only what is a JSON
-- array moves (the field's type); anything else stays in attributes, so nothing is lost.
ALTER TABLE training_data.training_messages ADD COLUMN tools jsonb;

CREATE FUNCTION pg_temp.tools_array(value jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parsed jsonb;
BEGIN
    IF jsonb_typeof(value) = 'array' THEN
        RETURN value;
    END IF;
    IF jsonb_typeof(value) = 'string' THEN
        BEGIN
            parsed := (value #>> '{}')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END;
        IF jsonb_typeof(parsed) = 'array' THEN
            RETURN parsed;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

UPDATE training_data.training_messages
   SET tools = pg_temp.tools_array(attributes -> 'tools'),
       attributes = attributes - 'tools'
 WHERE attributes ? 'tools'
   AND pg_temp.tools_array(attributes -> 'tools') IS NOT NULL;
