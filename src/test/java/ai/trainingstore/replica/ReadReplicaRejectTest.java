package ai.trainingstore.replica;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code training-store.read.when-unavailable=reject}: while the replica lags past max-lag, reads
 * get 503 with Retry-After and nothing else changes (ingest, stats, readiness); they are served
 * again once replay catches up.
 */
@QuarkusTest
@TestProfile(ReadReplicaRejectTest.Reject.class)
class ReadReplicaRejectTest extends StoreTestSupport {

    private static final String TOKEN = "test-export-token";

    public static class Reject extends ReplicaProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("training-store.read.when-unavailable", "reject");
            return overrides;
        }
    }

    @Test
    void aLaggingReplicaAnswers503WithRetryAfterAndReadsComeBackWhenItCatchesUp() throws Exception {
        awaitReads("replica");
        String agent = unique("reject-agent");
        try {
            ReplicaServices.pauseReplay();
            xaddTogether(EVENTS, List.of(fields("event_id", agent, "event_type", "reject-test", "agent_id", agent)));
            awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE event_id = ?", agent);
            awaitReads("rejected");

            var refused = given().auth().oauth2(TOKEN).queryParam("agent_id", agent).get("/api/v1/export/events")
                    .then().statusCode(503).extract();
            assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
            assertThat(refused.jsonPath().getString("error")).contains("when-unavailable is reject");
            given().auth().oauth2(TOKEN).queryParam("agent_id", agent).get("/api/v1/datasets/conversations")
                    .then().statusCode(503).header("Retry-After", org.hamcrest.Matchers.notNullValue());
            given().auth().oauth2(TOKEN).contentType("application/json")
                    .body("{\"name\": \"" + agent + "\", \"dataset\": \"conversations\", \"parameters\": {}}")
                    .post("/api/v1/datasets/versions").then().statusCode(503);
            // Ingest, the stats (counted on the primary meanwhile) and readiness are not affected.
            assertThat(count("SELECT count(*) FROM training_data.training_events WHERE event_id = ?", agent)).isOne();
            assertThat(stats().getLong("kinds.events.rows")).isPositive();
            given().get("/q/health/ready").then().statusCode(200);
        } finally {
            ReplicaServices.resumeReplay();
        }
        awaitReads("replica");
        String body = given().auth().oauth2(TOKEN).queryParam("agent_id", agent).get("/api/v1/export/events")
                .then().statusCode(200).extract().asString();
        assertThat(body.lines().filter(line -> line.contains(agent)).count()).isOne();
    }

    private static io.restassured.path.json.JsonPath stats() {
        return ReadReplicaTest.stats();
    }

    private static void awaitReads(String target) {
        ReadReplicaTest.awaitReads(target);
    }
}
