package ai.trainingstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/ingest/feedback} (contract section 4): good feedback records are added to
 * the feedback stream and stored as on the stream; the records an agent could not publish are
 * refused with 400 and one error per bad record, naming its field, and nothing is added.
 */
@QuarkusTest
class FeedbackIngestApiTest extends StoreTestSupport {

    static final String INGEST_TOKEN = "test-ingest-token";

    @Test
    void feedbackRecordsAreAddedToTheFeedbackStreamAndStored() {
        String agent = unique("http-feedback");
        String task = unique("task");
        String conversation = unique("conversation");
        String explicit = unique("feedback");
        String body = """
                [{"feedback_id": "%1$s", "target_kind": "tool_execution", "target_id": "exec-1", "name": "ok",
                  "value": 0.1, "agent_id": "%2$s", "occurred_at": "2026-06-01T12:00:00.000001+01:00",
                  "run": {"id": 7}},
                 {"target_kind": "task", "target_id": "%3$s", "name": "reward", "value": "-3", "agent_id": "%2$s"},
                 {"target_kind": "conversation", "target_id": "%4$s", "name": "thumbs", "label": "down",
                  "source": "human", "comment": "wrong tool", "agent_id": "%2$s"},
                 {"target_kind": "task", "target_id": "%3$s", "name": "correctness", "value": 1e-3, "label": "low",
                  "source": "model", "agent_id": "%2$s"}]
                """.formatted(explicit, agent, task, conversation);
        List<String> ids = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body(body)
                .post("/api/v1/ingest/feedback")
                .then().statusCode(202).body("kind", equalTo("feedback")).body("stream", equalTo(FEEDBACK))
                .extract().jsonPath().getList("entry_ids");
        assertThat(ids).hasSize(4).isSortedAccordingTo(ENTRY_ID_ORDER);
        awaitAcknowledged(FEEDBACK, ids);

        assertThat(recordColumns(awaitStoredRow(Kind.FEEDBACK, explicit))).isEqualTo(columns(
                "feedback_id", explicit, "target_kind", "tool_execution", "target_id", "exec-1", "name", "ok",
                "value", 0.1, "label", null, "comment", null, "source", null, "agent_id", agent,
                "correction", null,
                "attributes", json("{\"run\": {\"id\": 7}}"),
                "occurred_at", Instant.parse("2026-06-01T11:00:00.000001Z"),
                "first_occurred_at", Instant.parse("2026-06-01T11:00:00.000001Z"),
                "stream_entry_id", ids.get(0)));
        assertThat(awaitStoredRow(Kind.FEEDBACK, "task/" + task + "/reward/"))
                .containsEntry("value", -3.0).containsEntry("label", null).containsEntry("source", null)
                .containsEntry("stream_entry_id", ids.get(1)).containsEntry("occurred_at", entryTime(ids.get(1)));
        assertThat(awaitStoredRow(Kind.FEEDBACK, "conversation/" + conversation + "/thumbs/human"))
                .containsEntry("value", null).containsEntry("label", "down").containsEntry("comment", "wrong tool")
                .containsEntry("stream_entry_id", ids.get(2));
        assertThat(awaitStoredRow(Kind.FEEDBACK, "task/" + task + "/correctness/model"))
                .containsEntry("value", 0.001).containsEntry("label", "low")
                .containsEntry("stream_entry_id", ids.get(3));
        assertThat(count("SELECT count(*) FROM training_data.training_feedback WHERE agent_id = ?", agent))
                .isEqualTo(4);
    }

    /**
     * A correction is any JSON value over HTTP as on the stream: a string, an object in OpenAI's
     * shape, and one that is no usable correction (the preferences dataset judges it) are stored as
     * sent; a correction alone, without value or label, is refused like any record without a score.
     */
    @Test
    void correctionsAreStoredAsSentAndAreNoScore() {
        String agent = unique("http-correction");
        String object = "{\"content\": \"Use the index.\", \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\","
                + " \"function\": {\"name\": \"explain\", \"arguments\": \"{\\\"sql\\\": \\\"SELECT 1\\\"}\"}}]}";
        List<String> corrections = List.of("\"Use the index.\"", object, "[1, 2]");
        List<String> feedbackIds = corrections.stream().map(correction -> unique("feedback")).toList();
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < corrections.size(); i++) {
            body.append(i == 0 ? "" : ",\n").append("{\"feedback_id\": \"").append(feedbackIds.get(i))
                    .append("\", \"target_kind\": \"message\", \"target_id\": \"m-1\", \"name\": \"thumbs\",")
                    .append(" \"label\": \"down\", \"agent_id\": \"").append(agent).append("\", \"correction\": ")
                    .append(corrections.get(i)).append("}");
        }
        List<String> ids = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body(body.append("]").toString())
                .post("/api/v1/ingest/feedback")
                .then().statusCode(202).extract().jsonPath().getList("entry_ids");
        awaitAcknowledged(FEEDBACK, ids);
        for (int i = 0; i < corrections.size(); i++) {
            assertThat(awaitStoredRow(Kind.FEEDBACK, feedbackIds.get(i)).get("correction"))
                    .as("correction %s", corrections.get(i)).isEqualTo(json(corrections.get(i)));
        }

        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body("{\"target_kind\": \"message\", \"target_id\": \"m-1\", \"name\": \"thumbs\","
                        + " \"agent_id\": \"" + agent + "\", \"correction\": \"Use the index.\"}")
                .post("/api/v1/ingest/feedback")
                .then().statusCode(400)
                .body("records[0].error", containsString("'value'"))
                .body("records[0].error", containsString("'label'"));
        assertThat(count("SELECT count(*) FROM training_data.training_feedback WHERE agent_id = ?", agent)).isEqualTo(3);
    }

    @Test
    void badFeedbackRecordsRefuseTheWholeRequestWithOneErrorEach() {
        String agent = unique("http-bad-feedback");
        String good = "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": 1,"
                + " \"agent_id\": \"" + agent + "\"}";
        List<String> bad = List.of(
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"agent_id\": \"" + agent + "\"}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": \"NaN\"}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": \"Infinity\"}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": \"-Infinity\"}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": \"abc\"}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": 1e400}",
                "{\"target_kind\": \"robot\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": 1}",
                "{\"target_kind\": \"task\", \"name\": \"reward\", \"value\": 1}",
                "{\"target_kind\": \"task\", \"target_id\": \"t\", \"value\": 1}",
                "{\"target_id\": \"t\", \"name\": \"reward\", \"value\": 1}");
        List<List<String>> wordsOfErrors = List.of(
                List.of("'value'", "'label'", "neither"),
                List.of("'value'", "finite number", "NaN"),
                List.of("'value'", "finite number", "Infinity"),
                List.of("'value'", "finite number", "-Infinity"),
                List.of("'value'", "finite number", "abc"),
                List.of("'value'", "range of a double"),
                List.of("'target_kind'", "robot"),
                List.of("'target_id'", "required"),
                List.of("'name'", "required"),
                List.of("'target_kind'", "required"));
        StringBuilder body = new StringBuilder("[").append(good);
        bad.forEach(record -> body.append(",\n").append(record).append(",\n").append(good));
        body.append("]");

        JsonPath refusal = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body(body.toString())
                .post("/api/v1/ingest/feedback")
                .then().statusCode(400)
                .body("error", containsString(bad.size() + " of " + (2 * bad.size() + 1) + " records are invalid"))
                .body("records", hasSize(bad.size()))
                .extract().jsonPath();
        for (int i = 0; i < bad.size(); i++) {
            assertThat(refusal.getInt("records[" + i + "].index")).as("index of bad record %d", i).isEqualTo(2 * i + 1);
            assertThat(refusal.getString("records[" + i + "].error")).as("error of %s", bad.get(i))
                    .contains(wordsOfErrors.get(i)).endsWith(".");
        }
        // Nothing was added, not even the good records.
        assertThat(streams().xrange(FEEDBACK, StreamRange.of("-", "+")))
                .noneMatch(entry -> String.valueOf(entry.payload()).contains(agent));
    }

    @Test
    void oneBadFeedbackObjectIsRefusedWithItsReason() {
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body("{\"target_kind\": \"task\", \"target_id\": \"t\", \"name\": \"reward\", \"value\": \"0,5\"}")
                .post("/api/v1/ingest/feedback")
                .then().statusCode(400)
                .body("records", hasSize(1)).body("records[0].index", equalTo(0))
                .body("records[0].error", containsString("'value'"));
    }

    @Test
    void statsListFeedbackWithItsRowsAndStream() {
        String id = unique("stats-feedback");
        String entryId = xadd(FEEDBACK, "feedback_id", id, "target_kind", "task", "target_id", "t", "name", "reward",
                "value", "1");
        awaitStoredRow(Kind.FEEDBACK, id);
        awaitAcknowledged(FEEDBACK, List.of(entryId));
        long rows = count("SELECT count(*) FROM training_data.training_feedback");
        JsonPath stats = given().auth().oauth2("test-export-token").get("/api/v1/stats")
                .then().statusCode(200).extract().jsonPath();
        Map<String, Object> feedback = stats.getMap("kinds.feedback");
        assertThat(feedback).as("stats of feedback").containsKeys("rows", "stream", "stream_length", "pending", "lag",
                "dead_letters");
        assertThat(stats.getString("kinds.feedback.stream")).isEqualTo(FEEDBACK);
        assertThat(stats.getLong("kinds.feedback.rows")).isGreaterThanOrEqualTo(rows);
        assertThat(stats.getLong("kinds.feedback.stream_length")).isEqualTo(streams().xlen(FEEDBACK));
    }
}
