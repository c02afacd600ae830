package ai.trainingstore.record;

import ai.trainingstore.kind.Rejection;
import ai.trainingstore.kind.Rejection.Reason;
import ai.trainingstore.text.LogText;
import ai.trainingstore.text.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An entry's fields as read from Redis, as bytes, decoded as UTF-8. Redis stores any bytes; an
 * entry with a field name or value that is not valid UTF-8 is refused (a lenient decoder would
 * silently store U+FFFD in place of the agent's bytes). Its dead letter carries the fields decoded
 * leniently, so a person can still read it.
 *
 * @param invalidUtf8 why the entry is refused, or null when every field is valid UTF-8
 */
public record EntryText(Map<String, String> fields, Rejection invalidUtf8) {

    public static EntryText decode(Map<byte[], byte[]> entry) {
        Map<String, String> fields = new LinkedHashMap<>();
        String invalidField = null;
        for (Map.Entry<byte[], byte[]> field : entry.entrySet()) {
            String name = Utf8.decodeStrictly(field.getKey());
            String value = field.getValue() == null ? null : Utf8.decodeStrictly(field.getValue());
            String shownName = name != null ? name : lenient(field.getKey());
            if (invalidField == null && (name == null || (field.getValue() != null && value == null))) {
                invalidField = shownName;
            }
            fields.put(shownName, value != null || field.getValue() == null ? value : lenient(field.getValue()));
        }
        Rejection rejection = invalidField == null ? null : new Rejection(Reason.BAD_VALUE, "Field '"
                + LogText.safe(invalidField) + "' is not valid UTF-8 (in its name or value): publish text as"
                + " UTF-8, and binary data as base64 or a reference.");
        return new EntryText(fields, rejection);
    }

    private static String lenient(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
