package ai.trainingstore.ingest;

import ai.trainingstore.store.StoreRecord;
import java.util.Map;

/** One stream entry after parsing: either a record to store or the reason it cannot be stored. */
public record ParsedEntry(String entryId, Map<String, String> fields, StoreRecord record, Rejection rejection) {

    static ParsedEntry accepted(String entryId, Map<String, String> fields, StoreRecord record) {
        return new ParsedEntry(entryId, fields, record, null);
    }

    static ParsedEntry rejected(String entryId, Map<String, String> fields, Rejection rejection) {
        return new ParsedEntry(entryId, fields, null, rejection);
    }

    public boolean isAccepted() {
        return record != null;
    }
}
