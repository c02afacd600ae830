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

    /**
     * @param namesAndValues the entry's fields as Redis returns them: name, value, name, value...
     *     (a name sent twice keeps its first place and its last value)
     */
    public static EntryText decode(byte[][] namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>(namesAndValues.length);
        String invalidField = null;
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            byte[] nameBytes = namesAndValues[i];
            byte[] valueBytes = namesAndValues[i + 1];
            String name = Utf8.decodeStrictly(nameBytes);
            String value = valueBytes == null ? null : Utf8.decodeStrictly(valueBytes);
            String shownName = name != null ? name : lenient(nameBytes);
            if (invalidField == null && (name == null || (valueBytes != null && value == null))) {
                invalidField = shownName;
            }
            fields.put(shownName, value != null || valueBytes == null ? value : lenient(valueBytes));
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
