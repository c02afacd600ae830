-- Feedback: `correction` (contract section 1, J), what the scored assistant message should have
-- been. It is the 10th named field of ai.trainingstore.kind.RecordKind.FEEDBACK, so its merge
-- version is slot 10 of `field_versions`; rows stored before have 9 slots, and a missing slot is
-- NULL, which the merge already reads as "never carried".
ALTER TABLE training_data.training_feedback ADD COLUMN correction jsonb;

-- Until now a `correction` an agent sent was kept in `attributes`: as the JSON value itself
-- (document entries) or as its text (flat entries). It moves into the column with its merge
-- version, so later records merge with it by the same rule. A string whose text is a JSON object,
-- array or string is what a flat entry stored and becomes that JSON (as ingest parses a flat J field
-- now); any other string is kept as the string (a correction's content); other values as they are;
-- JSON null is stored as SQL NULL, as ingest stores an explicit null.
CREATE FUNCTION pg_temp.correction_value(value jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    parsed jsonb;
BEGIN
    IF jsonb_typeof(value) = 'string' THEN
        BEGIN
            parsed := (value #>> '{}')::jsonb;
        EXCEPTION WHEN others THEN
            RETURN value;
        END;
        IF jsonb_typeof(parsed) IN ('object', 'array', 'string') THEN
            RETURN parsed;
        END IF;
        RETURN value;
    END IF;
    RETURN NULLIF(value, 'null'::jsonb);
END
$$;

UPDATE training_data.training_feedback
   SET correction = pg_temp.correction_value(attributes -> 'correction'),
       field_versions[10] = attribute_versions ->> 'correction',
       attributes = attributes - 'correction',
       attribute_versions = attribute_versions - 'correction'
 WHERE attributes ? 'correction';

-- restore_archived gave each merged kind's rows a number of field_versions slots from a list
-- written here, which every new field would have had to update as well (feedback had 9). The
-- caller now passes the number (bin/restore-archive, from ai.trainingstore.kind.RecordKind), so a
-- field stays a change of the kind registry, a migration, docs and tests. Insert-once kinds have no
-- slots and ignore it; a merged kind without it is refused rather than restored with wrong slots.
DROP FUNCTION training_data.restore_archived(text, jsonb[]);

CREATE FUNCTION training_data.restore_archived(kind text, lines jsonb[], slots int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    target text;
    merged boolean := true;
    inserted bigint;
BEGIN
    CASE kind
        WHEN 'events' THEN target := 'training_events'; merged := false;
        WHEN 'messages' THEN target := 'training_messages'; merged := false;
        WHEN 'tasks' THEN target := 'training_tasks';
        WHEN 'tool_executions' THEN target := 'training_tool_executions';
        WHEN 'workflows' THEN target := 'training_workflows';
        WHEN 'feedback' THEN target := 'training_feedback';
        ELSE RAISE EXCEPTION 'unknown kind %: use events, tasks, tool_executions, workflows, messages or feedback', kind;
    END CASE;
    IF NOT merged THEN
        EXECUTE format('INSERT INTO training_data.%I SELECT (jsonb_populate_record(NULL::training_data.%I, line)).*'
                       ' FROM unnest($1) AS line ON CONFLICT DO NOTHING', target, target) USING lines;
    ELSIF slots IS NULL OR slots < 1 THEN
        RAISE EXCEPTION 'restoring % needs its number of named fields (field_versions slots), not %', kind, slots;
    ELSE
        EXECUTE format('INSERT INTO training_data.%I SELECT (jsonb_populate_record(NULL::training_data.%I,'
                       ' line || jsonb_build_object(''version'', v, ''field_versions'', array_fill(v, ARRAY[$2]),'
                       ' ''attribute_versions'', (SELECT coalesce(jsonb_object_agg(key, v), ''{}'')'
                       ' FROM jsonb_object_keys(line -> ''attributes'') AS key)))).*'
                       ' FROM unnest($1) AS line,'
                       ' LATERAL training_data.archived_version(line) AS v'
                       ' ON CONFLICT DO NOTHING', target, target) USING lines, slots;
    END IF;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
END
$$;
