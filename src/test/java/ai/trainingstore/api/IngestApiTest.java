package ai.trainingstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class IngestApiTest extends StoreTestSupport {

    static final String INGEST_TOKEN = "test-ingest-token";

    @Test
    void aJsonObjectIsAddedToTheStreamAndStored() {
        String agent = unique("http-object");
        List<String> ids = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("event_type", "http_call", "agent_id", agent, "payload", Map.of("ok", true)))
                .post("/api/v1/ingest/events")
                .then().statusCode(202).body("kind", equalTo("events")).body("stream", equalTo(EVENTS))
                .extract().jsonPath().getList("entry_ids");
        assertThat(ids).hasSize(1);
        var rows = awaitRows(1, "SELECT payload, stream_entry_id FROM training_data.training_events WHERE agent_id = ?",
                agent);
        assertThat(rows.get(0)).containsEntry("stream_entry_id", ids.get(0));
        assertThat(json((String) rows.get(0).get("payload"))).isEqualTo(json("{\"ok\": true}"));
    }

    @Test
    void anArrayAndNdjsonAreAddedInOrder() {
        String agent = unique("http-many");
        List<String> fromArray = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body("[{\"task_id\":\"" + agent + "-t\",\"agent_id\":\"" + agent + "\",\"status\":\"running\"},"
                        + "{\"task_id\":\"" + agent + "-t\",\"agent_id\":\"" + agent + "\",\"status\":\"completed\"}]")
                .post("/api/v1/ingest/tasks").then().statusCode(202).extract().jsonPath().getList("entry_ids");
        assertThat(fromArray).hasSize(2).isSortedAccordingTo(ENTRY_ID_ORDER);
        List<String> fromNdjson = given().auth().oauth2(INGEST_TOKEN).contentType("application/x-ndjson")
                .body(("{\"conversation_id\":\"" + agent + "\",\"role\":\"user\",\"content\":\"hi\",\"seq\":1}\n"
                        + "\n{\"conversation_id\":\"" + agent + "\",\"role\":\"assistant\",\"content\":\"hello\",\"seq\":2}\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post("/api/v1/ingest/messages").then().statusCode(202).extract().jsonPath().getList("entry_ids");
        assertThat(fromNdjson).hasSize(2);
        var task = awaitRows(1, "SELECT status FROM training_data.training_tasks WHERE task_id = ? AND status = 'completed'",
                agent + "-t");
        assertThat(task).hasSize(1);
        assertThat(awaitRows(2, "SELECT seq FROM training_data.training_messages WHERE conversation_id = ? ORDER BY seq",
                agent)).extracting(row -> row.get("seq")).containsExactly(1L, 2L);
    }

    @Test
    void oneBadRecordRefusesTheWholeRequestWithPerRecordErrors() {
        String agent = unique("http-bad");
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body("[{\"event_type\":\"ok\",\"agent_id\":\"" + agent + "\"},"
                        + "{\"agent_id\":\"" + agent + "\"},"
                        + "{\"event_type\":\"ok\",\"agent_id\":\"" + agent + "\",\"occurred_at\":\"soon\"},"
                        + "\"not an object\"]")
                .post("/api/v1/ingest/events")
                .then().statusCode(400)
                .body("error", containsString("3 of 4 records are invalid"))
                .body("records", hasSize(3))
                .body("records[0].index", equalTo(1)).body("records[0].error", containsString("event_type"))
                .body("records[1].index", equalTo(2)).body("records[1].error", containsString("occurred_at"))
                .body("records[2].index", equalTo(3)).body("records[2].error", containsString("JSON object"));
        // Nothing was added to the stream, not even the valid first record.
        assertThat(streams().xrange(EVENTS, io.quarkus.redis.datasource.stream.StreamRange.of("-", "+")))
                .noneMatch(entry -> String.valueOf(entry.payload()).contains(agent));
    }

    @Test
    void aBodyThatIsNotJsonOrIsEmptyIsRefused() {
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body("{oops")
                .post("/api/v1/ingest/events").then().statusCode(400).body("error", containsString("not valid JSON"));
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body("[]")
                .post("/api/v1/ingest/events").then().statusCode(400).body("error", containsString("no record"));
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body("{}")
                .post("/api/v1/ingest/nothing").then().statusCode(404).body("error", containsString("Unknown kind"));
    }

    @Test
    void aBodyOverTheSizeLimitGets413() {
        String big = "{\"event_type\":\"big\",\"agent_id\":\"a\",\"payload\":\"" + "x".repeat(10_485_760) + "\"}";
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body(big)
                .post("/api/v1/ingest/events").then().statusCode(413).body("error", containsString("max-request-bytes"));
    }

    @Test
    void ingestNeedsTheIngestScope() {
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/ingest/events").then().statusCode(401);
        given().auth().oauth2("test-export-token").contentType(ContentType.JSON).body("{}")
                .post("/api/v1/ingest/events").then().statusCode(403).body("error", containsString("ingest"));
    }

    @Test
    void statsGiveRowsStreamLengthPendingLagAndDeadLettersPerKind() {
        String agent = unique("stats");
        xadd(EVENTS, "event_type", "counted", "agent_id", agent);
        String bad = xadd(EVENTS, "event_type", "counted");
        awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        awaitDeadLetters(1, List.of(bad));
        long rows = count("SELECT count(*) FROM training_data.training_events");
        var stats = given().auth().oauth2("test-export-token").get("/api/v1/stats")
                .then().statusCode(200).extract().jsonPath();
        for (String kind : List.of("events", "tasks", "tool_executions", "workflows", "messages", "feedback")) {
            assertThat(stats.getMap("kinds." + kind)).containsKeys("rows", "stream_length", "pending", "lag",
                    "dead_letters");
        }
        assertThat(stats.getLong("kinds.events.rows")).isGreaterThanOrEqualTo(rows);
        assertThat(stats.getString("kinds.events.stream")).isEqualTo(EVENTS);
        assertThat(stats.getLong("kinds.events.stream_length")).isEqualTo(streams().xlen(EVENTS));
        assertThat(stats.getLong("kinds.events.dead_letters")).isGreaterThanOrEqualTo(1);
        given().get("/api/v1/stats").then().statusCode(401);
    }
}
