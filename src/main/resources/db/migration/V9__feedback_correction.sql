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
