package ai.trainingstore.record;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Rejection.Reason;
import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.ColumnType;
import ai.trainingstore.kind.RecordRule;
import ai.trainingstore.kind.Rejection;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one stream entry into a {@link StoreRecord}, or into a {@link Rejection} that says what is
 * wrong. Accepts both encodings of the contract: flat (each field an entry field, JSON fields as
 * JSON text) and document (one field {@code data} holding the record as a JSON object).
 *
 * <p>Besides the contract's rules it refuses what PostgreSQL cannot store (a NUL character, an
 * unpaired UTF-16 surrogate), so that one entry can never make the whole batch's write fail.
 */
@ApplicationScoped
public class EntryParser {

    public static final String DATA_FIELD = "data";
    public static final String OCCURRED_AT = "occurred_at";

    /** Deepest JSON nesting accepted anywhere (stream fields, documents, HTTP bodies). */
    public static final int MAX_JSON_DEPTH = 1_000;
    /** Longest number accepted, in characters; longer ones are refused, not rounded. */
    public static final int MAX_NUMBER_CHARS = 1_000;

    /**
     * The one JSON reading of the store: keeps numbers exactly as sent (no double rounding) when a
     * document is re-serialized, and bounds nesting and number length so hostile input costs
     * neither stack nor CPU.
     */
    public static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_JSON_DEPTH)
                            .maxNumberLength(MAX_NUMBER_CHARS)
                            .build())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private final int maxEntryBytes;

    @Inject
    public EntryParser(StoreConfig config) {
        this(config.delivery().maxEntryBytes());
    }

    public EntryParser(int maxEntryBytes) {
        this.maxEntryBytes = maxEntryBytes;
    }

    public ParsedEntry parse(RecordKind kind, String streamKey, String entryId, Map<String, String> fields) {
        return parse(kind, streamKey, entryId, fields, false);
    }

    /**
     * Parses fields decoded from strict UTF-8 ({@link EntryText}): such text holds no unpaired
     * surrogate, so only the NUL check is left to do on it. The outcome is the same as {@link #parse}'s.
     */
    public ParsedEntry parseDecoded(RecordKind kind, String streamKey, String entryId, Map<String, String> fields) {
        return parse(kind, streamKey, entryId, fields, true);
    }

    private ParsedEntry parse(RecordKind kind, String streamKey, String entryId, Map<String, String> fields,
                              boolean validUnicode) {
        try {
            return ParsedEntry.accepted(toRecord(kind, streamKey, entryId, fields, validUnicode));
        } catch (InvalidEntryException e) {
            return ParsedEntry.rejected(e.toRejection());
        }
    }

    private DecodedRecord toRecord(RecordKind kind, String streamKey, String entryId, Map<String, String> entry,
                                   boolean validUnicode) throws InvalidEntryException {
        checkSize(entry);
        RecordBuilder record = new RecordBuilder(kind);
        for (Map.Entry<String, String> field : entry.entrySet()) {
            if (!DATA_FIELD.equals(field.getKey())) {
                readFlatField(record, field.getKey(), field.getValue(), validUnicode);
            }
        }
        // The document is read last so that a field sent both ways is detected, whatever the order.
        String document = entry.get(DATA_FIELD);
        if (document != null) {
            readDocument(record, document);
        }
        return record.build(streamKey, entryId);
    }

    private void checkSize(Map<String, String> entry) throws InvalidEntryException {
        long chars = 0;
        for (Map.Entry<String, String> field : entry.entrySet()) {
            chars += field.getKey().length() + (field.getValue() == null ? 0 : field.getValue().length());
        }
        if (chars * 3 <= maxEntryBytes) {
            return; // a UTF-16 char is at most 3 UTF-8 bytes: surely within the limit, no need to count
        }
        long bytes = 0;
        for (Map.Entry<String, String> field : entry.entrySet()) {
            bytes += utf8Length(field.getKey()) + utf8Length(field.getValue());
        }
        if (bytes > maxEntryBytes) {
            throw new InvalidEntryException(Reason.TOO_LARGE, tooLarge(bytes, maxEntryBytes).message());
        }
    }

    /** Why an entry of {@code bytes} (field names and values, UTF-8) over {@code limit} is refused. */
    public static Rejection tooLarge(long bytes, int limit) {
        return new Rejection(Reason.TOO_LARGE, String.format(
                "The entry is %,d bytes, over the limit of %,d bytes (training-store.delivery.max-entry-bytes):"
                        + " split the record, or store large content elsewhere and send a reference.",
                bytes, limit));
    }

    private void readFlatField(RecordBuilder record, String name, String value, boolean validUnicode)
            throws InvalidEntryException {
        checkStorableText(name, name, validUnicode);
        checkStorableText(name, value, validUnicode);
        int index = record.kind.indexOf(name);
        if (OCCURRED_AT.equals(name)) {
            record.setOccurredAt(parseTimestamp(value));
        } else if (index < 0) {
            record.setAttribute(name, value == null ? NullNode.getInstance() : TextNode.valueOf(value));
        } else {
            Column field = record.kind.fields().get(index);
            record.set(index, switch (field.type()) {
                case TEXT -> value;
                case JSON, JSON_ARRAY -> validJsonText(field, value);
                case INTEGER -> parseInteger(field, value);
                case NUMBER -> parseNumber(field, value);
                case TIMESTAMP, VERSIONS -> throw new IllegalStateException("not a field type: " + field.type());
            });
        }
    }

    private void readDocument(RecordBuilder record, String text) throws InvalidEntryException {
        JsonNode document;
        try {
            document = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidEntryException(Reason.MALFORMED_JSON,
                    "Field 'data' must hold the record as a JSON object, but it is not valid JSON: "
                            + describe(e) + ".");
        }
        if (document == null || !document.isObject()) {
            throw new InvalidEntryException(Reason.NOT_AN_OBJECT,
                    "Field 'data' must hold the record as a JSON object, but it holds "
                            + describeType(document) + ".");
        }
        for (Map.Entry<String, JsonNode> property : document.properties()) {
            readDocumentField(record, property.getKey(), property.getValue());
        }
    }

    private void readDocumentField(RecordBuilder record, String name, JsonNode value) throws InvalidEntryException {
        checkStorableText("data", name);
        int index = record.kind.indexOf(name);
        // A number field is stored as a double, never as numeric: its range is checked as a number (bad_number).
        if (index < 0 || record.kind.fields().get(index).type() != ColumnType.NUMBER) {
            checkStorable(name, value);
        }
        if (record.isSetFlat(name)) {
            throw new InvalidEntryException(Reason.BAD_VALUE, "Field '" + LogText.safe(name)
                    + "' is sent both as an entry field and inside 'data': send it once.");
        }
        if (OCCURRED_AT.equals(name)) {
            record.setOccurredAt(value.isNull() ? null : documentTimestamp(value));
        } else if (index < 0) {
            record.setAttribute(name, value);
        } else {
            Column field = record.kind.fields().get(index);
            record.set(index, value.isNull() ? null : switch (field.type()) {
                case TEXT -> documentText(field, value);
                case JSON -> value.toString();
                case JSON_ARRAY -> {
                    requireArray(field, value.isArray(), value);
                    yield value.toString();
                }
                case INTEGER -> documentInteger(field, value);
                case NUMBER -> documentNumber(field, value);
                case TIMESTAMP, VERSIONS -> throw new IllegalStateException("not a field type: " + field.type());
            });
        }
    }

    private static String documentText(Column field, JsonNode value) throws InvalidEntryException {
        if (value.isContainerNode()) {
            throw new InvalidEntryException(Reason.BAD_VALUE, "Field '" + field.name()
                    + "' must be text, but is " + describeType(value) + ".");
        }
        return value.asText();
    }

    private static Long documentInteger(Column field, JsonNode value) throws InvalidEntryException {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.longValue();
        }
        if (value.isTextual()) {
            return parseInteger(field, value.textValue());
        }
        throw new InvalidEntryException(Reason.BAD_INTEGER, "Field '" + field.name()
                + "' must be a whole number, but is " + value + ".");
    }

    private static Double documentNumber(Column field, JsonNode value) throws InvalidEntryException {
        if (value.isNumber()) {
            return finiteDouble(field, value.decimalValue(), value.toString());
        }
        if (value.isTextual()) {
            return parseNumber(field, value.textValue());
        }
        throw badNumber(field, value.toString());
    }

    /** N: a finite decimal number that a double holds (NaN, infinities and hex are not decimals). */
    private static Double parseNumber(Column field, String text) throws InvalidEntryException {
        String trimmed = text.trim();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NUMBER_CHARS) {
            throw badNumber(field, "'" + abbreviate(text) + "'");
        }
        try {
            return finiteDouble(field, new BigDecimal(trimmed), "'" + abbreviate(text) + "'");
        } catch (NumberFormatException e) {
            throw badNumber(field, "'" + abbreviate(text) + "'");
        }
    }

    private static Double finiteDouble(Column field, BigDecimal number, String shown) throws InvalidEntryException {
        double value = number.doubleValue();
        if (Double.isInfinite(value) || (value == 0 && number.signum() != 0)) {
            throw new InvalidEntryException(Reason.BAD_NUMBER, "Field '" + field.name() + "' is " + shown
                    + ", outside the range of a double (about 4.9e-324 to 1.8e308 in magnitude): send a number"
                    + " within it.");
        }
        return value == 0 ? 0.0 : value; // -0 stored as 0: the same score
    }

    private static InvalidEntryException badNumber(Column field, String shown) {
        return new InvalidEntryException(Reason.BAD_NUMBER, "Field '" + field.name() + "' must be a finite number"
                + " (a JSON number or text holding one, such as 0.75, -3 or 1e-3), but is " + shown + ".");
    }

    private static Instant documentTimestamp(JsonNode value) throws InvalidEntryException {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            Instant instant = Timestamps.ofEpochMillis(value.longValue());
            if (instant != null) {
                return instant;
            }
        }
        if (value.isTextual()) {
            return parseTimestamp(value.textValue());
        }
        throw badTimestamp(value.toString());
    }

    private static Instant parseTimestamp(String text) throws InvalidEntryException {
        Instant instant = Timestamps.parse(text);
        if (instant == null) {
            throw badTimestamp("'" + abbreviate(text) + "'");
        }
        return instant;
    }

    private static InvalidEntryException badTimestamp(String shown) {
        return new InvalidEntryException(Reason.BAD_TIMESTAMP, "Field 'occurred_at' must be an ISO-8601 instant"
                + " with an offset or Z (e.g. 2026-01-31T12:00:00.123Z) or epoch milliseconds between 1970 and"
                + " 9999, but is " + shown + ".");
    }

    private static Long parseInteger(Column field, String text) throws InvalidEntryException {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidEntryException(Reason.BAD_INTEGER, "Field '" + field.name()
                    + "' must be a whole number, but is '" + abbreviate(text) + "'.");
        }
    }

    /** Validates a JSON field sent as text; returns the text itself, or null for JSON null. */
    private static String validJsonText(Column field, String text) throws InvalidEntryException {
        try (JsonParser parser = JSON.getFactory().createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new InvalidEntryException(Reason.MALFORMED_JSON, "Field '" + field.name()
                        + "' must hold JSON text, but it is empty; send null or leave the field out.");
            }
            if (first == JsonToken.VALUE_NULL && parser.nextToken() == null) {
                return null;
            }
            if (field.type() == ColumnType.JSON_ARRAY) {
                requireArray(field, first == JsonToken.START_ARRAY, null);
            }
            // Without a backslash every string is its raw text, which the caller has checked already;
            // only an escape (an escaped NUL or lone surrogate) can put in a character the raw text lacks.
            boolean escapes = text.indexOf('\\') >= 0;
            int depth = 0;
            for (JsonToken token = first; ; token = parser.nextToken()) {
                if (escapes && (token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME)) {
                    checkStorableChars(field.name(), parser.getTextCharacters(), parser.getTextOffset(),
                            parser.getTextLength());
                } else if (token == JsonToken.VALUE_NUMBER_FLOAT) {
                    checkStorableNumber(field.name(), parser.getDecimalValue());
                }
                depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
                if (depth == 0) {
                    break;
                }
            }
            if (parser.nextToken() != null) {
                throw new InvalidEntryException(Reason.MALFORMED_JSON, "Field '" + field.name()
                        + "' must hold one JSON value, but more text follows it.");
            }
            return text;
        } catch (IOException e) {
            throw new InvalidEntryException(Reason.MALFORMED_JSON, "Field '" + field.name()
                    + "' must hold valid JSON, but does not parse: " + describe(e) + ".");
        }
    }

    private static void requireArray(Column field, boolean isArray, JsonNode value) throws InvalidEntryException {
        if (!isArray) {
            throw new InvalidEntryException(Reason.BAD_VALUE, "Field '" + field.name()
                    + "' must be a JSON array" + (value == null ? "" : ", but is " + describeType(value)) + ".");
        }
    }

    /** Walks a JSON value for text PostgreSQL refuses. */
    private static void checkStorable(String field, JsonNode value) throws InvalidEntryException {
        if (value.isTextual()) {
            checkStorableText(field, value.textValue());
        } else if (value.isBigDecimal()) {
            checkStorableNumber(field, value.decimalValue());
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> property : value.properties()) {
                checkStorableText(field, property.getKey());
                checkStorable(field, property.getValue());
            }
        } else if (value.isArray()) {
            for (JsonNode element : value) {
                checkStorable(field, element);
            }
        }
    }

    /** PostgreSQL's numeric (behind jsonb numbers) holds 131,072 digits before the point and 16,383 after. */
    private static void checkStorableNumber(String field, BigDecimal number) throws InvalidEntryException {
        long digitsBeforePoint = (long) number.precision() - number.scale();
        if (digitsBeforePoint > 131_072 || number.scale() > 16_383) {
            throw new InvalidEntryException(Reason.BAD_VALUE, "Field '" + LogText.safe(field) + "' holds a number too large or"
                    + " too precise for PostgreSQL (over 131,072 digits before the point or 16,383 after): send it"
                    + " as a string.");
        }
    }

    private static void checkStorableText(String field, String text) throws InvalidEntryException {
        checkStorableText(field, text, false);
    }

    /** With {@code validUnicode} (decoded from strict UTF-8) only a NUL can be wrong. */
    private static void checkStorableText(String field, String text, boolean validUnicode)
            throws InvalidEntryException {
        if (text == null) {
            return;
        }
        if (text.indexOf(0) >= 0) {
            throw containsNul(field);
        }
        if (!validUnicode) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isSurrogate(c)) {
                    if (!Character.isHighSurrogate(c) || i + 1 >= text.length()
                            || !Character.isLowSurrogate(text.charAt(i + 1))) {
                        throw unpairedSurrogate(field);
                    }
                    i++;
                }
            }
        }
    }

    private static void checkStorableChars(String field, char[] chars, int offset, int length)
            throws InvalidEntryException {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            char c = chars[i];
            if (c == 0) {
                throw containsNul(field);
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1]);
                if (!paired) {
                    throw unpairedSurrogate(field);
                }
                i++;
            }
        }
    }

    private static InvalidEntryException containsNul(String field) {
        return new InvalidEntryException(Reason.BAD_VALUE, "Field '" + LogText.safe(field)
                + "' contains a NUL character (\\u0000), which PostgreSQL cannot store: remove it.");
    }

    private static InvalidEntryException unpairedSurrogate(String field) {
        return new InvalidEntryException(Reason.BAD_VALUE, "Field '" + LogText.safe(field)
                + "' contains an unpaired UTF-16 surrogate, which is not valid Unicode: fix its encoding.");
    }

    private static String describe(IOException e) {
        String message = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        String firstLine = message == null ? "unknown error" : message.lines().findFirst().orElse(message);
        if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
            return firstLine + " (at character " + (jpe.getLocation().getCharOffset() + 1) + ")";
        }
        return firstLine;
    }

    private static String describeType(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "a JSON array";
            case OBJECT -> "a JSON object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + node.getNodeType().name().toLowerCase();
        };
    }

    private static String abbreviate(String text) {
        return Rejection.shown(text);
    }

    private static long utf8Length(String text) {
        if (text == null) {
            return 0;
        }
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Collects one entry's fields, then checks the kind's rules and derives identity and version. */
    private static final class RecordBuilder {
        private final RecordKind kind;
        private final Object[] values;
        private final boolean[] carried;
        /** Created with the first attribute: most records have none. */
        private Map<String, JsonNode> attributes = Map.of();
        private Instant occurredAt;
        private boolean occurredAtCarried;

        RecordBuilder(RecordKind kind) {
            this.kind = kind;
            this.values = new Object[kind.fields().size()];
            this.carried = new boolean[values.length];
        }

        void set(int index, Object value) {
            values[index] = value;
            carried[index] = true;
        }

        void setOccurredAt(Instant instant) {
            occurredAt = instant;
            occurredAtCarried = true;
        }

        void setAttribute(String name, JsonNode value) {
            if (attributes.isEmpty()) {
                attributes = new LinkedHashMap<>();
            }
            attributes.put(name, value);
        }

        /** Whether a field was already set (document fields are read after this check). */
        boolean isSetFlat(String name) {
            int index = kind.indexOf(name);
            if (index >= 0) {
                return carried[index];
            }
            return OCCURRED_AT.equals(name) ? occurredAtCarried : attributes.containsKey(name);
        }

        DecodedRecord build(String streamKey, String entryId) throws InvalidEntryException {
            checkRequired();
            RecordRule.Values byName = field -> {
                int index = kind.indexOf(field);
                return index < 0 ? null : values[index];
            };
            Optional<Rejection> broken = kind.rule().check(byName);
            if (broken.isPresent()) {
                throw new InvalidEntryException(broken.get().reason(), broken.get().message());
            }
            int identityIndex = kind.indexOf(kind.identity());
            String identity = (String) values[identityIndex];
            if (identity == null || identity.isEmpty()) {
                Optional<String> fallback = kind.defaultIdentity(streamKey, entryId, byName);
                if (fallback.isEmpty()) {
                    throw new IllegalStateException(kind.identity() + " is required, so it was checked above");
                }
                identity = fallback.get();
                values[identityIndex] = identity;
                carried[identityIndex] = true;
            }
            Instant when = occurredAt != null ? occurredAt : Timestamps.ofEntryId(entryId);
            return new DecodedRecord(kind, identity, values, carried, attributes, when, entryId);
        }

        private void checkRequired() throws InvalidEntryException {
            for (int i = 0; i < values.length; i++) {
                Column field = kind.fields().get(i);
                boolean blank = values[i] instanceof String text && text.isBlank() && !field.mayBeEmpty();
                if (field.required() && (values[i] == null || blank)) {
                    throw new InvalidEntryException(Reason.MISSING_FIELD, "Field '" + field.name()
                            + "' is required for " + kind.id() + " but is "
                            + (values[i] == null ? (carried[i] ? "null" : "missing") : "empty")
                            + ": add it to the entry.");
                }
            }
        }
    }
}
