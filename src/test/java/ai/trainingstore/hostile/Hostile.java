package ai.trainingstore.hostile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Generates hostile values from a seeded {@link Random}, so a failing run can be repeated exactly
 * (the seed is printed with every failure; {@code -Dhostile.seed=...} replays it). Query values
 * come out already percent-encoded ({@link Value#encoded}), because some of them are bytes that no
 * string encodes: CESU-8 surrogates, overlong forms, malformed {@code %} escapes.
 */
final class Hostile {

    /** The base seed of every property; each property mixes in its own name. */
    static final long BASE_SEED = Long.getLong("hostile.seed", 20261201L);

    /**
     * Tries per property; {@code -Dhostile.tries=...} changes it. 60 in every build (the three
     * property classes were over a third of the suite's time at 200); run 1000 before a release.
     */
    static final int TRIES = Integer.getInteger("hostile.tries", 60);

    /** A generated value: its family (for grouping failures) and its text as sent in a query. */
    record Value(String family, String encoded) {
    }

    final Random random;

    Hostile(String property) {
        this.random = new Random(BASE_SEED ^ property.hashCode() * 0x9E3779B97F4A7C15L);
    }

    static long seedOf(String property) {
        return BASE_SEED ^ property.hashCode() * 0x9E3779B97F4A7C15L;
    }

    <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    @SafeVarargs
    final <T> T oneOf(Supplier<T>... generators) {
        return generators[random.nextInt(generators.length)].get();
    }

    boolean chance(double p) {
        return random.nextDouble() < p;
    }

    // ---- characters and text ----

    private static final String CONTROLS;
    static {
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            controls.append(c);
        }
        controls.append('\u007F');
        for (char c = 0x80; c < 0xA0; c++) {
            controls.append(c);
        }
        CONTROLS = controls.toString();
    }

    private static final List<String> UNICODE = List.of("\uD83D\uDE00", "\uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
            "\u200F", "\u202E", "\u2066", "\u200D", "\uFEFF", "\uFFFE", "\uFFFF", "e\u0301", "\u0130", "\u00DF",
            "\uFB03", "\u4E2D\u6587", "\uDBFF\uDFFF", "\u0000", "\u2028", "\u00A0", "\uFF11", "\u0663", "\u05D0\u05D1",
            "\u0627\u0644");

    private static final List<String> META = List.of("'", "\"", "\\", "%", "_", "*", ";", "--", "|", ",", "&", "=",
            "+", "#", "?", "/", "..", "$1", "' OR '1'='1", "\\N", "NULL", "\r\n", "<script>", "${x}", "%s", "*/");

    /** A short random text mixing letters, controls, unicode and metacharacters. */
    String mixedText() {
        int parts = 1 + random.nextInt(6);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            switch (random.nextInt(4)) {
                case 0 -> text.append((char) ('a' + random.nextInt(26)));
                case 1 -> text.append(CONTROLS.charAt(random.nextInt(CONTROLS.length())));
                case 2 -> text.append(pick(UNICODE));
                default -> text.append(pick(META));
            }
        }
        return text.toString();
    }

    /** Byte sequences that are not UTF-8, or are UTF-8 of things PostgreSQL refuses. */
    private static final List<byte[]> BAD_BYTES = List.of(
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},                 // CESU-8 high surrogate D800
            new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},                 // CESU-8 low surrogate DFFF
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80}, // emoji as CESU-8
            new byte[] {(byte) 0xC0, (byte) 0x80},                              // overlong NUL
            new byte[] {(byte) 0xC0, (byte) 0xAF},                              // overlong '/'
            new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFE}, new byte[] {(byte) 0x80},
            new byte[] {(byte) 0xE2, (byte) 0x82},                              // truncated
            new byte[] {(byte) 0xC3, 0x28},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},    // above U+10FFFF
            new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            new byte[] {0});

    byte[] badBytes() {
        return pick(BAD_BYTES);
    }

    // ---- query values ----

    private static final List<String> YEARS = List.of("2026", "0000", "0001", "1969", "1970", "9999", "10000",
            "+10000", "+294276", "+294277", "294277", "-4713", "-4714", "-0001", "+999999999", "-999999999",
            "+1000000000", "99999", "-1", "1");
    private static final List<String> MONTH_DAYS = List.of("01-01", "12-31", "02-29", "02-30", "13-01", "00-00",
            "1-1", "06-15", "12-32");
    private static final List<String> TIMES = List.of("00:00:00", "23:59:59.999999999", "23:59:60", "24:00:00",
            "23:59:59.9999999999", "12:00", "25:61:61", "00:00:00.000001", "12:00:00,5", "T");
    private static final List<String> OFFSETS = List.of("Z", "+00:00", "+18:00", "-18:00", "+25:00", "+18:01",
            "-00:00", "+0530", "z", "+05:30:45", "[Europe/Paris]", "", "+01:00[Europe/Paris]", "UTC", " Z");

    /** The edges of java.time and of PostgreSQL's timestamptz (4713 BC to 294276 AD), exactly. */
    private static final List<String> RANGE_EDGES = List.of("+999999999-12-31T23:59:59.999999999Z",
            "-999999999-01-01T00:00:00Z", "+294277-01-01T00:00:00Z", "+294276-12-31T23:59:59.999999Z",
            "-4714-01-01T00:00:00Z", "-4713-11-24T00:00:00Z", "-4713-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
            "+999999999-12-31", "-999999999-01-01", "+294277-01-01", "-4714-01-01", "9999-12-31T23:59:59.9999999Z",
            "+999999999-12-31T23:59:59.999999999-18:00", "-999999999-01-01T00:00:00+18:00");

    String dateText() {
        if (chance(0.12)) {
            return pick(RANGE_EDGES);
        }
        if (chance(0.15)) {
            return pick(List.of("1767225600000", "-1", "0", "1e13", "now", "today", "2026-W01-1", "2026-001",
                    "2026-01-01t00:00:00z", "2026-01-01 00:00:00Z", "20260101T000000Z", "2026-01-01T00:00:00Z\n",
                    "\u0662\u0660\u0662\u0666-01-01", "２０２６-01-01", "2026-01-01T00:00:00Z/P1D"));
        }
        String date = pick(YEARS) + "-" + pick(MONTH_DAYS);
        return chance(0.3) ? date : date + "T" + pick(TIMES) + pick(OFFSETS);
    }

    private static final List<String> NUMBERS = List.of("0", "-0", "1", "-1", "+1", "00001", "1.5", "1e3", "1E+2",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "99999999999999999999", "2147483647", "2147483648", "4294967296", "0x1F", "NaN", "Infinity",
            "-Infinity", " 1", "1 ", "\uFF11", "\u0663", "1_000", "1,000", "1e999999", "1e-999999", "0.0000001",
            "1000", "1001", "100000");

    String numberText() {
        if (chance(0.1)) {
            return "9".repeat(1 + random.nextInt(2_000));
        }
        return pick(NUMBERS);
    }

    private static final List<String> MALFORMED = List.of("%", "%z", "%zz", "%0", "%%", "%u0041", "%G0", "a%",
            "%%41", "%2", "%ZZ%00", "%E2%82", "%C0%80", "%ED%A0%80");

    /** One hostile query value, already percent-encoded. */
    Value value() {
        return switch (random.nextInt(11)) {
            case 0 -> new Value("control characters", pct(controlText()));
            case 1 -> new Value("NUL", pct(pick(List.of("a\u0000b", "\u0000", "2026-01-01\u0000",
                    "2026-01-01T00:00:00Z|x\u0000y", "x\u0000", "5\u0000"))));
            case 2 -> new Value("number", pct(numberText()));
            case 3 -> new Value("date", pct(dateText()));
            case 4 -> new Value("long value", longValue());
            case 5 -> new Value("wrong type", pct(pick(List.of("[]", "{}", "{\"a\":1}", "true", "null", "a,b", "|",
                    "||", "a|b|c", "[1,2]", "undefined", "-", "'", "\"\""))));
            case 6 -> new Value("unicode", pct(mixedText()));
            case 7 -> new Value("invalid UTF-8 bytes", HostileSupport.pct("a") + HostileSupport.pctBytes(badBytes())
                    + HostileSupport.pct("b"));
            case 8 -> new Value("malformed percent-encoding", pick(MALFORMED));
            case 9 -> new Value("empty", "");
            default -> new Value("plus and spaces", pick(List.of("+", "a+b", "%20", "%20a%20", "%09", "++", "%2B")));
        };
    }

    private String controlText() {
        StringBuilder text = new StringBuilder();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
            text.append(random.nextBoolean() ? (char) ('a' + random.nextInt(26))
                    : CONTROLS.charAt(random.nextInt(CONTROLS.length())));
        }
        return text.toString();
    }

    /** 1,000 to 100,000 characters: under and over every URI limit. */
    private String longValue() {
        int length = pick(List.of(1_000, 3_000, 8_500, 20_000, 100_000));
        String unit = pick(List.of("a", "%C3%A9", "%F0%9F%98%80", "%00", "%7C"));
        StringBuilder value = new StringBuilder(length);
        while (value.length() < length) {
            value.append(unit);
        }
        return value.toString();
    }

    /** A value for a date bound: mostly hostile dates. */
    Value dateValue() {
        return chance(0.6) ? new Value("date", pct(dateText())) : value();
    }

    Value numberValue() {
        return chance(0.6) ? new Value("number", pct(numberText())) : value();
    }

    /** A cursor: {@code <occurred_at>|<identity>} with hostile parts, or anything. */
    Value cursorValue() {
        if (chance(0.3)) {
            return value();
        }
        String identity = chance(0.5) ? mixedText() : pick(List.of("evt-1", "", "|", "a|b", "x\u0000y",
                "z".repeat(10_000), "training:events/1-0"));
        return new Value("cursor", pct(dateText() + "|" + identity));
    }

    /** A value for a text filter: mostly text. */
    Value textValue() {
        return chance(0.5) ? new Value("unicode", pct(mixedText())) : value();
    }

    /** A stream entry id for dead-letter paging, or anything. */
    Value entryIdValue() {
        if (chance(0.35)) {
            return value();
        }
        return new Value("entry id", pct(pick(List.of("0-0", "0-1", "-", "+", "(1-0", "1-", "-1", "1", "1-1-1",
                "18446744073709551615-18446744073709551615", "18446744073709551616-0", "99999999999999999999999-0",
                "0-99999999999999999999999", "1732430832123-0", "1e3-0", "0x10-0", " 1-0", "1-0 ", "$", ">",
                "*"))));
    }

    /** A hostile parameter name (encoded), for the unknown-parameter properties. */
    String parameterName(List<String> knownNames) {
        return switch (random.nextInt(6)) {
            case 0 -> pct(pick(knownNames).toUpperCase());
            case 1 -> pct(pick(knownNames) + pick(List.of(" ", "[]", ".x", "\u0000", "%", "=", "\uFEFF")));
            case 2 -> pct(mixedText());
            case 3 -> pick(MALFORMED);
            case 4 -> "";
            default -> pct("x".repeat(1 + random.nextInt(5_000)));
        };
    }

    static String pct(String text) {
        return HostileSupport.pct(text);
    }

    // ---- JSON texts ----

    /** A JSON string literal with hostile content (escapes for NUL and lone surrogates). */
    String jsonString() {
        return switch (random.nextInt(6)) {
            case 0 -> "\"\\u0000\"";
            case 1 -> "\"a\\ud800b\"";
            case 2 -> "\"\\udc00\"";
            case 3 -> "\"" + escape(mixedText()) + "\"";
            case 4 -> "\"" + "x".repeat(1 + random.nextInt(100_000)) + "\"";
            default -> "\"\"";
        };
    }

    /** A JSON value of any type, some of them hostile. */
    String jsonValue(int depth) {
        return switch (random.nextInt(depth > 3 ? 5 : 8)) {
            case 0 -> jsonString();
            case 1 -> pick(List.of("0", "-0", "1E+2", "12345678901234567890", "0.12345678901234567890", "1e999999",
                    "1e-999999", "-1e999999", "9".repeat(1_001), "0." + "1".repeat(1_001), "1.0e-7", "123456789e400"));
            case 2 -> pick(List.of("true", "false", "null"));
            case 3 -> "[]";
            case 4 -> "{}";
            case 5 -> "[" + jsonValue(depth + 1) + "," + jsonValue(depth + 1) + "]";
            case 6 -> "{\"" + escape(mixedText()) + "\":" + jsonValue(depth + 1) + "}";
            default -> {
                int nesting = pick(List.of(10, 999, 1_001, 3_000));
                yield "[".repeat(nesting) + "1" + "]".repeat(nesting);
            }
        };
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
