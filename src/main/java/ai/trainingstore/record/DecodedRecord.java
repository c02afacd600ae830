package ai.trainingstore.record;

import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * One valid record as its entry carried it.
 *
 * @param values one value per named field of the kind, in slot order: {@code String} for text,
 *     JSON text for JSON fields, {@code Long} for integers, {@code Double} for numbers;
 *     {@code null} when absent or null
 * @param carried per field, whether the entry carried it (an explicit null counts)
 * @param attributes every field the kind does not name, with its JSON value
 * @param occurredAt as sent, else the time of the stream entry id
 */
public record DecodedRecord(
        RecordKind kind,
        String identity,
        Object[] values,
        boolean[] carried,
        Map<String, JsonNode> attributes,
        Instant occurredAt,
        String streamEntryId) {
}
