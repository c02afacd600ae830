package ai.trainingstore.analytics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;

import ai.trainingstore.support.NarrowLimitsProfile;
import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Analytics answers bounded (issue 20, finding 8): streamed from a cursor across chunks, a range
 * over the operator's row cap refused with a JSON 400 before the first byte, and a cap on
 * answers at once (429). Rows are this test's own agent's, on days no other test uses.
 */
@QuarkusTest
@TestProfile(NarrowLimitsProfile.class)
class AnalyticsBoundsTest extends StoreTestSupport {

    static final int MAX_ROWS = NarrowLimitsProfile.ANALYTICS_MAX_ROWS;
    static final String DAY1 = "2002-07-08";
    static final String DAY2 = "2002-07-09";
    static final String DAY3 = "2002-07-10";
    /** More than one cursor chunk (AnalyticsService.ROWS_PER_CHUNK) on day 1; over the cap with day 2. */
    static final int TOOLS_DAY1 = 550;
    static final int TOOLS_DAY2 = 51;

    @Inject
    AnalyticsService analytics;

    String agent;

    @BeforeEach
    void publishOneExecutionPerUniqueToolName() {
        agent = unique("analytics-bounds");
        for (int i = 0; i < TOOLS_DAY1 + TOOLS_DAY2; i++) {
            String day = i < TOOLS_DAY1 ? DAY1 : DAY2;
            streams().xadd(TOOL_EXECUTIONS, fields("execution_id", agent + "-x" + i, "agent_id", agent,
                    "tool_name", String.format("%s-tool-%04d", agent, i), "duration_ms", Integer.toString(i),
                    "occurred_at", day + "T12:00:00Z"));
        }
        awaitRows(TOOLS_DAY1 + TOOLS_DAY2, "SELECT 1 FROM training_data.training_tool_executions WHERE agent_id = ?", agent);
    }

    @AfterEach
    void removeTheRows() {
        executeSql("DELETE FROM training_data.training_tool_executions WHERE agent_id = ?", agent);
    }

    @Test
    void anAnswerOfManyChunksIsOneValidJsonArrayAndOneCsvFile() {
        String body = given().auth().oauth2("test-export-token")
                .queryParam("from", DAY1).queryParam("to", DAY2).queryParam("agent_id", agent)
                .get("/api/v1/analytics/tool_daily")
                .then().statusCode(200).contentType("application/json").extract().asString();
        JsonNode rows = json(body);
        assertThat(rows.isArray()).isTrue();
        assertThat(rows).hasSize(TOOLS_DAY1);
        for (int i = 0; i < TOOLS_DAY1; i++) {
            assertThat(rows.get(i).get("tool_name").asText()).isEqualTo(String.format("%s-tool-%04d", agent, i));
            assertThat(rows.get(i).get("max_ms").asLong()).isEqualTo(i);
        }

        String csv = given().auth().oauth2("test-export-token")
                .queryParam("from", DAY1).queryParam("to", DAY2).queryParam("agent_id", agent).queryParam("format", "csv")
                .get("/api/v1/analytics/tool_daily")
                .then().statusCode(200).contentType("text/csv").extract().asString();
        List<String> lines = csv.lines().toList();
        assertThat(lines).hasSize(TOOLS_DAY1 + 1);
        assertThat(lines.get(0)).isEqualTo("day,tool_name,executions,errors,error_rate,p50_ms,p95_ms,max_ms");
        assertThat(lines.get(TOOLS_DAY1)).startsWith(DAY1 + "," + String.format("%s-tool-%04d", agent, TOOLS_DAY1 - 1));
    }

    @Test
    void aRangeOverTheRowCapIsA400SayingToNarrowItNeverAShortAnswer() {
        for (String format : List.of("json", "csv")) {
            given().auth().oauth2("test-export-token")
                    .queryParam("from", DAY1).queryParam("to", DAY3).queryParam("agent_id", agent).queryParam("format", format)
                    .get("/api/v1/analytics/tool_daily")
                    .then().statusCode(400).contentType("application/json")
                    .body("error", allOf(containsString("more than " + MAX_ROWS + " rows"),
                            containsString("narrow the range"), containsString("training-store.analytics.max-rows")));
        }
        // Exactly at the cap is answered whole: day 2 alone, and day 1 alone, each under it.
        given().auth().oauth2("test-export-token")
                .queryParam("from", DAY2).queryParam("to", DAY3).queryParam("agent_id", agent)
                .get("/api/v1/analytics/tool_daily")
                .then().statusCode(200).body("size()", org.hamcrest.Matchers.is(TOOLS_DAY2));
    }

    @Test
    void overTheConcurrencyCapAnswers429UntilASlotIsFree() {
        AnalyticsRequest request = AnalyticsRequest.parse(AnalyticsView.TOOL_DAILY,
                Map.of("agent_id", List.of(agent), "from", List.of(DAY2), "to", List.of(DAY3)));
        // An answer subscribed and not read holds the only slot, as a slow client would.
        AssertSubscriber<Buffer> slow = analytics.answer(request).subscribe().withSubscriber(AssertSubscriber.create(0));
        try {
            given().auth().oauth2("test-export-token").queryParam("agent_id", agent)
                    .queryParam("from", DAY2).queryParam("to", DAY3)
                    .get("/api/v1/analytics/agent_daily")
                    .then().statusCode(429).contentType("application/json").header("Retry-After", "5")
                    .body("error", containsString("training-store.analytics.max-concurrent"));
        } finally {
            slow.cancel();
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                given().auth().oauth2("test-export-token").queryParam("agent_id", agent)
                        .queryParam("from", DAY2).queryParam("to", DAY3)
                        .get("/api/v1/analytics/tool_daily")
                        .then().statusCode(200).body("size()", org.hamcrest.Matchers.is(TOOLS_DAY2)));
    }
}
