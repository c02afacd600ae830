package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * For each kind, the JSONL and the CSV export hold the rows PostgreSQL holds, column by column
 * (contract section 4): JSON columns nested in JSONL and compact JSON text in CSV, integers as
 * numbers, timestamps in UTC with six fraction digits and Z, null as JSON null or as an unquoted
 * empty CSV field. The expected values come from PostgreSQL itself (its catalogue for the columns,
 * {@code to_char} for the timestamps), never from the exporter's code.
 */
@QuarkusTest
class ExportFormatsTest extends ExportTestSupport {

    private static final String PAYLOAD = "{\"result\":\"success\",\"score\":0.75,\"items\":[1,2,{\"deep\":true}],"
            + "\"none\":null,\"text\":\"quote \\\" backslash \\\\ tab \\t newline \\n é ✓ 🚀\"}";
    private static final String TOOL_CALLS = "[{\"id\":\"call_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"search\",\"arguments\":\"{\\\"q\\\":\\\"redis\\\"}\"}}]";

    /** What a test published: the column and value that select its rows, and named identities. */
    private record Published(Kind kind, String scopeColumn, String scope, int rows, Map<String, String> ids) {
    }

    // ---- events ----

    @Test
    void eventsJsonlExportHoldsEveryStoredColumnAsStored() {
        Published published = publishEvents();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        JsonNode flat = row(rows, "event_id", published.ids().get("flat"));
        assertThat(flat.get("occurred_at").asText()).isEqualTo("2026-03-01T08:15:30.123456Z");
        assertThat(flat.get("payload").isObject()).as("payload nested as JSON, not a string").isTrue();
        assertThat(flat.get("payload").get("text").asText()).isEqualTo("quote \" backslash \\ tab \t newline \n é ✓ 🚀");
        assertThat(flat.get("attributes").get("note").asText()).isEqualTo("42");
        JsonNode minimal = row(rows, "event_id", published.ids().get("minimal"));
        assertThat(minimal.get("occurred_at").asText()).isEqualTo("2026-03-01T08:15:30.000000Z");
        assertThat(minimal.get("payload").isNull()).as("absent payload is null").isTrue();
        assertThat(minimal.get("task_id").isNull()).as("absent task_id is null").isTrue();
        assertThat(minimal.get("attributes").isObject() && minimal.get("attributes").isEmpty()).isTrue();
        JsonNode document = row(rows, "event_id", published.ids().get("document"));
        assertThat(document.get("payload").get(5).bigIntegerValue()).as("an integer beyond double precision")
                .isEqualTo(new BigInteger("9007199254740993"));
        assertThat(document.get("payload").get(4).decimalValue()).as("a decimal with every digit")
                .isEqualByComparingTo("12345678901234567890.123456789");
    }

    @Test
    void eventsCsvExportHoldsEveryStoredColumnAsStored() {
        Published published = publishEvents();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        Map<String, String> flat = record(records, "event_id", published.ids().get("flat"));
        assertThat(flat.get("occurred_at")).isEqualTo("2026-03-01T08:15:30.123456Z");
        assertThat(flat.get("attributes")).as("compact JSON text").isEqualTo("{\"note\":\"42\"}");
        Map<String, String> minimal = record(records, "event_id", published.ids().get("minimal"));
        assertThat(minimal.get("payload")).as("absent payload: an unquoted empty field").isNull();
        assertThat(minimal.get("attributes")).isEqualTo("{}");
    }

    private Published publishEvents() {
        String agent = unique("formats-agent");
        String id = unique("event");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(EVENTS, "event_id", id, "event_type", "tool_called", "agent_id", agent,
                "task_id", "task-1", "workflow_id", "wf-1", "session_id", "session-1", "payload", PAYLOAD,
                "occurred_at", "2026-03-01T10:15:30.123456+02:00", "note", "42"));
        entries.add(xadd(EVENTS, "data", """
                {"event_type": "task_completed", "agent_id": "%s",
                 "payload": [1, 2.50, -0.0, 1e2, 12345678901234567890.123456789, 9007199254740993, "x"],
                 "occurred_at": 1767225600123, "count": 3, "flag": true, "gone": null,
                 "nested": {"a": [1, "two", {"b": null}]}}
                """.formatted(agent)));
        entries.add(xadd(EVENTS, "event_type", "started", "agent_id", agent, "occurred_at", "2026-03-01T08:15:30Z"));
        awaitStored(EVENTS, entries);
        return new Published(Kind.EVENT, "agent_id", agent, 3, Map.of("flat", id,
                "document", EVENTS + "/" + entries.get(1), "minimal", EVENTS + "/" + entries.get(2)));
    }

    // ---- tasks ----

    @Test
    void tasksJsonlExportHoldsTheMergedRowWithFirstOccurredAt() {
        Published published = publishTasks();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        JsonNode merged = row(rows, "task_id", published.ids().get("merged"));
        assertThat(merged.get("first_occurred_at").asText()).isEqualTo("2026-03-02T10:00:00.000001Z");
        assertThat(merged.get("occurred_at").asText()).isEqualTo("2026-03-02T10:05:00.500000Z");
        assertThat(merged.get("status").asText()).isEqualTo("failed");
        assertThat(merged.get("input").get("max_tokens").intValue()).isEqualTo(128);
        assertThat(fieldNames(merged)).as("the merge state is not exported").doesNotContainAnyElementsOf(INTERNAL_COLUMNS);
    }

    @Test
    void tasksCsvExportHoldsTheMergedRowWithFirstOccurredAt() {
        Published published = publishTasks();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        Map<String, String> merged = record(records, "task_id", published.ids().get("merged"));
        assertThat(merged.get("first_occurred_at")).isEqualTo("2026-03-02T10:00:00.000001Z");
        assertThat(merged.get("output")).isEqualTo("[\"partial\",1.50]");
    }

    private Published publishTasks() {
        String agent = unique("formats-agent");
        String merged = unique("task");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(TASKS, "task_id", merged, "agent_id", agent, "status", "running", "task_type", "summarize",
                "workflow_id", "wf-3", "input", "{\"text\":\"hello\",\"max_tokens\":128}",
                "metadata", "{\"model\":\"m-1\"}", "occurred_at", "2026-03-02T10:00:00.000001Z", "priority", "high"));
        entries.add(xadd(TASKS, "task_id", merged, "agent_id", agent, "status", "failed",
                "output", "[\"partial\", 1.50]", "error", "model timed out", "occurred_at", "2026-03-02T10:05:00.5Z"));
        entries.add(xadd(TASKS, "data", """
                {"task_id": "%s", "agent_id": "%s", "status": "completed", "input": "just a string",
                 "metadata": [1, {"a": null}], "retries": 3, "labels": ["a", "b"], "owner": null}
                """.formatted(unique("task"), agent)));
        awaitStored(TASKS, entries);
        return new Published(Kind.TASK, "agent_id", agent, 2, Map.of("merged", merged));
    }

    // ---- tool executions ----

    @Test
    void toolExecutionsJsonlExportHoldsIntegersAsNumbers() {
        Published published = publishToolExecutions();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        JsonNode merged = row(rows, "execution_id", published.ids().get("merged"));
        assertThat(merged.get("duration_ms").isIntegralNumber()).isTrue();
        assertThat(merged.get("duration_ms").longValue()).isEqualTo(9007199254740993L);
        assertThat(merged.get("status").asText()).isEqualTo("succeeded");
        assertThat(row(rows, "execution_id", published.ids().get("no-duration")).get("duration_ms").isNull()).isTrue();
        assertThat(row(rows, "execution_id", published.ids().get("zero")).get("duration_ms").longValue()).isZero();
    }

    @Test
    void toolExecutionsCsvExportHoldsIntegersAsDigits() {
        Published published = publishToolExecutions();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        assertThat(record(records, "execution_id", published.ids().get("merged")).get("duration_ms"))
                .isEqualTo("9007199254740993");
        assertThat(record(records, "execution_id", published.ids().get("zero")).get("duration_ms")).isEqualTo("0");
        assertThat(record(records, "execution_id", published.ids().get("no-duration")).get("duration_ms")).isNull();
    }

    private Published publishToolExecutions() {
        String agent = unique("formats-agent");
        String merged = unique("execution");
        String noDuration = unique("execution");
        String zero = unique("execution");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(TOOL_EXECUTIONS, "execution_id", merged, "agent_id", agent, "tool_name", "web_search",
                "task_id", "task-5", "workflow_id", "wf-5", "status", "running",
                "input_params", "{\"query\":\"redis streams\",\"limit\":10}",
                "duration_ms", "9007199254740993", "occurred_at", "2026-03-03T01:02:03.000004Z", "host", "worker-7"));
        entries.add(xadd(TOOL_EXECUTIONS, "data", """
                {"execution_id": "%s", "agent_id": "%s", "tool_name": "web_search", "status": "succeeded",
                 "output_result": {"hits": [{"url": "https://example.org", "rank": 1}]},
                 "occurred_at": "2026-03-03T01:02:04Z"}
                """.formatted(merged, agent)));
        entries.add(xadd(TOOL_EXECUTIONS, "data", """
                {"execution_id": "%s", "agent_id": "%s", "tool_name": "calculator", "status": "failed",
                 "input_params": {"expr": "1/0"}, "output_result": null, "error": "division by zero",
                 "occurred_at": "2026-01-01T00:00:00-05:00", "attempt": 2, "trace": {"id": "t-1"}}
                """.formatted(noDuration, agent)));
        entries.add(xadd(TOOL_EXECUTIONS, "execution_id", zero, "agent_id", agent, "tool_name", "noop",
                "duration_ms", "0"));
        awaitStored(TOOL_EXECUTIONS, entries);
        return new Published(Kind.TOOL_EXECUTION, "agent_id", agent, 3,
                Map.of("merged", merged, "no-duration", noDuration, "zero", zero));
    }

    // ---- workflows ----

    @Test
    void workflowsJsonlExportHoldsJsonArraysAndObjectsNested() {
        Published published = publishWorkflows();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        JsonNode merged = row(rows, "workflow_id", published.ids().get("merged"));
        assertThat(merged.get("agent_ids").isArray()).isTrue();
        assertThat(merged.get("state").get("step").intValue()).isEqualTo(3);
        assertThat(merged.get("first_occurred_at").asText()).isEqualTo("2026-05-05T06:30:00.500000Z");
        assertThat(merged.get("occurred_at").asText()).isEqualTo("2026-05-05T07:00:00.000000Z");
    }

    @Test
    void workflowsCsvExportHoldsJsonArraysAndObjectsAsCompactText() {
        Published published = publishWorkflows();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        Map<String, String> merged = record(records, "workflow_id", published.ids().get("merged"));
        assertThat(merged.get("agent_ids")).isEqualTo("[\"agent-1\",\"agent-2\"]");
    }

    private Published publishWorkflows() {
        String type = unique("formats-workflow-type");
        String merged = unique("workflow");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(WORKFLOWS, "workflow_id", merged, "workflow_type", type, "phase", "planning",
                "agent_ids", "[\"agent-1\",\"agent-2\"]", "state", "{\"step\":2,\"done\":false}",
                "metadata", "{\"owner\":\"team-a\"}", "occurred_at", "2026-05-05T12:00:00.5+05:30", "region", "eu"));
        entries.add(xadd(WORKFLOWS, "workflow_id", merged, "workflow_type", type, "phase", "review",
                "state", "{\"step\": 3, \"files\": [\"a.java\"]}", "occurred_at", "2026-05-05T07:00:00Z"));
        entries.add(xadd(WORKFLOWS, "data", """
                {"workflow_id": "%s", "workflow_type": "%s", "phase": "coding", "agent_ids": [],
                 "state": null, "budget": 12.25, "archived": false, "note": null}
                """.formatted(unique("workflow"), type)));
        awaitStored(WORKFLOWS, entries);
        return new Published(Kind.WORKFLOW, "workflow_type", type, 2, Map.of("merged", merged));
    }

    // ---- messages ----

    @Test
    void messagesJsonlExportTellsEmptyContentFromNull() {
        Published published = publishMessages();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        JsonNode empty = row(rows, "message_id", published.ids().get("empty-content"));
        assertThat(empty.get("content").isTextual()).isTrue();
        assertThat(empty.get("content").asText()).isEmpty();
        assertThat(empty.get("name").isNull()).isTrue();
        assertThat(empty.get("seq").longValue()).isEqualTo(8);
        assertThat(row(rows, "message_id", published.ids().get("full")).get("content").asText())
                .isEqualTo("Hello,\n\"world\"");
    }

    @Test
    void messagesCsvExportTellsEmptyContentFromNull() {
        Published published = publishMessages();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        Map<String, String> empty = record(records, "message_id", published.ids().get("empty-content"));
        assertThat(empty.get("content")).as("empty content: a quoted empty field").isEqualTo("");
        assertThat(empty.get("name")).as("absent name: an unquoted empty field").isNull();
        assertThat(record(records, "message_id", published.ids().get("full")).get("content"))
                .isEqualTo("Hello,\n\"world\"");
    }

    private Published publishMessages() {
        String conversation = unique("formats-conversation");
        String full = unique("message");
        String emptyContent = unique("message");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(MESSAGES, "message_id", full, "conversation_id", conversation,
                "role", "assistant", "content", "Hello,\n\"world\"", "agent_id", "agent-5", "task_id", "task-7",
                "name", "planner", "tool_calls", TOOL_CALLS, "tool_call_id", "call_0", "seq", "7", "model", "m-2",
                "occurred_at", "2026-02-28T22:00:00.000001Z"));
        entries.add(xadd(MESSAGES, "data", """
                {"message_id": "%s", "conversation_id": "%s", "role": "assistant", "content": "",
                 "tool_calls": [{"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                 "seq": 8, "occurred_at": "2026-02-28T22:00:00.000002Z",
                 "tokens": {"prompt": 10, "completion": 2}, "cached": null}
                """.formatted(emptyContent, conversation)));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", "hi",
                "occurred_at", "2026-02-28T22:00:00.000002Z"));
        awaitStored(MESSAGES, entries);
        return new Published(Kind.MESSAGE, "conversation_id", conversation, 3,
                Map.of("full", full, "empty-content", emptyContent));
    }

    // ---- feedback ----

    /** Values whose shortest exact decimal is known; 1e23 and 8.41e21 are where Java 17's Double.toString is longer. */
    private static final Map<String, String> SCORES = new LinkedHashMap<>();

    static {
        SCORES.put("tenth", "0.1");
        SCORES.put("three-quarters", "0.75");
        SCORES.put("minus-three", "-3");
        SCORES.put("milli", "1e-3");
        SCORES.put("sum", "0.30000000000000004");
        SCORES.put("big", "1e23");
        SCORES.put("bigger", "8.41e21");
        SCORES.put("tiny", "5e-324");
        SCORES.put("largest", "1.7976931348623157e308");
        SCORES.put("zero", "0");
        SCORES.put("long", "0.1234567890123456789");
    }

    @Test
    void feedbackJsonlExportHoldsValueAsAJsonNumber() {
        Published published = publishFeedback();
        List<JsonNode> rows = assertJsonlEqualsStoredRows(published);

        SCORES.forEach((name, sent) -> {
            JsonNode value = row(rows, "feedback_id", published.ids().get(name)).get("value");
            assertThat(value.isNumber()).as("value of %s is a JSON number, not a string", name).isTrue();
            assertThat(value.doubleValue()).as("value of %s", name).isEqualTo(Double.parseDouble(sent));
            assertThat(value.decimalValue().stripTrailingZeros())
                    .as("value of %s: its shortest exact decimal", name)
                    .isEqualTo(shortestDecimal(Double.parseDouble(sent)));
        });
        JsonNode tenth = row(rows, "feedback_id", published.ids().get("tenth"));
        assertThat(tenth.get("value").decimalValue()).isEqualByComparingTo("0.1");
        JsonNode labelOnly = row(rows, "feedback_id", published.ids().get("label-only"));
        assertThat(labelOnly.get("value").isNull()).as("no value: null").isTrue();
        assertThat(labelOnly.get("label").asText()).isEqualTo("pass");
        JsonNode merged = row(rows, "feedback_id", published.ids().get("merged"));
        assertThat(merged.get("value").doubleValue()).isEqualTo(0.9);
        assertThat(merged.get("label").asText()).isEqualTo("good");
        assertThat(merged.get("first_occurred_at").asText()).isEqualTo("2026-03-04T10:00:00.000000Z");
        assertThat(merged.get("occurred_at").asText()).isEqualTo("2026-03-04T10:00:01.000000Z");
        assertThat(fieldNames(merged)).doesNotContainAnyElementsOf(INTERNAL_COLUMNS);
    }

    @Test
    void feedbackCsvExportHoldsValueAsItsShortestExactDecimalText() {
        Published published = publishFeedback();
        List<Map<String, String>> records = assertCsvEqualsStoredRows(published);

        SCORES.forEach((name, sent) -> {
            String text = record(records, "feedback_id", published.ids().get(name)).get("value");
            assertThat(Double.parseDouble(text)).as("value of %s reads back as the stored double", name)
                    .isEqualTo(Double.parseDouble(sent));
            assertThat(new BigDecimal(text).stripTrailingZeros()).as("value of %s (%s): shortest exact decimal", name,
                    text).isEqualTo(shortestDecimal(Double.parseDouble(sent)));
        });
        assertThat(record(records, "feedback_id", published.ids().get("tenth")).get("value"))
                .as("0.1, not the double's exact binary value 0.1000000000000000055511151231257827...")
                .isEqualTo("0.1");
        assertThat(record(records, "feedback_id", published.ids().get("three-quarters")).get("value")).isEqualTo("0.75");
        assertThat(record(records, "feedback_id", published.ids().get("sum")).get("value"))
                .isEqualTo("0.30000000000000004");
        assertThat(record(records, "feedback_id", published.ids().get("label-only")).get("value"))
                .as("no value: an unquoted empty field").isNull();
    }

    private Published publishFeedback() {
        String agent = unique("formats-agent");
        Map<String, String> ids = new LinkedHashMap<>();
        List<String> entries = new ArrayList<>();
        int second = 0;
        for (var score : SCORES.entrySet()) {
            String id = unique("feedback-" + score.getKey());
            ids.put(score.getKey(), id);
            String occurredAt = "2026-03-03T00:00:%02dZ".formatted(second++);
            if (second % 2 == 0) {
                entries.add(xadd(FEEDBACK, "feedback_id", id, "target_kind", "task", "target_id", "task-1",
                        "name", "score", "value", score.getValue(), "agent_id", agent, "occurred_at", occurredAt));
            } else {
                entries.add(xadd(FEEDBACK, "data", """
                        {"feedback_id": "%s", "target_kind": "message", "target_id": "m-1", "name": "score",
                         "value": %s, "agent_id": "%s", "occurred_at": "%s", "scale": [0, 1]}
                        """.formatted(id, score.getValue(), agent, occurredAt)));
            }
        }
        String labelOnly = unique("feedback-label-only");
        ids.put("label-only", labelOnly);
        entries.add(xadd(FEEDBACK, "feedback_id", labelOnly, "target_kind", "tool_execution", "target_id", "e-1",
                "name", "verdict", "label", "pass", "comment", "all \"green\", finally", "source", "unit_tests",
                "agent_id", agent));
        String target = unique("conversation");
        ids.put("merged", "conversation/" + target + "/thumbs/human");
        entries.add(xadd(FEEDBACK, "target_kind", "conversation", "target_id", target, "name", "thumbs",
                "value", "0.2", "source", "human", "agent_id", agent, "occurred_at", "2026-03-04T10:00:00Z"));
        entries.add(xadd(FEEDBACK, "data", """
                {"target_kind": "conversation", "target_id": "%s", "name": "thumbs", "value": 0.9, "label": "good",
                 "source": "human", "agent_id": "%s", "occurred_at": "2026-03-04T10:00:01Z"}
                """.formatted(target, agent)));
        awaitStored(FEEDBACK, entries);
        return new Published(Kind.FEEDBACK, "agent_id", agent, SCORES.size() + 2, ids);
    }

    // ---- comparison ----

    /** The column names in the exporter's order, checked to be the table's columns without merge state. */
    private List<String> exportOrder(Kind kind) {
        List<String> order = recordKind(kind).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList();
        assertThat(new HashSet<>(order)).as("exported columns = the table's columns without the merge state")
                .isEqualTo(new HashSet<>(exportedColumnNames(kind)));
        assertThat(order).as("no column twice").doesNotHaveDuplicates();
        return order;
    }

    /** Exports the published rows as JSONL and compares them with the stored rows, field by field. */
    private List<JsonNode> assertJsonlEqualsStoredRows(Published published) {
        Kind kind = published.kind();
        List<Map<String, Object>> stored = expectedRows(kind, published.scopeColumn() + " = ?", published.scope());
        assertThat(stored).as("stored rows").hasSize(published.rows());
        List<String> order = exportOrder(kind);

        String jsonl = jsonlBody(kind, published.scopeColumn(), published.scope());
        assertThat(jsonlBody(kind, published.scopeColumn(), published.scope(), "format", "jsonl"))
                .as("format=jsonl is the default").isEqualTo(jsonl);
        List<JsonNode> rows = jsonlRows(jsonl);
        assertThat(rows).as("JSONL rows").hasSize(published.rows());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            Map<String, Object> expected = stored.get(i);
            String description = "JSONL row " + i + " (" + expected.get(kind.identity()) + ")";
            assertThat(fieldNames(row)).as(description + ": every column once, in column order").isEqualTo(order);
            for (Column column : exportedColumns(kind)) {
                JsonNode value = row.get(column.name());
                if (value.isNull()) {
                    continue;
                }
                String what = description + ": " + column.name();
                if (column.isInteger()) {
                    assertThat(value.isIntegralNumber()).as(what + " is a JSON integer").isTrue();
                } else if (column.isTimestamp()) {
                    assertThat(value.isTextual()).as(what + " is a string").isTrue();
                    assertThat(value.asText()).as(what).matches(TIMESTAMP);
                } else if (column.isText()) {
                    assertThat(value.isTextual()).as(what + " is a string").isTrue();
                } else if (column.isNumber()) {
                    assertThat(value.isNumber()).as(what + " is a JSON number").isTrue();
                }
            }
            assertThat(canonical(row)).as(description).isEqualTo(asJsonl(kind, expected));
        }
        return rows;
    }

    /** Exports the published rows as CSV and compares them with the stored rows; returns them by column name. */
    private List<Map<String, String>> assertCsvEqualsStoredRows(Published published) {
        Kind kind = published.kind();
        List<Map<String, Object>> stored = expectedRows(kind, published.scopeColumn() + " = ?", published.scope());
        assertThat(stored).as("stored rows").hasSize(published.rows());
        List<String> order = exportOrder(kind);
        List<String> tableOrder = exportedColumnNames(kind);

        String csv = csvBody(kind, published.scopeColumn(), published.scope());
        assertThat(csv).as("the header row, ended by CRLF").startsWith(String.join(",", order) + "\r\n");
        List<List<String>> records = csvRows(kind, csv);
        assertThat(records).as("CSV records").hasSize(published.rows());
        List<Map<String, String>> byName = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> expected = stored.get(i);
            List<String> storedValues = asCsv(kind, expected);
            List<String> expectedRecord = order.stream().map(name -> storedValues.get(tableOrder.indexOf(name)))
                    .toList();
            List<String> record = new ArrayList<>(records.get(i));
            for (Column column : exportedColumns(kind)) {
                if (column.isNumber()) {
                    int at = order.indexOf(column.name());
                    record.set(at, canonicalNumber(record.get(at)));
                }
            }
            assertThat(record).as("CSV record " + i + " (" + expected.get(kind.identity()) + "), numbers by value")
                    .isEqualTo(expectedRecord);
            Map<String, String> named = new HashMap<>();
            for (int column = 0; column < order.size(); column++) {
                named.put(order.get(column), records.get(i).get(column));
            }
            byName.add(named);
        }
        return byName;
    }

    private static JsonNode row(List<JsonNode> rows, String column, String value) {
        return rows.stream().filter(row -> value.equals(row.get(column).asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no row with " + column + " = " + value));
    }

    private static Map<String, String> record(List<Map<String, String>> records, String column, String value) {
        return records.stream().filter(record -> value.equals(record.get(column))).findFirst()
                .orElseThrow(() -> new AssertionError("no record with " + column + " = " + value));
    }
}
