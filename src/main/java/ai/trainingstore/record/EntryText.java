package ai.trainingstore.record;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.kind.Rejection;
import ai.trainingstore.kind.Rejection.Reason;
import ai.trainingstore.text.LogText;
import ai.trainingstore.text.Utf8;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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
     * @param namesAndValues the entry's fields as Redis returns them: name, value, name, value...,
     *     each buffer holding the bytes between its position and limit (a name sent twice keeps its
     *     first place and its last value)
     * @param names the names the kind knows, given as the very same strings each time
     */
    public static EntryText decode(ByteBuffer[] namesAndValues, KnownNames names) {
        Map<String, String> fields = new LinkedHashMap<>(namesAndValues.length);
        String invalidField = null;
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            ByteBuffer nameBytes = namesAndValues[i];
            ByteBuffer valueBytes = namesAndValues[i + 1];
            String name = names.find(nameBytes);
            if (name == null) {
                name = Utf8.decodeStrictly(nameBytes);
            }
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

    private static String lenient(ByteBuffer bytes) {
        return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining(),
                StandardCharsets.UTF_8);
    }

    /**
     * The field names of one kind as UTF-8, so that a name an agent sends is recognised by its bytes
     * and given as the kind's own string: no decoding, no hashing, nothing allocated for it. A
     * kind has about ten names: comparing lengths first, a scan costs a few nanoseconds.
     */
    public static final class KnownNames {

        private final byte[][] bytes;
        private final String[] names;

        public KnownNames(RecordKind kind) {
            List<String> all = new ArrayList<>();
            kind.fields().forEach(field -> all.add(field.name()));
            all.add(EntryParser.OCCURRED_AT);
            all.add(EntryParser.DATA_FIELD);
            names = all.toArray(String[]::new);
            bytes = new byte[names.length][];
            for (int i = 0; i < names.length; i++) {
                bytes[i] = names[i].getBytes(StandardCharsets.UTF_8);
            }
        }

        /** The kind's string for these bytes, or null when the kind has no such name. */
        String find(ByteBuffer name) {
            int length = name.remaining();
            int from = name.arrayOffset() + name.position();
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i].length == length
                        && Arrays.equals(bytes[i], 0, length, name.array(), from, from + length)) {
                    return names[i];
                }
            }
            return null;
        }
    }
}
