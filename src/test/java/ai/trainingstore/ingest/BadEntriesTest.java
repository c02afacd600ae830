package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A bad entry goes to the dead-letter stream with its reason and its original fields, is
 * acknowledged, and never keeps the good entries of its batch from being stored (contract
 * section 3). Each bad entry is published in one MULTI/EXEC between two good ones, so all three
 * are read in the same batch.
 */
@QuarkusTest
class BadEntriesTest extends StoreTestSupport {

    /** Dead-letter fields that an original field of the same name is renamed away from. */
    private static final Set<String> DEAD_LETTER_FIELDS = Set.of("source_stream", "source_id", "error", "error_code");

    @Test
    void missingRequiredFieldIsDeadLettered() {
        // The task's own 'error' field must survive as original.error next to the dead letter's error.
        assertDeadLetteredBetweenGoodEntries(Kind.TASK,
                fields("task_id", unique("task"), "agent_id", "agent-1", "error", "upstream timeout"),
                "missing_field", "'status'", "required", "missing");
    }

    @Test
    void requiredFieldSentAsNullInDataIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("data", "{\"event_type\": null, \"agent_id\": \"agent-1\"}"),
                "missing_field", "'event_type'", "required", "null");
    }

    @Test
    void malformedJsonInFlatJsonFieldIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("event_type", "done", "agent_id", "agent-1", "payload", "{\"result\": \"success\""),
                "malformed_json", "'payload'", "valid JSON");
    }

    @Test
    void malformedJsonInDataIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("data", "{\"event_type\": \"done\", \"agent_id\": agent-1}"),
                "malformed_json", "'data'", "not valid JSON");
    }

    @Test
    void dataHoldingAnArrayIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.TASK,
                fields("data", "[{\"task_id\": \"t\", \"agent_id\": \"a\", \"status\": \"s\"}]"),
                "not_an_object", "'data'", "JSON object", "array");
    }

    @Test
    void dataHoldingAStringIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.TASK,
                fields("data", "\"task_id=t agent_id=a status=s\""),
                "not_an_object", "'data'", "JSON object", "string");
    }

    @Test
    void occurredAtThatIsNotATimeIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("event_type", "done", "agent_id", "agent-1", "occurred_at", "yesterday"),
                "bad_timestamp", "'occurred_at'", "ISO-8601", "yesterday");
    }

    @Test
    void occurredAtWithoutOffsetIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.WORKFLOW,
                fields("workflow_id", unique("workflow"), "workflow_type", "t", "phase", "p",
                        "occurred_at", "2026-03-01T10:15:30"),
                "bad_timestamp", "'occurred_at'", "offset", "2026-03-01T10:15:30");
    }

    @Test
    void fractionalDurationIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.TOOL_EXECUTION,
                fields("execution_id", unique("execution"), "agent_id", "a", "tool_name", "t", "duration_ms", "12.5"),
                "bad_integer", "'duration_ms'", "whole number", "12.5");
    }

    @Test
    void nonNumericSeqIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("conversation_id", "c", "role", "user", "content", "hi", "seq", "abc"),
                "bad_integer", "'seq'", "whole number", "abc");
    }

    @Test
    void unknownMessageRoleIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("conversation_id", "c", "role", "robot", "content", "beep"),
                "bad_value", "'role'", "system, user, assistant or tool", "robot");
    }

    @Test
    void toolCallsThatAreNotAnArrayAreDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("conversation_id", "c", "role", "assistant", "content", "",
                        "tool_calls", "{\"id\": \"call_1\", \"type\": \"function\"}"),
                "bad_value", "'tool_calls'", "JSON array");
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("data", "{\"conversation_id\": \"c\", \"role\": \"assistant\", \"content\": \"\","
                        + " \"tool_calls\": \"call_1\"}"),
                "bad_value", "'tool_calls'", "JSON array", "string");
    }

    @Test
    void messageToolsThatAreNotAnArrayAreDeadLettered() {
        for (String tools : List.of("{\"type\": \"function\", \"function\": {\"name\": \"search\"}}", "\"search\"",
                "42", "true")) {
            assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                    fields("conversation_id", "c", "role", "system", "content", "Use tools.", "tools", tools),
                    "bad_value", "'tools'", "JSON array");
            assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                    fields("data", "{\"conversation_id\": \"c\", \"role\": \"system\", \"content\": \"Use tools.\","
                            + " \"tools\": " + tools + "}"),
                    "bad_value", "'tools'", "JSON array");
        }
        // JSON text of an array inside a document is a string, not an array.
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("data", "{\"conversation_id\": \"c\", \"role\": \"system\", \"content\": \"Use tools.\","
                        + " \"tools\": \"[]\"}"),
                "bad_value", "'tools'", "JSON array", "string");
        assertDeadLetteredBetweenGoodEntries(Kind.MESSAGE,
                fields("conversation_id", "c", "role", "system", "content", "Use tools.", "tools", "[{\"type\": "),
                "malformed_json", "'tools'");
    }

    @Test
    void agentIdsThatAreNotAnArrayAreDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.WORKFLOW,
                fields("workflow_id", unique("workflow"), "workflow_type", "t", "phase", "p",
                        "agent_ids", "\"agent-1,agent-2\""),
                "bad_value", "'agent_ids'", "JSON array");
        assertDeadLetteredBetweenGoodEntries(Kind.WORKFLOW,
                fields("data", "{\"workflow_id\": \"w\", \"workflow_type\": \"t\", \"phase\": \"p\","
                        + " \"agent_ids\": {\"first\": \"agent-1\"}}"),
                "bad_value", "'agent_ids'", "JSON array", "object");
    }

    @Test
    void entryOverTheSizeLimitIsDeadLettered() {
        String content = "x".repeat(1_100_000);
        Published published = publishBetweenGoodEntries(Kind.MESSAGE,
                fields("conversation_id", "c", "role", "user", "content", content));

        // Never read whole (issue 20): the dead letter keeps the start of each field and the real size.
        Map<String, String> deadLetter = awaitDeadLetters(1, List.of(published.badEntryId())).get(0);
        assertThat(deadLetter).containsEntry("source_stream", Kind.MESSAGE.stream())
                .containsEntry("source_id", published.badEntryId())
                .containsEntry("error_code", "too_large")
                .containsEntry("cut_from_bytes", "1100031")
                .containsEntry("conversation_id", "c")
                .containsEntry("role", "user");
        assertThat(deadLetter.get("error")).contains("1,100,031 bytes", "limit", "1,048,576").endsWith(".");
        assertThat(deadLetter.get("content")).isEqualTo("x".repeat(4096));
        assertGoodEntriesStoredAndAllAcknowledged(Kind.MESSAGE, published);
    }

    @Test
    void nulCharacterInJsonStringIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("event_type", "done", "agent_id", "agent-1", "payload", "{\"text\": \"a\\u0000b\"}"),
                "bad_value", "'payload'", "NUL");
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("data", "{\"event_type\": \"done\", \"agent_id\": \"agent-1\","
                        + " \"payload\": {\"list\": [\"a\\u0000b\"]}}"),
                "bad_value", "'payload'", "NUL");
    }

    @Test
    void nulCharacterInTextFieldIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.TASK,
                fields("task_id", unique("task"), "agent_id", "agent\u0000-1", "status", "running"),
                "bad_value", "'agent_id'", "NUL");
    }

    @Test
    void nulCharacterInAnUnknownFieldNameIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("event_type", "done", "agent_id", "agent-1", "trace\u0000id", "t-1"),
                "bad_value", "NUL");
    }

    @Test
    void fieldSentBothFlatAndInsideDataIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.EVENT,
                fields("agent_id", "agent-1", "data", "{\"event_type\": \"done\", \"agent_id\": \"agent-2\"}"),
                "bad_value", "'agent_id'", "both", "once");
    }

    // ---- feedback ----

    @Test
    void feedbackWithNeitherValueNorLabelIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "task", "target_id", unique("task"), "name", "reward", "comment", "no score"),
                "missing_field", "'value'", "'label'", "neither");
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("data", "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\","
                        + " \"value\": null, \"label\": null}"),
                "missing_field", "'value'", "'label'", "neither");
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "task", "target_id", "t", "name", "reward", "label", "  "),
                "missing_field", "'value'", "'label'", "neither");
    }

    /** A flat correction is JSON text: plain text must be sent as a JSON string. */
    @Test
    void feedbackCorrectionThatIsNotJsonIsDeadLettered() {
        for (String correction : List.of("Run the tests first.", "{\"content\": \"x\"", "[{\"id\": 1}]]")) {
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                    fields("target_kind", "message", "target_id", unique("message"), "name", "thumbs", "label", "down",
                            "correction", correction),
                    "malformed_json", "'correction'", "JSON");
        }
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "message", "target_id", unique("message"), "name", "thumbs", "label", "down",
                        "correction", ""),
                "malformed_json", "'correction'", "empty");
    }

    /** A correction is no score: every feedback record still needs a value or a label (contract section 1). */
    @Test
    void feedbackWithOnlyACorrectionIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "message", "target_id", unique("message"), "name", "thumbs",
                        "correction", "\"Say which file.\""),
                "missing_field", "'value'", "'label'", "neither");
    }

    @Test
    void feedbackValueThatIsNotAFiniteNumberIsDeadLettered() {
        for (String value : List.of("NaN", "Infinity", "-Infinity", "abc", "", "0x10", "1,5")) {
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                    fields("target_kind", "task", "target_id", unique("task"), "name", "reward", "value", value),
                    "bad_number", "'value'", "finite number", "'" + value + "'");
        }
        for (String value : List.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"abc\"", "true", "[0.5]",
                "{\"score\": 0.5}")) {
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                    fields("data", "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\","
                            + " \"value\": " + value + "}"),
                    "bad_number", "'value'", "finite number");
        }
    }

    @Test
    void feedbackValueBeyondTheRangeOfADoubleIsDeadLettered() {
        for (String value : List.of("1e400", "-1e400", "1e-400")) {
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                    fields("target_kind", "task", "target_id", unique("task"), "name", "reward", "value", value),
                    "bad_number", "'value'", "range of a double", value);
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                    fields("data", "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\","
                            + " \"value\": " + value + "}"),
                    "bad_number", "'value'", "range of a double");
        }
        // Beyond PostgreSQL's numeric too: still a number out of a double's range, not "send it as a string".
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("data", "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\","
                        + " \"value\": 1e131073}"),
                "bad_number", "'value'", "range of a double");
    }

    @Test
    void feedbackOnAnUnknownTargetKindIsDeadLettered() {
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "robot", "target_id", "t", "name", "reward", "value", "1"),
                "bad_value", "'target_kind'", "event, task, tool_execution, workflow, message, conversation", "robot");
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("data", "{\"target_kind\": \"tasks\", \"target_id\": \"t\", \"name\": \"reward\","
                        + " \"label\": \"ok\"}"),
                "bad_value", "'target_kind'", "tasks");
        assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK,
                fields("target_kind", "Task", "target_id", "t", "name", "reward", "value", "1"),
                "bad_value", "'target_kind'", "Task");
    }

    @Test
    void feedbackWithoutItsTargetOrNameIsDeadLettered() {
        for (String field : List.of("target_kind", "target_id", "name")) {
            Map<String, String> flat = fields("target_kind", "task", "target_id", unique("task"), "name", "reward",
                    "value", "1");
            flat.remove(field);
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK, flat,
                    "missing_field", "'" + field + "'", "required", "missing");
            Map<String, String> empty = fields("target_kind", "task", "target_id", unique("task"), "name", "reward",
                    "label", "ok");
            empty.put(field, "");
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK, empty,
                    "missing_field", "'" + field + "'", "required", "empty");
            String document = "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": 1}"
                    .replace("\"" + field + "\": \"" + (field.equals("target_kind") ? "task" : field.equals("name")
                            ? "reward" : "t") + "\"", "\"" + field + "\": null");
            assertDeadLetteredBetweenGoodEntries(Kind.FEEDBACK, fields("data", document),
                    "missing_field", "'" + field + "'", "required", "null");
        }
    }

    /**
     * A JSON number that Jackson reads but PostgreSQL cannot store ({@code 1e1000000} overflows
     * numeric) is refused on sight, without blocking the entries behind it.
     */
    @Test
    void jsonNumberPostgresqlCannotStoreIsDeadLetteredWithoutBlockingTheStream() {
        Published published = publishBetweenGoodEntries(Kind.EVENT,
                fields("event_type", "done", "agent_id", "agent-1", "payload", "{\"n\": 1e1000000}"));
        try {
            Map<String, String> deadLetter = awaitDeadLetters(1, List.of(published.badEntryId())).get(0);
            assertThat(deadLetter).containsEntry("error_code", "bad_value");
            assertThat(deadLetter.get("error")).contains("payload").contains("too large");
            assertGoodEntriesStoredAndAllAcknowledged(Kind.EVENT, published);
        } finally {
            // Unblock the stream for the rest of the suite: drop the entry and its delivery.
            streams().xdel(EVENTS, published.badEntryId());
            streams().xack(EVENTS, GROUP, published.badEntryId());
            awaitAcknowledged(EVENTS, published.entryIds());
        }
    }

    /** The entry ids of good, bad, good, and the identities of the two good records. */
    private record Published(List<String> entryIds, String goodBefore, String goodAfter) {
        String badEntryId() {
            return entryIds.get(1);
        }
    }

    /** XADDs good, bad, good in one MULTI/EXEC, so the store reads them in one batch. */
    private Published publishBetweenGoodEntries(Kind kind, Map<String, String> bad) {
        String before = unique("good-before");
        String after = unique("good-after");
        List<String> ids = xaddTogether(kind.stream(),
                List.of(kind.minimalEntry(before), bad, kind.minimalEntry(after)));
        return new Published(ids, before, after);
    }

    /**
     * Publishes the bad entry between two good ones, then asserts its dead letter (source, reason,
     * code, every original field), that the good ones are stored, and that all three are acknowledged.
     */
    private void assertDeadLetteredBetweenGoodEntries(Kind kind, Map<String, String> bad, String errorCode,
                                                      String... wordsOfError) {
        Published published = publishBetweenGoodEntries(kind, bad);

        Map<String, String> deadLetter = awaitDeadLetters(1, List.of(published.badEntryId())).get(0);
        assertThat(deadLetter).containsEntry("source_stream", kind.stream())
                .containsEntry("source_id", published.badEntryId())
                .containsEntry("error_code", errorCode);
        assertThat(deadLetter.get("error")).as("error sentence").contains(wordsOfError).endsWith(".");
        bad.forEach((name, value) -> assertThat(deadLetter)
                .as("original field %s", name)
                .containsEntry(DEAD_LETTER_FIELDS.contains(name) ? "original." + name : name, value));

        assertGoodEntriesStoredAndAllAcknowledged(kind, published);
    }

    private void assertGoodEntriesStoredAndAllAcknowledged(Kind kind, Published published) {
        assertThat(awaitStoredRow(kind, published.goodBefore()).get("stream_entry_id"))
                .isEqualTo(published.entryIds().get(0));
        assertThat(awaitStoredRow(kind, published.goodAfter()).get("stream_entry_id"))
                .isEqualTo(published.entryIds().get(2));
        awaitAcknowledged(kind.stream(), published.entryIds());
    }
}
