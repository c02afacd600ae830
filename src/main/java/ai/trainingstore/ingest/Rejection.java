package ai.trainingstore.ingest;

/**
 * Why an entry cannot be stored. {@code reason} is a short code for metrics; {@code message} is
 * the sentence written to the dead-letter stream, saying what is wrong and how to fix it.
 */
public record Rejection(Reason reason, String message) {

    public enum Reason {
        MISSING_FIELD,
        MALFORMED_JSON,
        NOT_AN_OBJECT,
        BAD_TIMESTAMP,
        BAD_INTEGER,
        BAD_VALUE,
        TOO_LARGE,
        DELIVERY_LIMIT;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
