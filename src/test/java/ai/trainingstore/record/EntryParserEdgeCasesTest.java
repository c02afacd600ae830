package ai.trainingstore.record;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.kind.Rejection.Reason;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The edges of the entry parser's one pass over a stream entry ({@link EntryParser#parseDecoded},
 * what the consumer calls): deep JSON, huge numbers, duplicate keys, escapes and raw control
 * characters are judged exactly as {@link EntryParser#parse} judges them (HTTP ingest, replays),
 * and as the parser did before the pass was made cheaper.
 */
class EntryParserEdgeCasesTest {

    private static final String STREAM = "training:test";
    private static final String ENTRY_ID = "1767225600123-4";
    private static final int PAYLOAD = RecordKind.EVENTS.indexOf("payload");

    private final EntryParser parser = new EntryParser(1 << 20);

    private static Map<String, String> fields(String... namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fields;
    }

    private static Map<String, String> event(String payload) {
        return fields("event_type", "t", "agent_id", "a", "payload", payload);
    }

    /** Parses both ways and insists on the same outcome; returns it. */
    private ParsedEntry both(RecordKind kind, Map<String, String> entry) {
        ParsedEntry general = parser.parse(kind, STREAM, ENTRY_ID, entry);
        ParsedEntry decoded = parser.parseDecoded(kind, STREAM, ENTRY_ID, entry);
        assertThat(decoded.isAccepted()).as("accepted both ways: %s", entry).isEqualTo(general.isAccepted());
        if (general.isAccepted()) {
            assertThat(Arrays.asList(decoded.record().values())).isEqualTo(Arrays.asList(general.record().values()));
            assertThat(decoded.record().attributes()).isEqualTo(general.record().attributes());
        } else {
            assertThat(decoded.rejection()).isEqualTo(general.rejection());
        }
        return general;
    }

    private void assertRejected(RecordKind kind, Map<String, String> entry, Reason reason, String... words) {
        ParsedEntry parsed = both(kind, entry);
        assertThat(parsed.isAccepted()).as("%s accepted", entry).isFalse();
        assertThat(parsed.rejection().reason()).isEqualTo(reason);
        assertThat(parsed.rejection().message()).contains(words);
    }

    private DecodedRecord assertAccepted(RecordKind kind, Map<String, String> entry) {
        ParsedEntry parsed = both(kind, entry);
        assertThat(parsed.rejection()).as("rejection of %s", entry).isNull();
        return parsed.record();
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    @Test
    void jsonNestedUpToTheLimitIsKeptAndDeeperIsMalformed() {
        assertThat(assertAccepted(RecordKind.EVENTS, event(nested(EntryParser.MAX_JSON_DEPTH))).values()[PAYLOAD])
                .isEqualTo(nested(EntryParser.MAX_JSON_DEPTH));
        assertRejected(RecordKind.EVENTS, event(nested(EntryParser.MAX_JSON_DEPTH + 1)), Reason.MALFORMED_JSON,
                "'payload'");
        assertRejected(RecordKind.EVENTS, fields("data", "{\"event_type\":\"t\",\"agent_id\":\"a\",\"payload\":"
                + nested(EntryParser.MAX_JSON_DEPTH) + "}"), Reason.MALFORMED_JSON, "'data'");
    }

    @Test
    void hugeNumbersAreRefusedAndLongOnesWithinTheLimitsKept() {
        String longest = "9".repeat(EntryParser.MAX_NUMBER_CHARS);
        assertThat(assertAccepted(RecordKind.EVENTS, event("{\"n\":" + longest + "}")).values()[PAYLOAD])
                .isEqualTo("{\"n\":" + longest + "}");
        assertRejected(RecordKind.EVENTS, event("{\"n\":" + longest + "9}"), Reason.MALFORMED_JSON, "'payload'");
        assertRejected(RecordKind.EVENTS, event("{\"n\":1e1000000}"), Reason.BAD_VALUE, "'payload'", "too large");
        assertRejected(RecordKind.EVENTS, event("[1e-16384]"), Reason.BAD_VALUE, "'payload'", "too large");
        assertAccepted(RecordKind.EVENTS, event("[1e131071, 1e-16383, -0.0, 1E+2]"));
    }

    @Test
    void duplicateKeysAreKeptAsSentInJsonTextAndTheLastWinsInADocument() {
        assertThat(assertAccepted(RecordKind.EVENTS, event("{\"a\":1,\"a\":2}")).values()[PAYLOAD])
                .as("a JSON field is stored as the text sent").isEqualTo("{\"a\":1,\"a\":2}");
        DecodedRecord document = assertAccepted(RecordKind.EVENTS, fields("data",
                "{\"event_type\":\"first\",\"agent_id\":\"a\",\"event_type\":\"second\",\"x\":1,\"x\":2}"));
        assertThat(document.values()[RecordKind.EVENTS.indexOf("event_type")]).isEqualTo("second");
        assertThat(document.attributes().get("x").asInt()).isEqualTo(2);
    }

    @Test
    void escapesAreCheckedAndRawControlCharactersAreMalformed() {
        assertRejected(RecordKind.EVENTS, event("{\"k\":\"a\\u0000b\"}"), Reason.BAD_VALUE, "'payload'", "NUL");
        assertRejected(RecordKind.EVENTS, event("{\"a\\u0000\":1}"), Reason.BAD_VALUE, "'payload'", "NUL");
        assertRejected(RecordKind.EVENTS, event("[\"\\ud800\"]"), Reason.BAD_VALUE, "'payload'", "surrogate");
        assertRejected(RecordKind.EVENTS, event("[\"\\udc00\\ud800\"]"), Reason.BAD_VALUE, "'payload'", "surrogate");
        assertAccepted(RecordKind.EVENTS, event("[\"\\ud83d\\ude80\", \"\\\\u0000 is text here\"]"));
        assertRejected(RecordKind.EVENTS, event("{\"k\":\"tab\there\"}"), Reason.MALFORMED_JSON, "'payload'");
        assertRejected(RecordKind.EVENTS, event("{\"k\tey\":1}"), Reason.MALFORMED_JSON, "'payload'");
        assertRejected(RecordKind.EVENTS, event("{\"k\":\"\\x\"}"), Reason.MALFORMED_JSON, "'payload'");
        assertRejected(RecordKind.EVENTS, event("{\"k\":\"unterminated}"), Reason.MALFORMED_JSON, "'payload'");
        assertRejected(RecordKind.EVENTS, event("[\"a\u0000b\"]"), Reason.BAD_VALUE, "'payload'", "NUL");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "no\u0000te", "x"),
                Reason.BAD_VALUE, "NUL");
        assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "user", "content", "x",
                "tool_calls", "{\"not\":\"an array\"}"), Reason.BAD_VALUE, "'tool_calls'", "array");
        assertRejected(RecordKind.EVENTS, event("{} {}"), Reason.MALFORMED_JSON, "'payload'", "more text");
    }

    /** Only {@link EntryParser#parse} can meet a lone surrogate in a field: strict UTF-8 never decodes one. */
    @Test
    void aLoneSurrogateInTextIsRefusedByTheGeneralParse() {
        ParsedEntry parsed = parser.parse(RecordKind.EVENTS, STREAM, ENTRY_ID,
                fields("event_type", "t", "agent_id", "a\ud800"));
        assertThat(parsed.rejection().reason()).isEqualTo(Reason.BAD_VALUE);
        assertThat(parsed.rejection().message()).contains("'agent_id'", "surrogate");
        assertThat(parser.parse(RecordKind.EVENTS, STREAM, ENTRY_ID, event("[\"\ud800\"]")).rejection().message())
                .contains("'payload'", "surrogate");
    }
}
