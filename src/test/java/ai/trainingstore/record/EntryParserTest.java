package ai.trainingstore.record;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.kind.Rejection;
import ai.trainingstore.kind.Rejection.Reason;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unit test of record decoding (contract sections 1 and 2): each kind in each encoding becomes a
 * {@link DecodedRecord} with its values typed by column, what it carried, its attributes, identity
 * and occurred_at; every kind of bad entry becomes a {@link Rejection} with its code and a sentence
 * naming the field.
 */
class EntryParserTest {

    private static final String STREAM = "training:test";
    private static final String ENTRY_ID = "1767225600123-4";
    private static final Instant ENTRY_TIME = Instant.ofEpochMilli(1767225600123L);

    private final EntryParser parser = new EntryParser(1 << 20);

    // ---- helpers ----

    private static Map<String, String> fields(String... namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fields;
    }

    private static Map<String, String> document(String json) {
        return fields(EntryParser.DATA_FIELD, json);
    }

    private DecodedRecord accepted(RecordKind kind, Map<String, String> entry) {
        ParsedEntry parsed = parser.parse(kind, STREAM, ENTRY_ID, entry);
        assertThat(parsed.rejection()).as("rejection of %s", entry).isNull();
        assertThat(parsed.isAccepted()).isTrue();
        return parsed.record();
    }

    private Rejection rejected(RecordKind kind, Map<String, String> entry) {
        ParsedEntry parsed = parser.parse(kind, STREAM, ENTRY_ID, entry);
        assertThat(parsed.isAccepted()).as("%s accepted as %s", entry, parsed.record()).isFalse();
        assertThat(parsed.record()).isNull();
        return parsed.rejection();
    }

    /** Asserts the rejection's reason and that its sentence has the words and ends with a period. */
    private void assertRejected(RecordKind kind, Map<String, String> entry, Reason reason, String... words) {
        Rejection rejection = rejected(kind, entry);
        assertThat(rejection.reason()).as("reason for %s: %s", entry, rejection.message()).isEqualTo(reason);
        assertThat(rejection.message()).as("message for %s", entry).contains(words).endsWith(".");
    }

    private static Object value(DecodedRecord record, String field) {
        int index = record.kind().indexOf(field);
        assertThat(index).as("%s is a field of %s", field, record.kind()).isNotNegative();
        return record.values()[index];
    }

    private static boolean carried(DecodedRecord record, String field) {
        return record.carried()[record.kind().indexOf(field)];
    }

    private static Map<String, Object> values(DecodedRecord record) {
        Map<String, Object> values = new LinkedHashMap<>();
        List<Column> fields = record.kind().fields();
        for (int i = 0; i < fields.size(); i++) {
            values.put(fields.get(i).name(), record.values()[i]);
        }
        return values;
    }

    private static JsonNode json(String text) {
        try {
            return EntryParser.JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    // ---- each kind, each encoding ----

    @Test
    void flatEventIsDecodedWithEveryField() {
        DecodedRecord event = accepted(RecordKind.EVENTS, fields("event_id", "e-1", "event_type", "tool_called",
                "agent_id", "a-1", "task_id", "t-1", "workflow_id", "w-1", "session_id", "s-1",
                "payload", "{\"score\": 0.75, \"n\": 12345678901234567890.123456789}",
                "occurred_at", "2026-03-01T10:15:30.123456+02:00", "note", "42"));

        assertThat(event.kind()).isEqualTo(RecordKind.EVENTS);
        assertThat(event.identity()).isEqualTo("e-1");
        assertThat(values(event)).containsExactly(Map.entry("event_type", "tool_called"), Map.entry("agent_id", "a-1"),
                Map.entry("event_id", "e-1"), Map.entry("task_id", "t-1"), Map.entry("workflow_id", "w-1"),
                Map.entry("session_id", "s-1"),
                Map.entry("payload", "{\"score\": 0.75, \"n\": 12345678901234567890.123456789}"));
        assertThat(event.carried()).containsOnly(true);
        assertThat(event.attributes()).containsExactly(Map.entry("note", TextNode.valueOf("42")));
        assertThat(event.occurredAt()).isEqualTo(Instant.parse("2026-03-01T08:15:30.123456Z"));
        assertThat(event.streamEntryId()).isEqualTo(ENTRY_ID);
    }

    @Test
    void documentEventIsDecodedWithEveryFieldAndJsonTypesInAttributes() {
        DecodedRecord event = accepted(RecordKind.EVENTS, document("""
                {"event_type": "done", "agent_id": "a-2", "payload": {"n": [1, 2.50, 1e2]},
                 "occurred_at": 1767225600999, "count": 3, "flag": true, "gone": null, "nested": {"a": [1]}}
                """));

        assertThat(event.identity()).as("no event_id: stream key and entry id").isEqualTo(STREAM + "/" + ENTRY_ID);
        assertThat(value(event, "event_id")).isEqualTo(STREAM + "/" + ENTRY_ID);
        assertThat(value(event, "payload")).as("JSON kept digit for digit (compact)").isEqualTo("{\"n\":[1,2.50,1E+2]}");
        assertThat(value(event, "task_id")).isNull();
        assertThat(carried(event, "task_id")).isFalse();
        assertThat(event.attributes()).containsExactly(Map.entry("count", json("3")), Map.entry("flag", json("true")),
                Map.entry("gone", NullNode.getInstance()), Map.entry("nested", json("{\"a\": [1]}")));
        assertThat(event.occurredAt()).isEqualTo(Instant.ofEpochMilli(1767225600999L));
    }

    @Test
    void tasksAreDecodedInBothEncodings() {
        DecodedRecord flat = accepted(RecordKind.TASKS, fields("task_id", "t-1", "agent_id", "a", "status", "running",
                "input", "{\"text\": \"hi\"}", "output", "null", "metadata", "[1]"));
        assertThat(flat.identity()).isEqualTo("t-1");
        assertThat(value(flat, "input")).isEqualTo("{\"text\": \"hi\"}");
        assertThat(value(flat, "output")).as("JSON null sent as text").isNull();
        assertThat(carried(flat, "output")).as("an explicit null is carried").isTrue();
        assertThat(carried(flat, "error")).isFalse();
        assertThat(flat.occurredAt()).as("no occurred_at: the entry id's time").isEqualTo(ENTRY_TIME);

        DecodedRecord document = accepted(RecordKind.TASKS, document("""
                {"task_id": "t-2", "agent_id": "a", "status": "done", "input": "just text", "output": null,
                 "error": 42, "workflow_id": true}
                """));
        assertThat(value(document, "input")).isEqualTo("\"just text\"");
        assertThat(value(document, "output")).isNull();
        assertThat(carried(document, "output")).isTrue();
        assertThat(value(document, "error")).as("a number in a text field is its text").isEqualTo("42");
        assertThat(value(document, "workflow_id")).isEqualTo("true");
        assertThat(carried(document, "metadata")).isFalse();
    }

    @Test
    void toolExecutionsCarryDurationAsALong() {
        assertThat(value(accepted(RecordKind.TOOL_EXECUTIONS, fields("execution_id", "x", "agent_id", "a",
                "tool_name", "t", "duration_ms", " 9007199254740993 ")), "duration_ms")).isEqualTo(9007199254740993L);
        assertThat(value(accepted(RecordKind.TOOL_EXECUTIONS, document("{\"execution_id\": \"x\", \"agent_id\": \"a\","
                + " \"tool_name\": \"t\", \"duration_ms\": 1200}")), "duration_ms")).isEqualTo(1200L);
        assertThat(value(accepted(RecordKind.TOOL_EXECUTIONS, document("{\"execution_id\": \"x\", \"agent_id\": \"a\","
                + " \"tool_name\": \"t\", \"duration_ms\": \"15\"}")), "duration_ms")).isEqualTo(15L);
    }

    @Test
    void workflowsCarryAgentIdsAsAnArray() {
        assertThat(value(accepted(RecordKind.WORKFLOWS, fields("workflow_id", "w", "workflow_type", "t", "phase", "p",
                "agent_ids", "[\"a1\", \"a2\"]")), "agent_ids")).isEqualTo("[\"a1\", \"a2\"]");
        assertThat(value(accepted(RecordKind.WORKFLOWS, document("{\"workflow_id\": \"w\", \"workflow_type\": \"t\","
                + " \"phase\": \"p\", \"agent_ids\": [\"a1\"], \"state\": {\"s\": 1}}")), "agent_ids"))
                .isEqualTo("[\"a1\"]");
    }

    @Test
    void messagesAreDecodedInBothEncodingsWithTools() {
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"search\",\"parameters\":{}}}]";
        DecodedRecord flat = accepted(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "system",
                "content", "Use tools.", "seq", "1", "tools", tools));
        assertThat(flat.identity()).isEqualTo(STREAM + "/" + ENTRY_ID);
        assertThat(value(flat, "tools")).isEqualTo(tools);
        assertThat(value(flat, "seq")).isEqualTo(1L);
        assertThat(flat.attributes()).as("tools is a named field, not an attribute").isEmpty();

        DecodedRecord document = accepted(RecordKind.MESSAGES, document("{\"message_id\": \"m-1\","
                + " \"conversation_id\": \"c\", \"role\": \"assistant\", \"content\": \"\", \"tools\": " + tools + ","
                + " \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\"}]}"));
        assertThat(document.identity()).isEqualTo("m-1");
        assertThat(value(document, "tools")).isEqualTo(tools);
        assertThat(value(document, "content")).isEqualTo("");
    }

    @Test
    void feedbackIsDecodedInBothEncodingsWithValueAsADouble() {
        DecodedRecord flat = accepted(RecordKind.FEEDBACK, fields("feedback_id", "f-1", "target_kind", "task",
                "target_id", "t-1", "name", "correctness", "value", "0.75", "label", "good", "comment", "c",
                "source", "human", "agent_id", "a", "rubric", "v2", "correction", "{\"content\": \"Fixed.\"}"));
        assertThat(values(flat)).containsExactly(Map.entry("target_kind", "task"), Map.entry("target_id", "t-1"),
                Map.entry("name", "correctness"), Map.entry("value", 0.75), Map.entry("label", "good"),
                Map.entry("comment", "c"), Map.entry("source", "human"), Map.entry("agent_id", "a"),
                Map.entry("feedback_id", "f-1"), Map.entry("correction", "{\"content\": \"Fixed.\"}"));
        assertThat(flat.identity()).isEqualTo("f-1");
        assertThat(flat.attributes()).containsOnlyKeys("rubric");

        DecodedRecord document = accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"conversation\","
                + " \"target_id\": \"c-1\", \"name\": \"thumbs\", \"value\": -3, \"source\": \"model\","
                + " \"correction\": \"Fixed.\"}"));
        assertThat(value(document, "value")).isEqualTo(-3.0);
        assertThat(value(document, "correction")).as("a JSON string, as JSON text").isEqualTo("\"Fixed.\"");
        assertThat(document.identity()).isEqualTo("conversation/c-1/thumbs/model");
        assertThat(value(document, "feedback_id")).isEqualTo("conversation/c-1/thumbs/model");
        assertThat(carried(document, "feedback_id")).as("the default identity is carried like a sent one").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.75", "-3", "1e-3", "1E-3", " 0.5 ", "+2", "0", "-0", "4.9e-324",
            "1.7976931348623157e308", "123456789012345678901234567890", "0.1000000000000000055511151231257827"})
    void feedbackValueIsTheSameDoubleAsFlatTextAsDocumentTextAndAsDocumentNumber(String text) {
        double expected = Double.parseDouble(text.trim()) == 0 ? 0.0 : Double.parseDouble(text.trim());
        Object flat = value(accepted(RecordKind.FEEDBACK, fields("target_kind", "task", "target_id", "t",
                "name", "n", "value", text)), "value");
        Object documentText = value(accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\","
                + " \"target_id\": \"t\", \"name\": \"n\", \"value\": \"" + text + "\"}")), "value");
        assertThat(flat).isInstanceOf(Double.class).isEqualTo(expected);
        assertThat(documentText).isEqualTo(expected);
        if (!text.isBlank() && !text.startsWith(" ") && !text.startsWith("+")) {
            Object documentNumber = value(accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\","
                    + " \"target_id\": \"t\", \"name\": \"n\", \"value\": " + text + "}")), "value");
            assertThat(documentNumber).isEqualTo(expected);
        }
    }

    @Test
    void negativeZeroIsStoredAsZero() {
        Object value = value(accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\","
                + " \"name\": \"n\", \"value\": -0.0}")), "value");
        assertThat(Double.doubleToRawLongBits((Double) value)).isEqualTo(Double.doubleToRawLongBits(0.0));
    }

    // ---- identities ----

    @Test
    void feedbackWithoutIdIsNamedAfterTargetAndNameWithAnAbsentSourceAsEmptyText() {
        Map<String, String> entry = fields("target_kind", "task", "target_id", "t-1", "name", "reward", "value", "1");
        assertThat(accepted(RecordKind.FEEDBACK, entry).identity()).isEqualTo("task/t-1/reward/");
        assertThat(accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t-1\","
                + " \"name\": \"reward\", \"value\": 1, \"source\": null, \"feedback_id\": null}")).identity())
                .as("explicit nulls: the same identity").isEqualTo("task/t-1/reward/");
        entry.put("feedback_id", "");
        assertThat(accepted(RecordKind.FEEDBACK, entry).identity()).as("empty feedback_id: the default")
                .isEqualTo("task/t-1/reward/");
        entry.put("source", "unit_tests");
        assertThat(accepted(RecordKind.FEEDBACK, entry).identity()).isEqualTo("task/t-1/reward/unit_tests");
        entry.put("feedback_id", "mine");
        assertThat(accepted(RecordKind.FEEDBACK, entry).identity()).isEqualTo("mine");
    }

    @ParameterizedTest
    @EnumSource(value = RecordKind.class, names = {"EVENTS", "MESSAGES"})
    void eventsAndMessagesWithoutIdAreNamedAfterStreamAndEntry(RecordKind kind) {
        Map<String, String> entry = kind == RecordKind.EVENTS ? fields("event_type", "t", "agent_id", "a")
                : fields("conversation_id", "c", "role", "user", "content", "hi");
        assertThat(accepted(kind, entry).identity()).isEqualTo("training:test/1767225600123-4");
        assertThat(kind.identityDefaultsToEntry()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = RecordKind.class, names = {"TASKS", "TOOL_EXECUTIONS", "WORKFLOWS"})
    void mergedKindsOtherThanFeedbackRequireTheirId(RecordKind kind) {
        Map<String, String> entry = new LinkedHashMap<>();
        for (Column field : kind.fields()) {
            if (field.required() && !field.name().equals(kind.identity())) {
                entry.put(field.name(), "x");
            }
        }
        assertRejected(kind, entry, Reason.MISSING_FIELD, "'" + kind.identity() + "'", "required", "missing");
        assertThat(kind.identityDefaultsToEntry()).isFalse();
    }

    // ---- occurred_at ----

    @Test
    void occurredAtIsAnInstantWithOffsetOrEpochMillisTruncatedToMicroseconds() {
        Map<String, Instant> cases = new LinkedHashMap<>();
        cases.put("2026-03-01T10:15:30.123456+02:00", Instant.parse("2026-03-01T08:15:30.123456Z"));
        cases.put("2026-03-01T08:15:30Z", Instant.parse("2026-03-01T08:15:30Z"));
        cases.put("2026-03-01T08:15:30.123456789Z", Instant.parse("2026-03-01T08:15:30.123456Z"));
        cases.put("1767225600123", Instant.ofEpochMilli(1767225600123L));
        cases.put(" 1767225600123 ", Instant.ofEpochMilli(1767225600123L));
        cases.put("0", Instant.EPOCH);
        cases.put("9999-12-31T23:59:59.999999Z", Instant.parse("9999-12-31T23:59:59.999999Z"));
        cases.forEach((text, instant) -> {
            assertThat(accepted(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "occurred_at", text))
                    .occurredAt()).as("flat %s", text).isEqualTo(instant);
            assertThat(accepted(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": \"a\","
                    + " \"occurred_at\": \"" + text + "\"}")).occurredAt()).as("document %s", text).isEqualTo(instant);
        });
        assertThat(accepted(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": \"a\","
                + " \"occurred_at\": 1767225600123}")).occurredAt()).isEqualTo(Instant.ofEpochMilli(1767225600123L));
        assertThat(accepted(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": \"a\","
                + " \"occurred_at\": null}")).occurredAt()).as("null: the entry's time").isEqualTo(ENTRY_TIME);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-03-01T10:15:30", "2026-03-01", "", "-1", "1.5",
            "1969-12-31T23:59:59Z", "+10000-01-01T00:00:00Z", "253402300800000", "99999999999999999999"})
    void occurredAtThatIsNotATimeInRangeIsABadTimestamp(String text) {
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "occurred_at", text),
                Reason.BAD_TIMESTAMP, "'occurred_at'", "ISO-8601");
    }

    @Test
    void occurredAtInADocumentMustBeTextOrWholeMillis() {
        for (String value : List.of("1.5", "true", "{}", "[1]", "-5", "253402300800000")) {
            assertRejected(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": \"a\", \"occurred_at\": "
                    + value + "}"), Reason.BAD_TIMESTAMP, "'occurred_at'");
        }
    }

    // ---- rejections ----

    @Test
    void aMissingNullOrEmptyRequiredFieldIsMissingField() {
        assertRejected(RecordKind.EVENTS, fields("agent_id", "a"), Reason.MISSING_FIELD, "'event_type'", "missing");
        assertRejected(RecordKind.EVENTS, document("{\"event_type\": null, \"agent_id\": \"a\"}"), Reason.MISSING_FIELD,
                "'event_type'", "null");
        assertRejected(RecordKind.EVENTS, fields("event_type", "  ", "agent_id", "a"), Reason.MISSING_FIELD,
                "'event_type'", "empty");
        assertRejected(RecordKind.FEEDBACK, fields("target_kind", "task", "name", "n", "value", "1"),
                Reason.MISSING_FIELD, "'target_id'", "required for feedback");
    }

    @Test
    void feedbackNeedsAValueOrALabel() {
        for (Map<String, String> entry : List.of(
                fields("target_kind", "task", "target_id", "t", "name", "n"),
                fields("target_kind", "task", "target_id", "t", "name", "n", "label", ""),
                fields("target_kind", "task", "target_id", "t", "name", "n", "label", " \t"),
                document("{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"n\", \"value\": null,"
                        + " \"label\": null}"))) {
            assertRejected(RecordKind.FEEDBACK, entry, Reason.MISSING_FIELD, "'value'", "'label'", "neither");
        }
        assertThat(value(accepted(RecordKind.FEEDBACK, fields("target_kind", "task", "target_id", "t", "name", "n",
                "label", "ok")), "value")).isNull();
        assertThat(value(accepted(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\","
                + " \"name\": \"n\", \"value\": 0, \"label\": null}")), "value")).isEqualTo(0.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"robot", "Task", "tasks", " task", "events", ""})
    void feedbackOnAnUnknownTargetKindIsBadValue(String targetKind) {
        if (targetKind.isBlank()) {
            assertRejected(RecordKind.FEEDBACK, fields("target_kind", targetKind, "target_id", "t", "name", "n",
                    "value", "1"), Reason.MISSING_FIELD, "'target_kind'");
            return;
        }
        assertRejected(RecordKind.FEEDBACK, fields("target_kind", targetKind, "target_id", "t", "name", "n",
                "value", "1"), Reason.BAD_VALUE, "'target_kind'", "event, task, tool_execution, workflow, message,"
                + " conversation", "'" + targetKind + "'");
    }

    @Test
    void everyTargetKindOfTheContractIsAccepted() {
        for (String targetKind : List.of("event", "task", "tool_execution", "workflow", "message", "conversation")) {
            assertThat(accepted(RecordKind.FEEDBACK, fields("target_kind", targetKind, "target_id", "t", "name", "n",
                    "value", "1")).identity()).isEqualTo(targetKind + "/t/n/");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity", "inf", "abc", "", " ", "0x10", "1,5", "1e", "--1", "1 2"})
    void feedbackValueThatIsNotAFiniteDecimalIsBadNumber(String text) {
        assertRejected(RecordKind.FEEDBACK, fields("target_kind", "task", "target_id", "t", "name", "n", "value", text),
                Reason.BAD_NUMBER, "'value'", "finite number");
        assertRejected(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"n\","
                + " \"value\": \"" + text + "\"}"), Reason.BAD_NUMBER, "'value'", "finite number");
    }

    /**
     * Every number beyond a double's range is bad_number, with the advice to send one within it,
     * also those beyond PostgreSQL's numeric (which a JSON field would refuse as bad_value: "send it
     * as a string"; advice that for a number field would only lead to another refusal).
     */
    @ParameterizedTest
    @ValueSource(strings = {"1e400", "-1e400", "1e-400", "2e308", "1e131073", "-1e131073", "1e-16384",
            "1e999999999"})
    void feedbackValueBeyondTheRangeOfADoubleIsBadNumber(String number) {
        assertRejected(RecordKind.FEEDBACK, fields("target_kind", "task", "target_id", "t", "name", "n",
                "value", number), Reason.BAD_NUMBER, "'value'", "range of a double");
        assertRejected(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"n\","
                + " \"value\": " + number + "}"), Reason.BAD_NUMBER, "'value'", "range of a double");
    }

    @Test
    void feedbackValueOfAnotherJsonTypeIsBadNumber() {
        for (String value : List.of("true", "[0.5]", "{\"v\": 0.5}")) {
            assertRejected(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\","
                    + " \"name\": \"n\", \"value\": " + value + "}"), Reason.BAD_NUMBER, "'value'");
        }
        assertRejected(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\","
                + " \"name\": \"n\", \"value\": NaN}"), Reason.MALFORMED_JSON, "'data'");
    }

    @Test
    void aWrongIntegerIsBadInteger() {
        for (String text : List.of("12.5", "abc", "", "1e3", "9223372036854775808")) {
            assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "user", "content", "hi",
                    "seq", text), Reason.BAD_INTEGER, "'seq'", "whole number");
        }
        for (String value : List.of("12.5", "12.0", "true", "9223372036854775808", "\"x\"")) {
            assertRejected(RecordKind.MESSAGES, document("{\"conversation_id\": \"c\", \"role\": \"user\","
                    + " \"content\": \"hi\", \"seq\": " + value + "}"), Reason.BAD_INTEGER, "'seq'", "whole number");
        }
    }

    @Test
    void badJsonIsMalformedJsonAndAWrongShapeIsBadValue() {
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "payload", "{\"a\": "),
                Reason.MALFORMED_JSON, "'payload'", "valid JSON");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "payload", ""),
                Reason.MALFORMED_JSON, "'payload'", "empty");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "payload", "{} {}"),
                Reason.MALFORMED_JSON, "'payload'", "more text");
        assertRejected(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": a}"),
                Reason.MALFORMED_JSON, "'data'", "not valid JSON");
        assertRejected(RecordKind.EVENTS, document("[]"), Reason.NOT_AN_OBJECT, "'data'", "array");
        assertRejected(RecordKind.EVENTS, document("\"text\""), Reason.NOT_AN_OBJECT, "'data'", "string");
        assertRejected(RecordKind.EVENTS, document("null"), Reason.NOT_AN_OBJECT, "'data'", "null");
        assertRejected(RecordKind.EVENTS, document(""), Reason.NOT_AN_OBJECT, "'data'", "nothing");
        assertRejected(RecordKind.TASKS, document("{\"task_id\": \"t\", \"agent_id\": [\"a\"], \"status\": \"s\"}"),
                Reason.BAD_VALUE, "'agent_id'", "text", "array");
    }

    @Test
    void arrayFieldsMustBeArraysInBothEncodings() {
        for (String notArray : List.of("{\"type\": \"function\"}", "\"search\"", "42", "true")) {
            assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "system", "content", "x",
                    "tools", notArray), Reason.BAD_VALUE, "'tools'", "JSON array");
            assertRejected(RecordKind.MESSAGES, document("{\"conversation_id\": \"c\", \"role\": \"system\","
                    + " \"content\": \"x\", \"tools\": " + notArray + "}"), Reason.BAD_VALUE, "'tools'", "JSON array");
            assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "assistant", "content", "",
                    "tool_calls", notArray), Reason.BAD_VALUE, "'tool_calls'", "JSON array");
            assertRejected(RecordKind.WORKFLOWS, fields("workflow_id", "w", "workflow_type", "t", "phase", "p",
                    "agent_ids", notArray), Reason.BAD_VALUE, "'agent_ids'", "JSON array");
        }
        assertThat(value(accepted(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "system", "content", "x",
                "tools", "null")), "tools")).as("JSON null is no array, but absent").isNull();
        assertThat(value(accepted(RecordKind.MESSAGES, document("{\"conversation_id\": \"c\", \"role\": \"system\","
                + " \"content\": \"x\", \"tools\": null}")), "tools")).isNull();
    }

    @Test
    void messageRoleAndContentFollowTheMessageRule() {
        assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "robot", "content", "x"),
                Reason.BAD_VALUE, "'role'", "system, user, assistant or tool", "robot");
        assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "user", "content", ""),
                Reason.MISSING_FIELD, "'content'", "empty");
        assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "assistant", "content", "",
                "tool_calls", " [ ] "), Reason.MISSING_FIELD, "'content'");
        assertRejected(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "assistant"),
                Reason.MISSING_FIELD, "'content'", "missing");
        assertThat(value(accepted(RecordKind.MESSAGES, fields("conversation_id", "c", "role", "assistant",
                "content", "", "tool_calls", "[{\"id\": \"call_1\"}]")), "content")).isEqualTo("");
    }

    @Test
    void aFieldSentFlatAndInsideDataIsBadValue() {
        assertRejected(RecordKind.EVENTS, fields("agent_id", "a", "data", "{\"event_type\": \"t\", \"agent_id\": \"b\"}"),
                Reason.BAD_VALUE, "'agent_id'", "both");
        assertRejected(RecordKind.EVENTS, fields("data", "{\"event_type\": \"t\", \"agent_id\": \"b\", \"x\": 1}",
                "x", "2"), Reason.BAD_VALUE, "'x'", "both");
        assertRejected(RecordKind.EVENTS, fields("occurred_at", "0", "data", "{\"event_type\": \"t\","
                + " \"agent_id\": \"b\", \"occurred_at\": 0}"), Reason.BAD_VALUE, "'occurred_at'", "both");
    }

    @Test
    void textPostgresqlCannotStoreIsBadValue() {
        assertRejected(RecordKind.TASKS, fields("task_id", "t", "agent_id", "a\u0000b", "status", "s"),
                Reason.BAD_VALUE, "'agent_id'", "NUL");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "trace\u0000id", "1"),
                Reason.BAD_VALUE, "NUL");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "payload", "[\"a\\u0000b\"]"),
                Reason.BAD_VALUE, "'payload'", "NUL");
        assertRejected(RecordKind.EVENTS, document("{\"event_type\": \"t\", \"agent_id\": \"a\","
                + " \"payload\": {\"k\\u0000\": 1}}"), Reason.BAD_VALUE, "'payload'", "NUL");
        assertRejected(RecordKind.FEEDBACK, document("{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"n\","
                + " \"label\": \"\\ud800\"}"), Reason.BAD_VALUE, "'label'", "surrogate");
        assertRejected(RecordKind.EVENTS, fields("event_type", "t", "agent_id", "a", "payload", "{\"n\": 1e1000000}"),
                Reason.BAD_VALUE, "'payload'", "too large");
        assertThat(value(accepted(RecordKind.FEEDBACK, fields("target_kind", "task", "target_id", "t", "name", "n",
                "label", "\ud83d\ude80")), "label")).as("a paired surrogate is fine").isEqualTo("\ud83d\ude80");
    }

    /** The limit counts UTF-8 bytes of every field name and value; an entry at the limit is accepted. */
    @Test
    void anEntryOverTheSizeLimitIsTooLarge() {
        EntryParser small = new EntryParser(1024);
        // Names and values other than the note: event_type, t, agent_id, a, note = 24 bytes.
        Map<String, String> atLimit = fields("event_type", "t", "agent_id", "a", "note", "é".repeat(500));
        assertThat(small.parse(RecordKind.EVENTS, STREAM, ENTRY_ID, atLimit).isAccepted())
                .as("24 + 500 two-byte characters = 1,024 bytes").isTrue();
        Map<String, String> overLimit = fields("event_type", "t", "agent_id", "a", "note", "é".repeat(500) + "a");
        Rejection rejection = small.parse(RecordKind.EVENTS, STREAM, ENTRY_ID, overLimit).rejection();
        assertThat(rejection).as("1,025 bytes, though only 525 characters in all").isNotNull();
        assertThat(rejection.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(rejection.message()).contains("1,025 bytes").contains("1,024").contains("max-entry-bytes");
        Map<String, String> emoji = fields("event_type", "t", "agent_id", "a", "note", "\ud83d\ude80".repeat(250) + "x");
        assertThat(small.parse(RecordKind.EVENTS, STREAM, ENTRY_ID, emoji).rejection().reason())
                .as("a surrogate pair is 4 bytes: 24 + 1,000 + 1").isEqualTo(Reason.TOO_LARGE);
    }

    @Test
    void reasonCodesAreTheLowerCaseNames() {
        assertThat(Reason.MISSING_FIELD.code()).isEqualTo("missing_field");
        assertThat(Reason.BAD_NUMBER.code()).isEqualTo("bad_number");
        assertThat(Reason.BAD_VALUE.code()).isEqualTo("bad_value");
        assertThat(Reason.NOT_AN_OBJECT.code()).isEqualTo("not_an_object");
    }

    @Test
    void shownTextIsEscapedAndShortened() {
        assertThat(Rejection.shown(null)).isEqualTo("null");
        assertThat(Rejection.shown("a\nb")).isEqualTo("a\\u000ab");
        assertThat(Rejection.shown("x".repeat(100))).hasSize(80).endsWith("...");
    }
}
