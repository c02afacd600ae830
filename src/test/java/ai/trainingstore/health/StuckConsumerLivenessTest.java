package ai.trainingstore.health;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import ai.trainingstore.support.NarrowLimitsProfile;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A consumer stuck on an operation that does not return (here: its INSERT waits on a table lock
 * held by the test, longer than the stall timeout) turns liveness DOWN, so Kubernetes would
 * restart the pod; once it moves again liveness is UP and the entry is stored.
 */
@QuarkusTest
@TestProfile(NarrowLimitsProfile.class)
class StuckConsumerLivenessTest extends StoreTestSupport {

    @Test
    void aConsumerStuckLongerThanTheStallTimeoutTurnsLivenessDown() throws Exception {
        given().get("/q/health/live").then().statusCode(200);
        String agent = unique("stuck");
        try (Connection connection = database.getConnection()) {
            connection.setAutoCommit(false);
            connection.createStatement().execute("LOCK TABLE training_data.training_events IN ACCESS EXCLUSIVE MODE");
            xadd(EVENTS, "event_type", "stuck", "agent_id", agent);

            await("liveness DOWN while the consumer is stuck").atMost(Duration.ofSeconds(15))
                    .until(() -> given().get("/q/health/live").statusCode() == 503);
            given().get("/q/health/live").then().statusCode(503).body(containsString("stalled"));
            connection.rollback();
        }
        awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        await("liveness UP again").atMost(Duration.ofSeconds(15))
                .until(() -> given().get("/q/health/live").statusCode() == 200);
    }
}
