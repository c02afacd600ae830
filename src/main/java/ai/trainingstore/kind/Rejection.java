package ai.trainingstore.kind;

import ai.trainingstore.text.LogText;

/**
 * Why an entry cannot be stored. {@code reason} is a short code for metrics; {@code message} is
 * the sentence written to the dead-letter stream, saying what is wrong and how to fix it.
 */
public record Rejection(Reason reason, String message) {

    /** Sent text as a message shows it: control characters escaped, at most 80 characters. */
    public static String shown(String text) {
        if (text == null) {
            return "null";
        }
        return LogText.safe(text.length() <= 80 ? text : text.substring(0, 77) + "...");
    }

    public enum Reason {
        MISSING_FIELD,
        MALFORMED_JSON,
        NOT_AN_OBJECT,
        BAD_TIMESTAMP,
        BAD_INTEGER,
        BAD_NUMBER,
        BAD_VALUE,
        TOO_LARGE,
        DELIVERY_LIMIT;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
