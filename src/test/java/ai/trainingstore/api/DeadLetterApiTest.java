package ai.trainingstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DeadLetterApiTest extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";

    @Test
    void listingNeedsATokenWithTheExportScope() {
        given().get("/api/v1/dead-letters").then().statusCode(401)
                .contentType(ContentType.JSON).body("error", containsString("Bearer"));
        given().auth().oauth2("wrong-token").get("/api/v1/dead-letters").then().statusCode(401);
        given().auth().oauth2(INGEST_TOKEN).get("/api/v1/dead-letters").then().statusCode(403)
                .body("error", containsString("export"));
    }

    @Test
    void replayNeedsATokenWithTheIngestScope() {
        given().post("/api/v1/dead-letters/replay").then().statusCode(401);
        given().auth().oauth2(EXPORT_TOKEN).post("/api/v1/dead-letters/replay").then().statusCode(403)
                .body("error", containsString("ingest"));
    }

    @Test
    void aDeadLetterIsListedWithItsReasonSourceAndOriginalFields() {
        String agent = unique("listed");
        String bad = xadd(TASKS, "task_id", unique("task"), "agent_id", agent, "status", "failed",
                "error", "tool crashed", "occurred_at", "last tuesday");
        awaitDeadLetters(1, List.of(bad));

        Map<String, Object> listed = findListed(bad);
        assertThat(listed).containsEntry("source_stream", TASKS).containsEntry("error_code", "bad_timestamp");
        assertThat((String) listed.get("error")).contains("occurred_at").contains("last tuesday");
        @SuppressWarnings("unchecked")
        Map<String, String> fields = (Map<String, String>) listed.get("fields");
        assertThat(fields).containsEntry("agent_id", agent).containsEntry("error", "tool crashed")
                .containsEntry("occurred_at", "last tuesday");
    }

    @Test
    void aDeadLetterThatIsStillBadIsNotReplayedAndItsReasonComesBack() {
        String agent = unique("still-bad");
        String bad = xadd(EVENTS, "event_type", "replay_me", "agent_id", agent, "payload", "{\"broken\": tru}");
        awaitDeadLetters(1, List.of(bad));
        String deadLetterId = (String) findListed(bad).get("id");

        JsonPath answer = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("ids", List.of(deadLetterId, "1-1")))
                .post("/api/v1/dead-letters/replay").then().statusCode(200).extract().jsonPath();
        assertThat(answer.getList("replayed")).isEmpty();
        assertThat(answer.getString("not_replayed.find { it.id == '" + deadLetterId + "' }.error")).contains("payload");
        assertThat(answer.getString("not_replayed.find { it.id == '1-1' }.error")).contains("No dead letter");
        assertThat(findListed(bad)).as("still listed").isNotNull();
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent)).isZero();
    }

    @Test
    void anEntryThatHitTheDeliveryLimitIsReplayedAndStoredOnceWithTheIdentityItWouldHaveHad() {
        String agent = unique("limit");
        // A dead letter as the consumer writes one for an entry the database refused 6 times.
        // An entry id of the past, unique to this run (the id decides the identity, stored once).
        String sourceId = (1_600_000_000_000L + System.nanoTime() % 100_000_000_000L) + "-7";
        String deadLetterId = xadd(DEAD_LETTER, "source_stream", EVENTS, "source_id", sourceId,
                "error", "The entry was delivered 6 times without being stored", "error_code", "delivery_limit",
                "delivery_count", "6", "event_type", "recovered", "agent_id", agent);

        for (int attempt = 0; attempt < 2; attempt++) {
            given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                    .body(Map.of("ids", List.of(deadLetterId)))
                    .post("/api/v1/dead-letters/replay").then().statusCode(200);
        }
        var rows = awaitRows(1, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("event_id", EVENTS + "/" + sourceId);
        assertThat(deadLetters(List.of(sourceId))).as("removed from the dead-letter stream").isEmpty();
    }

    @Test
    void badListingParametersAreRefusedWithAReason() {
        given().auth().oauth2(EXPORT_TOKEN).queryParam("limit", "0").get("/api/v1/dead-letters")
                .then().statusCode(400).body("error", containsString("limit"));
        given().auth().oauth2(EXPORT_TOKEN).queryParam("after", "yesterday").get("/api/v1/dead-letters")
                .then().statusCode(400).body("error", containsString("after"));
        given().auth().oauth2(EXPORT_TOKEN).queryParam("colour", "red").get("/api/v1/dead-letters")
                .then().statusCode(400).body("error", containsString("colour"));
        given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON).body("[1, 2]")
                .post("/api/v1/dead-letters/replay").then().statusCode(400).body("error", containsString("ids"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> findListed(String sourceId) {
        String after = null;
        while (true) {
            var request = given().auth().oauth2(EXPORT_TOKEN).queryParam("limit", 1000);
            if (after != null) {
                request.queryParam("after", after);
            }
            JsonPath page = request.get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
            for (Map<String, Object> listed : page.<Map<String, Object>>getList("dead_letters")) {
                if (sourceId.equals(listed.get("source_id"))) {
                    return listed;
                }
            }
            after = page.getString("next_after");
            if (after == null) {
                return null;
            }
        }
    }
}
