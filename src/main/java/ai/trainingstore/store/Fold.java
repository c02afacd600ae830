package ai.trainingstore.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds the records of one batch that share an identity into one, so that the batch statement
 * touches each row once (PostgreSQL refuses {@code ON CONFLICT DO UPDATE} on the same row twice).
 * The fold applies the same rule as the statement does against the stored row, so folding first
 * never changes the result.
 */
public final class Fold {

    private Fold() {
    }

    /** Records in stream order; returns one record per identity. */
    public static List<StoreRecord> byIdentity(List<StoreRecord> records) {
        Map<String, StoreRecord> folded = new LinkedHashMap<>();
        for (StoreRecord record : records) {
            folded.merge(record.identity(), record, (held, next) -> next.kind().merges() ? merge(held, next) : held);
        }
        return new ArrayList<>(folded.values());
    }

    /**
     * The contract's merge rule: each field takes its value from the newest record that carries
     * it, newest by version; attributes merge key by key.
     */
    static StoreRecord merge(StoreRecord a, StoreRecord b) {
        int size = a.values().length;
        Object[] values = new Object[size];
        String[] versions = new String[size];
        for (int i = 0; i < size; i++) {
            boolean takeB = Versions.isNewer(b.versions()[i], a.versions()[i]);
            values[i] = takeB ? b.values()[i] : a.values()[i];
            versions[i] = takeB ? b.versions()[i] : a.versions()[i];
        }
        Map<String, JsonNode> attributes = new LinkedHashMap<>(a.attributes());
        Map<String, String> attributeVersions = new HashMap<>(a.attributeVersions());
        b.attributes().forEach((key, value) -> {
            if (Versions.isNewer(b.attributeVersions().get(key), attributeVersions.get(key))) {
                attributes.put(key, value);
                attributeVersions.put(key, b.attributeVersions().get(key));
            }
        });
        StoreRecord newest = Versions.isNewer(b.version(), a.version()) ? b : a;
        return new StoreRecord(a.kind(), a.identity(), values, versions, attributes, attributeVersions,
                newest.occurredAt(),
                a.firstOccurredAt().isBefore(b.firstOccurredAt()) ? a.firstOccurredAt() : b.firstOccurredAt(),
                newest.streamEntryId(), newest.version());
    }
}
