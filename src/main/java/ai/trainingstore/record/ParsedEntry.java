package ai.trainingstore.record;

import ai.trainingstore.kind.Rejection;

/** One stream entry after decoding: either a record to store or the reason it cannot be stored. */
public record ParsedEntry(DecodedRecord record, Rejection rejection) {

    static ParsedEntry accepted(DecodedRecord record) {
        return new ParsedEntry(record, null);
    }

    static ParsedEntry rejected(Rejection rejection) {
        return new ParsedEntry(null, rejection);
    }

    public boolean isAccepted() {
        return record != null;
    }
}
