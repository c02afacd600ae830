package ai.trainingstore.analytics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The four analytics views (contract section 8) over hand-made data with known answers: counts by
 * UTC day across midnight, task statuses as of the newest record, tool error rates and duration
 * percentiles as percentile_cont interpolates them, feedback statistics; and every bad parameter.
 * Rows are filtered on this test's own agent, so other rows of the shared database never count.
 */
@QuarkusTest
class AnalyticsTest extends StoreTestSupport {

    static final String DAY1 = "2001-03-04";
    static final String DAY2 = "2001-03-05";
    static final String LAST_MICRO_OF_DAY1 = "2001-03-04T23:59:59.999999Z";
    static final String MIDNIGHT = "2001-03-05T00:00:00Z";

    String agent;
    String tool;
    String score;

    @BeforeEach
    void publishADayAndAHalf() {
        agent = unique("analytics-agent");
        tool = unique("search");
        score = unique("score");
        String id = unique("an");
        event(id + "-e1", "2001-03-04T08:00:00Z");
        event(id + "-e2", "2001-03-04T12:00:00+05:00");
        event(id + "-e3", LAST_MICRO_OF_DAY1);
        event(id + "-e4", MIDNIGHT);
        // 23:30 at UTC-05:00 is 04:30 UTC the next day.
        event(id + "-e5", "2001-03-04T23:30:00-05:00");

        task(id + "-t1", "summarize", "completed", "2001-03-04T09:00:00Z");
        task(id + "-t2", "plan", "completed", "2001-03-04T10:00:00Z");
        task(id + "-t3", "summarize", "failed", LAST_MICRO_OF_DAY1);
        task(id + "-t4", "summarize", "running", MIDNIGHT);
        // Running on day 1, completed on day 2: counted once, on day 2, completed.
        task(id + "-t5", "summarize", "running", "2001-03-04T11:00:00Z");
        task(id + "-t5", "summarize", "completed", "2001-03-05T01:00:00Z");

        execution(id + "-x1", 10, "success", null, "2001-03-04T01:00:00Z");
        execution(id + "-x2", 20, "failed", null, "2001-03-04T02:00:00Z");
        execution(id + "-x3", 30, null, "timeout after 30 ms", "2001-03-04T03:00:00Z");
        execution(id + "-x4", 40, "success", null, "2001-03-04T04:00:00Z");
        execution(id + "-x5", 100, "error", null, LAST_MICRO_OF_DAY1);
        execution(id + "-x6", null, "success", null, MIDNIGHT);

        message(id + "-m1", "2001-03-04T05:00:00Z");
        message(id + "-m2", LAST_MICRO_OF_DAY1);
        message(id + "-m3", MIDNIGHT);

        feedback(id + "-f1", "0.5", null, "2001-03-04T06:00:00Z");
        feedback(id + "-f2", "1", null, LAST_MICRO_OF_DAY1);
        feedback(id + "-f3", null, "thumbs_up", "2001-03-04T07:00:00Z");

        awaitRows(5, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        awaitRows(1, "SELECT 1 FROM training_data.training_tasks WHERE task_id = ? AND status = 'completed'", id + "-t5");
        awaitRows(5, "SELECT 1 FROM training_data.training_tasks WHERE agent_id = ?", agent);
        awaitRows(6, "SELECT 1 FROM training_data.training_tool_executions WHERE agent_id = ?", agent);
        awaitRows(3, "SELECT 1 FROM training_data.training_messages WHERE agent_id = ?", agent);
        awaitRows(3, "SELECT 1 FROM training_data.training_feedback WHERE agent_id = ?", agent);
    }

    @Test
    void agentDailyCountsEachKindByUtcDay() {
        JsonNode rows = view("agent_daily");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).isEqualTo(json("{\"day\":\"" + DAY1 + "\",\"agent_id\":\"" + agent + "\",\"events\":3,"
                + "\"tasks\":3,\"tasks_by_status\":{\"completed\":2,\"failed\":1},\"tool_executions\":5,\"tool_errors\":3,"
                + "\"messages\":2}"));
        assertThat(rows.get(1)).isEqualTo(json("{\"day\":\"" + DAY2 + "\",\"agent_id\":\"" + agent + "\",\"events\":2,"
                + "\"tasks\":2,\"tasks_by_status\":{\"completed\":1,\"running\":1},\"tool_executions\":1,\"tool_errors\":0,"
                + "\"messages\":1}"));
    }

    @Test
    void theRollupBehindAgentDailyIsFoldedInTheBackgroundAndTheAnswerStaysTheSame() {
        JsonNode before = view("agent_daily");
        // A row stored and deleted again leaves +1 and -1 in the rollup (agent_day_counts, V7).
        executeSql("INSERT INTO training_data.training_events (event_id, event_type, agent_id, payload, attributes,"
                + " occurred_at, stream_entry_id) VALUES (?, 'analytics', ?, '{}', '{}', ?::timestamptz, '1-0')",
                unique("gone"), agent, "2001-03-04T10:00:00Z");
        executeSql("DELETE FROM training_data.training_events WHERE agent_id = ? AND event_id LIKE 'gone%'", agent);
        assertThat(view("agent_daily")).isEqualTo(before);
        // The compaction (every second in tests) folds it to one row per day, agent and kind.
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(query("SELECT day, kind, records FROM"
                + " training_data.agent_day_counts WHERE agent_id = ? ORDER BY day, kind", agent).toString())
                .isEqualTo("[{day=2001-03-04, kind=events, records=3}, {day=2001-03-04, kind=messages, records=2},"
                        + " {day=2001-03-05, kind=events, records=2}, {day=2001-03-05, kind=messages, records=1}]"));
        assertThat(view("agent_daily")).isEqualTo(before);
    }

    @Test
    void toolDailyHasErrorRatesAndInterpolatedPercentiles() {
        JsonNode rows = view("tool_daily");
        assertThat(rows).hasSize(2);
        // Durations 10, 20, 30, 40, 100: p50 30; p95 at rank 0.95 x 4 = 3.8, 40 + 0.8 x (100 - 40) = 88.
        assertThat(rows.get(0).get("p95_ms").asDouble()).isCloseTo(88.0, org.assertj.core.data.Offset.offset(1e-9));
        ((com.fasterxml.jackson.databind.node.ObjectNode) rows.get(0)).remove("p95_ms");
        assertThat(rows.get(0)).isEqualTo(json("{\"day\":\"" + DAY1 + "\",\"tool_name\":\"" + tool + "\",\"executions\":5,"
                + "\"errors\":3,\"error_rate\":0.6,\"p50_ms\":30.0,\"max_ms\":100}"));
        assertThat(rows.get(1)).isEqualTo(json("{\"day\":\"" + DAY2 + "\",\"tool_name\":\"" + tool + "\",\"executions\":1,"
                + "\"errors\":0,\"error_rate\":0.0,\"p50_ms\":null,\"p95_ms\":null,\"max_ms\":null}"));
        // The SQL view gives the same figures as the API.
        List<Map<String, Object>> viewRows = query("SELECT day::text AS day, executions, errors, error_rate, p50_ms, p95_ms,"
                + " max_ms FROM training_data.tool_daily WHERE tool_name = ? ORDER BY day", tool);
        assertThat(viewRows).hasSize(2);
        assertThat(viewRows.get(0)).containsEntry("day", DAY1).containsEntry("executions", 5L).containsEntry("errors", 3L)
                .containsEntry("error_rate", 0.6).containsEntry("p50_ms", 30.0)
                .containsEntry("max_ms", 100L);
        assertThat((Double) viewRows.get(0).get("p95_ms")).isCloseTo(88.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void taskOutcomesCountTasksByTheirCurrentStatus() {
        assertThat(view("task_outcomes_daily")).containsExactly(
                json("{\"day\":\"" + DAY1 + "\",\"task_type\":\"plan\",\"status\":\"completed\",\"tasks\":1}"),
                json("{\"day\":\"" + DAY1 + "\",\"task_type\":\"summarize\",\"status\":\"completed\",\"tasks\":1}"),
                json("{\"day\":\"" + DAY1 + "\",\"task_type\":\"summarize\",\"status\":\"failed\",\"tasks\":1}"),
                json("{\"day\":\"" + DAY2 + "\",\"task_type\":\"summarize\",\"status\":\"completed\",\"tasks\":1}"),
                json("{\"day\":\"" + DAY2 + "\",\"task_type\":\"summarize\",\"status\":\"running\",\"tasks\":1}"));
    }

    @Test
    void feedbackDailyCountsEveryRecordAndSummarisesValues() {
        assertThat(view("feedback_daily")).containsExactly(json("{\"day\":\"" + DAY1 + "\",\"target_kind\":\"task\","
                + "\"name\":\"" + score + "\",\"count\":3,\"mean\":0.75,\"min\":0.5,\"max\":1.0}"));
    }

    @Test
    void fromAndToSelectDaysFromInclusiveToExclusive() {
        JsonNode second = json(authorized().queryParam("agent_id", agent).queryParam("from", DAY2)
                .get("/api/v1/analytics/agent_daily").then().statusCode(200).extract().asString());
        assertThat(second).hasSize(1);
        assertThat(second.get(0).get("day").asText()).isEqualTo(DAY2);
        JsonNode first = json(authorized().queryParam("agent_id", agent).queryParam("from", DAY1).queryParam("to", DAY2)
                .get("/api/v1/analytics/agent_daily").then().statusCode(200).extract().asString());
        assertThat(first).hasSize(1);
        assertThat(first.get(0).get("day").asText()).isEqualTo(DAY1);
        JsonNode none = json(authorized().queryParam("agent_id", agent, unique("nobody")).queryParam("to", "2001-03-04")
                .get("/api/v1/analytics/agent_daily").then().statusCode(200).extract().asString());
        assertThat(none).isEmpty();
    }

    @Test
    void csvHasAHeaderAndJsonColumnsAsCompactText() {
        String csv = authorized().queryParam("agent_id", agent).queryParam("format", "csv")
                .get("/api/v1/analytics/agent_daily").then().statusCode(200)
                .contentType(containsString("text/csv")).extract().asString();
        assertThat(csvRecords(csv)).containsExactly(
                List.of("day", "agent_id", "events", "tasks", "tasks_by_status", "tool_executions", "tool_errors", "messages"),
                List.of(DAY1, agent, "3", "3", "{\"failed\":1,\"completed\":2}", "5", "3", "2"),
                List.of(DAY2, agent, "2", "2", "{\"running\":1,\"completed\":1}", "1", "0", "1"));
        assertThat(csv).endsWith("\r\n");
        String tools = authorized().queryParam("agent_id", agent).queryParam("format", "csv")
                .get("/api/v1/analytics/tool_daily").then().statusCode(200).extract().asString();
        List<List<String>> toolRecords = csvRecords(tools);
        assertThat(toolRecords.get(0)).containsExactly("day", "tool_name", "executions", "errors", "error_rate", "p50_ms",
                "p95_ms", "max_ms");
        assertThat(toolRecords.get(1)).containsExactly(DAY1, tool, "5", "3", "0.6", "30.0", toolRecords.get(1).get(6), "100");
        assertThat(Double.parseDouble(toolRecords.get(1).get(6))).isCloseTo(88.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(toolRecords.get(2)).containsExactly(DAY2, tool, "1", "0", "0.0", "", "", "");
    }

    /** RFC 4180 records, parsed by Jackson's CSV reader. */
    private static List<List<String>> csvRecords(String csv) {
        try (com.fasterxml.jackson.databind.MappingIterator<List<String>> records = new com.fasterxml.jackson.dataformat.csv.CsvMapper()
                .enable(com.fasterxml.jackson.dataformat.csv.CsvParser.Feature.WRAP_AS_ARRAY)
                .readerForListOf(String.class).readValues(csv)) {
            return records.readAll();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyBadParameterGetsAJson400AndAnUnknownViewA404() {
        bad(Map.of("view", "x"), "Unknown parameter 'view'");
        bad(Map.of("format", "xml"), "Unknown format 'xml'");
        bad(Map.of("from", "2001-13-01"), "'from' must be a UTC day as YYYY-MM-DD");
        bad(Map.of("to", "2001-03-04T00:00:00Z"), "'to' must be a UTC day as YYYY-MM-DD");
        bad(Map.of("from", "yesterday"), "'from' must be a UTC day");
        bad(Map.of("from", "2001-03-05", "to", "2001-03-05"), "must be before 'to'");
        bad(Map.of("agent_id", ""), "'agent_id' is empty");
        authorized().queryParam("from", DAY1, DAY2).get("/api/v1/analytics/agent_daily")
                .then().statusCode(400).body("error", containsString("'from' is given 2 times"));
        authorized().queryParam("agent_id", "a\u0000b").get("/api/v1/analytics/agent_daily")
                .then().statusCode(400).body("error", containsString("NUL"));
        authorized().get("/api/v1/analytics/tool_weekly").then().statusCode(404).contentType("application/json")
                .body("error", containsString("Unknown analytics view 'tool_weekly'"));
        given().get("/api/v1/analytics/agent_daily").then().statusCode(401);
        given().auth().oauth2("test-ingest-token").get("/api/v1/analytics/agent_daily").then().statusCode(403);
    }

    // ---- helpers ----

    private void bad(Map<String, String> parameters, String message) {
        authorized().queryParams(parameters).get("/api/v1/analytics/agent_daily")
                .then().statusCode(400).contentType("application/json").body("error", containsString(message));
    }

    private static RequestSpecification authorized() {
        return given().auth().oauth2("test-export-token");
    }

    private JsonNode view(String view) {
        String body = authorized().queryParam("agent_id", agent).get("/api/v1/analytics/" + view)
                .then().statusCode(200).contentType("application/json").extract().asString();
        return json(body);
    }

    private void event(String id, String at) {
        xadd(EVENTS, "event_id", id, "event_type", "analytics", "agent_id", agent, "occurred_at", at);
    }

    private void task(String id, String type, String status, String at) {
        xadd(TASKS, "task_id", id, "agent_id", agent, "status", status, "task_type", type, "occurred_at", at);
    }

    private void execution(String id, Integer durationMs, String status, String error, String at) {
        Map<String, String> entry = fields("execution_id", id, "agent_id", agent, "tool_name", tool, "occurred_at", at);
        if (durationMs != null) {
            entry.put("duration_ms", durationMs.toString());
        }
        if (status != null) {
            entry.put("status", status);
        }
        if (error != null) {
            entry.put("error", error);
        }
        streams().xadd(TOOL_EXECUTIONS, entry);
    }

    private void message(String id, String at) {
        xadd(MESSAGES, "message_id", id, "conversation_id", id, "role", "user", "content", "hi", "agent_id", agent,
                "occurred_at", at);
    }

    private void feedback(String id, String value, String label, String at) {
        Map<String, String> entry = fields("feedback_id", id, "target_kind", "task", "target_id", id, "name", score,
                "agent_id", agent, "occurred_at", at);
        if (value != null) {
            entry.put("value", value);
        }
        if (label != null) {
            entry.put("label", label);
        }
        streams().xadd(FEEDBACK, entry);
    }
}
