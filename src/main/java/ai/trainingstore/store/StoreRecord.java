package ai.trainingstore.store;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.record.DecodedRecord;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A validated record ready to be written, or the fold of several records with the same identity.
 *
 * @param values one value per field of the kind, in column order: {@code String} for text,
 *     JSON text for JSON fields, {@code Long} for integers, {@code Double} for numbers;
 *     {@code null} when absent or null
 * @param versions per field, the version of the record the value came from, or {@code null} when
 *     no record carried the field (only merged kinds use it)
 * @param attributes every field the kind does not name, with its JSON value
 * @param attributeVersions per attribute key, the version of the record it came from
 * @param version the version of the newest record folded in (it sets occurred_at and the entry id)
 */
public record StoreRecord(
        RecordKind kind,
        String identity,
        Object[] values,
        String[] versions,
        Map<String, JsonNode> attributes,
        Map<String, String> attributeVersions,
        Instant occurredAt,
        Instant firstOccurredAt,
        String streamEntryId,
        String version) {

    /** The version of a record of an insert-once kind, which is never compared. */
    public static final String NO_VERSION = "";

    /**
     * A decoded record with its merge version, {@code (occurred_at, stream entry id)}: every field
     * and attribute it carries has that version, the others none. Records of insert-once kinds
     * carry no versions ({@link #NO_VERSION}).
     */
    public static StoreRecord of(DecodedRecord record) {
        if (!record.kind().merges()) {
            // Insert once: the first stored wins and nothing is compared, so no version is built.
            return new StoreRecord(record.kind(), record.identity(), record.values(),
                    new String[record.values().length], record.attributes(), Map.of(), record.occurredAt(),
                    record.occurredAt(), record.streamEntryId(), NO_VERSION);
        }
        String version = Versions.of(record.occurredAt(), record.streamEntryId());
        String[] versions = new String[record.values().length];
        for (int i = 0; i < versions.length; i++) {
            versions[i] = record.carried()[i] ? version : null;
        }
        Map<String, String> attributeVersions = new HashMap<>();
        record.attributes().keySet().forEach(key -> attributeVersions.put(key, version));
        return new StoreRecord(record.kind(), record.identity(), record.values(), versions, record.attributes(),
                attributeVersions, record.occurredAt(), record.occurredAt(), record.streamEntryId(), version);
    }
}
