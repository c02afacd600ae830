package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One record of each kind, in each encoding, carrying every field of its kind plus unknown ones,
 * comes back from PostgreSQL with every column as sent (contract sections 1 and 2).
 */
@QuarkusTest
class RoundTripTest extends StoreTestSupport {

    private static final String MILLIS = "1767225600123";
    private static final Instant AT_MILLIS = Instant.ofEpochMilli(1767225600123L);

    // ---- events ----

    @Test
    void flatEventIsStoredWithEveryColumn() {
        String id = unique("event");
        String entryId = xadd(EVENTS,
                "event_id", id, "event_type", "tool_called", "agent_id", "agent-7", "task_id", "task-1",
                "workflow_id", "wf-1", "session_id", "session-1",
                "payload", "{\"result\":\"success\",\"score\":0.75,\"items\":[1,2,{\"deep\":true}],\"none\":null}",
                "occurred_at", "2026-03-01T10:15:30.123456+02:00",
                "note", "42");

        assertStored(Kind.EVENT, id, entryId, columns(
                "event_id", id, "event_type", "tool_called", "agent_id", "agent-7", "task_id", "task-1",
                "workflow_id", "wf-1", "session_id", "session-1",
                "payload", json("{\"result\":\"success\",\"score\":0.75,\"items\":[1,2,{\"deep\":true}],\"none\":null}"),
                "attributes", json("{\"note\":\"42\"}"),
                "occurred_at", Instant.parse("2026-03-01T08:15:30.123456Z"),
                "stream_entry_id", entryId));
    }

    @Test
    void documentEventIsStoredWithEveryColumn() {
        String id = unique("event");
        String entryId = xadd(EVENTS, "data", """
                {"event_id": "%s", "event_type": "task_completed", "agent_id": "agent-8", "task_id": "task-2",
                 "workflow_id": "wf-2", "session_id": "session-2", "payload": {"result": "success", "n": [1, 2.5]},
                 "occurred_at": %s, "extra": {"nested": [1, "two", false]}, "count": 3, "gone": null}
                """.formatted(id, MILLIS));

        assertStored(Kind.EVENT, id, entryId, columns(
                "event_id", id, "event_type", "task_completed", "agent_id", "agent-8", "task_id", "task-2",
                "workflow_id", "wf-2", "session_id", "session-2",
                "payload", json("{\"result\": \"success\", \"n\": [1, 2.5]}"),
                "attributes", json("{\"extra\": {\"nested\": [1, \"two\", false]}, \"count\": 3, \"gone\": null}"),
                "occurred_at", AT_MILLIS,
                "stream_entry_id", entryId));
    }

    @Test
    void eventWithoutIdIsIdentifiedByStreamKeyAndEntryId() {
        String agent = unique("agent");
        String flatEntry = xadd(EVENTS, "event_type", "started", "agent_id", agent);
        String documentEntry = xadd(EVENTS, "data",
                "{\"event_type\": \"started\", \"agent_id\": \"" + agent + "\", \"event_id\": null}");

        for (String entryId : List.of(flatEntry, documentEntry)) {
            String expectedId = EVENTS + "/" + entryId;
            assertStored(Kind.EVENT, expectedId, entryId, columns(
                    "event_id", expectedId, "event_type", "started", "agent_id", agent, "task_id", null,
                    "workflow_id", null, "session_id", null, "payload", null,
                    "attributes", json("{}"),
                    "occurred_at", entryTime(entryId),
                    "stream_entry_id", entryId));
        }
    }

    // ---- tasks ----

    @Test
    void flatTaskIsStoredWithEveryColumn() {
        String id = unique("task");
        String entryId = xadd(TASKS,
                "task_id", id, "agent_id", "agent-1", "status", "failed", "task_type", "summarize",
                "workflow_id", "wf-3", "input", "{\"text\":\"hello\",\"max_tokens\":128}",
                "output", "[\"partial\", 1.50]", "error", "model timed out", "metadata", "{\"model\":\"m-1\"}",
                "occurred_at", "2026-03-02T23:59:59.999Z",
                "priority", "high");

        assertStored(Kind.TASK, id, entryId, columns(
                "task_id", id, "agent_id", "agent-1", "status", "failed", "task_type", "summarize",
                "workflow_id", "wf-3", "input", json("{\"text\":\"hello\",\"max_tokens\":128}"),
                "output", json("[\"partial\", 1.5]"), "error", "model timed out",
                "metadata", json("{\"model\":\"m-1\"}"),
                "attributes", json("{\"priority\":\"high\"}"),
                "occurred_at", Instant.parse("2026-03-02T23:59:59.999Z"),
                "first_occurred_at", Instant.parse("2026-03-02T23:59:59.999Z"),
                "stream_entry_id", entryId));
    }

    @Test
    void documentTaskIsStoredWithEveryColumn() {
        String id = unique("task");
        String entryId = xadd(TASKS, "data", """
                {"task_id": "%s", "agent_id": "agent-2", "status": "completed", "task_type": "translate",
                 "workflow_id": "wf-4", "input": "just a string", "output": {"text": "bonjour", "tokens": 12},
                 "error": "", "metadata": [1, {"a": null}], "retries": 3, "labels": ["a", "b"], "owner": null}
                """.formatted(id));

        assertStored(Kind.TASK, id, entryId, columns(
                "task_id", id, "agent_id", "agent-2", "status", "completed", "task_type", "translate",
                "workflow_id", "wf-4", "input", json("\"just a string\""),
                "output", json("{\"text\": \"bonjour\", \"tokens\": 12}"), "error", "",
                "metadata", json("[1, {\"a\": null}]"),
                "attributes", json("{\"retries\": 3, \"labels\": [\"a\", \"b\"], \"owner\": null}"),
                "occurred_at", entryTime(entryId),
                "first_occurred_at", entryTime(entryId),
                "stream_entry_id", entryId));
    }

    // ---- tool executions ----

    @Test
    void flatToolExecutionIsStoredWithEveryColumn() {
        String id = unique("execution");
        String entryId = xadd(TOOL_EXECUTIONS,
                "execution_id", id, "agent_id", "agent-3", "tool_name", "web_search", "task_id", "task-5",
                "workflow_id", "wf-5", "status", "succeeded", "input_params", "{\"query\":\"redis streams\"}",
                "output_result", "{\"hits\":[{\"url\":\"https://example.org\",\"rank\":1}]}", "error", "none",
                "duration_ms", "1234", "occurred_at", MILLIS,
                "host", "worker-7");

        assertStored(Kind.TOOL_EXECUTION, id, entryId, columns(
                "execution_id", id, "agent_id", "agent-3", "tool_name", "web_search", "task_id", "task-5",
                "workflow_id", "wf-5", "status", "succeeded", "input_params", json("{\"query\":\"redis streams\"}"),
                "output_result", json("{\"hits\":[{\"url\":\"https://example.org\",\"rank\":1}]}"),
                "error", "none", "duration_ms", 1234L,
                "attributes", json("{\"host\":\"worker-7\"}"),
                "occurred_at", AT_MILLIS,
                "first_occurred_at", AT_MILLIS,
                "stream_entry_id", entryId));
    }

    @Test
    void documentToolExecutionIsStoredWithEveryColumn() {
        String id = unique("execution");
        String entryId = xadd(TOOL_EXECUTIONS, "data", """
                {"execution_id": "%s", "agent_id": "agent-4", "tool_name": "calculator", "task_id": "task-6",
                 "workflow_id": "wf-6", "status": "failed", "input_params": {"expr": "1/0"}, "output_result": null,
                 "error": "division by zero", "duration_ms": 98765, "occurred_at": "2026-01-01T00:00:00-05:00",
                 "attempt": 2, "trace": {"id": "t-1"}, "parent": null}
                """.formatted(id));

        assertStored(Kind.TOOL_EXECUTION, id, entryId, columns(
                "execution_id", id, "agent_id", "agent-4", "tool_name", "calculator", "task_id", "task-6",
                "workflow_id", "wf-6", "status", "failed", "input_params", json("{\"expr\": \"1/0\"}"),
                "output_result", null, "error", "division by zero", "duration_ms", 98765L,
                "attributes", json("{\"attempt\": 2, \"trace\": {\"id\": \"t-1\"}, \"parent\": null}"),
                "occurred_at", Instant.parse("2026-01-01T05:00:00Z"),
                "first_occurred_at", Instant.parse("2026-01-01T05:00:00Z"),
                "stream_entry_id", entryId));
    }

    // ---- workflows ----

    @Test
    void flatWorkflowIsStoredWithEveryColumn() {
        String id = unique("workflow");
        String entryId = xadd(WORKFLOWS,
                "workflow_id", id, "workflow_type", "research", "phase", "planning",
                "agent_ids", "[\"agent-1\",\"agent-2\"]", "state", "{\"step\":2,\"done\":false}",
                "metadata", "{\"owner\":\"team-a\"}", "occurred_at", "2026-05-05T12:00:00.5+05:30",
                "region", "eu");

        assertStored(Kind.WORKFLOW, id, entryId, columns(
                "workflow_id", id, "workflow_type", "research", "phase", "planning",
                "agent_ids", json("[\"agent-1\",\"agent-2\"]"), "state", json("{\"step\":2,\"done\":false}"),
                "metadata", json("{\"owner\":\"team-a\"}"),
                "attributes", json("{\"region\":\"eu\"}"),
                "occurred_at", Instant.parse("2026-05-05T06:30:00.5Z"),
                "first_occurred_at", Instant.parse("2026-05-05T06:30:00.5Z"),
                "stream_entry_id", entryId));
    }

    @Test
    void documentWorkflowIsStoredWithEveryColumn() {
        String id = unique("workflow");
        String entryId = xadd(WORKFLOWS, "data", """
                {"workflow_id": "%s", "workflow_type": "coding", "phase": "review", "agent_ids": [],
                 "state": {"files": ["a.java"], "score": 0.9}, "metadata": null,
                 "occurred_at": "2026-05-05T06:30:00Z", "budget": 12.25, "archived": false, "note": null}
                """.formatted(id));

        assertStored(Kind.WORKFLOW, id, entryId, columns(
                "workflow_id", id, "workflow_type", "coding", "phase", "review", "agent_ids", json("[]"),
                "state", json("{\"files\": [\"a.java\"], \"score\": 0.9}"), "metadata", null,
                "attributes", json("{\"budget\": 12.25, \"archived\": false, \"note\": null}"),
                "occurred_at", Instant.parse("2026-05-05T06:30:00Z"),
                "first_occurred_at", Instant.parse("2026-05-05T06:30:00Z"),
                "stream_entry_id", entryId));
    }

    // ---- messages ----

    private static final String TOOL_CALLS = "[{\"id\":\"call_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"search\",\"arguments\":\"{\\\"q\\\":\\\"redis\\\"}\"}}]";

    private static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"search\","
            + "\"description\":\"Search the code\",\"parameters\":{\"type\":\"object\"}}}]";

    @Test
    void flatMessageIsStoredWithEveryColumn() {
        String id = unique("message");
        String entryId = xadd(MESSAGES,
                "message_id", id, "conversation_id", "conv-1", "role", "assistant", "content", "",
                "agent_id", "agent-5", "task_id", "task-7", "name", "planner", "tool_calls", TOOL_CALLS,
                "tool_call_id", "call_0", "seq", "7", "tools", TOOLS,
                "model", "m-2");

        assertStored(Kind.MESSAGE, id, entryId, columns(
                "message_id", id, "conversation_id", "conv-1", "role", "assistant", "content", "",
                "agent_id", "agent-5", "task_id", "task-7", "name", "planner", "tool_calls", json(TOOL_CALLS),
                "tool_call_id", "call_0", "seq", 7L, "tools", json(TOOLS),
                "attributes", json("{\"model\":\"m-2\"}"),
                "occurred_at", entryTime(entryId),
                "stream_entry_id", entryId));
    }

    @Test
    void documentMessageIsStoredWithEveryColumn() {
        String id = unique("message");
        String entryId = xadd(MESSAGES, "data", """
                {"message_id": "%s", "conversation_id": "conv-1", "role": "tool", "content": "3 results: …",
                 "agent_id": "agent-5", "task_id": "task-7", "name": "search", "tool_calls": [],
                 "tool_call_id": "call_1", "seq": 8, "occurred_at": "2026-02-28T22:00:00.000001Z", "tools": null,
                 "tokens": {"prompt": 10, "completion": 2}, "cached": null}
                """.formatted(id));

        assertStored(Kind.MESSAGE, id, entryId, columns(
                "message_id", id, "conversation_id", "conv-1", "role", "tool", "content", "3 results: …",
                "agent_id", "agent-5", "task_id", "task-7", "name", "search", "tool_calls", json("[]"),
                "tool_call_id", "call_1", "seq", 8L, "tools", null,
                "attributes", json("{\"tokens\": {\"prompt\": 10, \"completion\": 2}, \"cached\": null}"),
                "occurred_at", Instant.parse("2026-02-28T22:00:00.000001Z"),
                "stream_entry_id", entryId));
    }

    /**
     * {@code tools} (J, an array of OpenAI tool definitions) is its own column in both encodings:
     * JSON text of an array in a flat entry, the array itself in a document; never in attributes.
     */
    @Test
    void messageToolsAreStoredInTheirColumnInEitherEncoding() {
        String conversation = unique("conversation");
        String prettyTools = "[\n  {\"type\": \"function\",\n   \"function\": {\"name\": \"search\", \"description\":"
                + " \"Search the code\", \"parameters\": {\"type\": \"object\"}}}\n]";
        String flat = unique("message");
        String document = unique("message");
        String empty = unique("message");
        String flatNull = unique("message");
        String documentAbsent = unique("message");
        List<String> entries = xaddTogether(MESSAGES, List.of(
                fields("message_id", flat, "conversation_id", conversation, "role", "system", "content", "Use tools.",
                        "tools", prettyTools),
                fields("data", """
                        {"message_id": "%s", "conversation_id": "%s", "role": "system", "content": "Use tools.",
                         "tools": %s, "tool_choice": "auto"}
                        """.formatted(document, conversation, TOOLS)),
                fields("message_id", empty, "conversation_id", conversation, "role", "system", "content", "No tools.",
                        "tools", "[]"),
                fields("message_id", flatNull, "conversation_id", conversation, "role", "user", "content", "hi",
                        "tools", "null"),
                fields("data", "{\"message_id\": \"" + documentAbsent + "\", \"conversation_id\": \"" + conversation
                        + "\", \"role\": \"user\", \"content\": \"hi\"}")));
        awaitAcknowledged(MESSAGES, entries);

        Map<String, Object> flatRow = awaitStoredRow(Kind.MESSAGE, flat);
        assertThat(flatRow.get("tools")).isEqualTo(json(TOOLS));
        assertThat(flatRow.get("attributes")).isEqualTo(json("{}"));
        Map<String, Object> documentRow = awaitStoredRow(Kind.MESSAGE, document);
        assertThat(documentRow.get("tools")).isEqualTo(json(TOOLS));
        assertThat(documentRow.get("attributes")).as("only the unnamed field").isEqualTo(json("{\"tool_choice\": \"auto\"}"));
        assertThat(awaitStoredRow(Kind.MESSAGE, empty).get("tools")).isEqualTo(json("[]"));
        assertThat(awaitStoredRow(Kind.MESSAGE, flatNull)).containsEntry("tools", null)
                .containsEntry("attributes", json("{}"));
        assertThat(awaitStoredRow(Kind.MESSAGE, documentAbsent)).containsEntry("tools", null);
        assertThat(query("SELECT jsonb_typeof(tools) AS type FROM training_data.training_messages WHERE message_id = ?",
                flat).get(0)).containsEntry("type", "array");
    }

    @Test
    void messageWithoutIdIsIdentifiedByStreamKeyAndEntryId() {
        String conversation = unique("conversation");
        String flatEntry = xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", "hi");
        String documentEntry = xadd(MESSAGES, "data",
                "{\"conversation_id\": \"" + conversation + "\", \"role\": \"user\", \"content\": \"hi\"}");

        for (String entryId : List.of(flatEntry, documentEntry)) {
            String expectedId = MESSAGES + "/" + entryId;
            assertStored(Kind.MESSAGE, expectedId, entryId, columns(
                    "message_id", expectedId, "conversation_id", conversation, "role", "user", "content", "hi",
                    "agent_id", null, "task_id", null, "name", null, "tool_calls", null, "tool_call_id", null,
                    "seq", null, "tools", null,
                    "attributes", json("{}"),
                    "occurred_at", entryTime(entryId),
                    "stream_entry_id", entryId));
        }
    }

    // ---- occurred_at ----

    @Test
    void occurredAtIsStoredAsTheSameInstantWhicheverFormItIsSentIn() {
        String agent = unique("agent");
        Map<String, Instant> expected = new LinkedHashMap<>();
        expected.put(event(agent, "occurred_at", "2026-03-01T10:15:30.123456+02:00"),
                Instant.parse("2026-03-01T08:15:30.123456Z"));
        expected.put(event(agent, "occurred_at", "2026-03-01T08:15:30Z"), Instant.parse("2026-03-01T08:15:30Z"));
        expected.put(event(agent, "occurred_at", MILLIS), AT_MILLIS);
        expected.put(document(agent, "\"2026-03-01T05:00:00-03:30\""), Instant.parse("2026-03-01T08:30:00Z"));
        expected.put(document(agent, MILLIS), AT_MILLIS);
        expected.put(document(agent, "\"" + MILLIS + "\""), AT_MILLIS);
        String flatWithout = event(agent);
        expected.put(flatWithout, entryTime(flatWithout));
        String documentWithout = xadd(EVENTS, "data",
                "{\"event_type\": \"timed\", \"agent_id\": \"" + agent + "\"}");
        expected.put(documentWithout, entryTime(documentWithout));

        expected.forEach((entryId, instant) -> assertThat(
                awaitStoredRow(Kind.EVENT, EVENTS + "/" + entryId).get("occurred_at"))
                .as("occurred_at of entry %s", entryId).isEqualTo(instant));
        assertThat(query("SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS utc"
                        + " FROM training_data.training_events WHERE event_id = ?",
                EVENTS + "/" + expected.keySet().iterator().next()).get(0).get("utc"))
                .isEqualTo("2026-03-01T08:15:30.123456");
        awaitAcknowledged(EVENTS, expected.keySet());
    }

    private String event(String agent, String... extraFields) {
        Map<String, String> entry = fields("event_type", "timed", "agent_id", agent);
        entry.putAll(fields(extraFields));
        return streams().xadd(EVENTS, entry);
    }

    private String document(String agent, String occurredAtJson) {
        return xadd(EVENTS, "data",
                "{\"event_type\": \"timed\", \"agent_id\": \"" + agent + "\", \"occurred_at\": " + occurredAtJson + "}");
    }

    /** The row is stored with exactly the expected columns, ingested_at set, and its entry acknowledged. */
    private void assertStored(Kind kind, String identity, String entryId, Map<String, Object> expected) {
        Map<String, Object> row = awaitStoredRow(kind, identity);
        assertThat(row.get("ingested_at")).as("ingested_at").isNotNull();
        assertThat(recordColumns(row)).isEqualTo(expected);
        awaitAcknowledged(kind.stream(), List.of(entryId));
    }
}
