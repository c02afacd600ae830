package ai.trainingstore.hostile;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile bodies for {@code POST /api/v1/datasets/versions} (contract 6.4): not JSON, not an
 * object, huge names, fields and parameters of the wrong type, unknown datasets and parameters,
 * {@code after}, a body of megabytes. Each is refused with a 4xx JSON {"error"} that names what
 * is wrong, and none leaves a version behind.
 */
@QuarkusTest
class HostileVersionRequestsTest extends StoreTestSupport {

    private static final String TOKEN = "test-export-token";
    private static final String NAME = "hostile-version-" + UUID.randomUUID();
    /** Parameters that select nothing: should a hostile body ever be accepted, its build is empty. */
    private static final String NARROW = "{\"agent_id\": \"" + NAME + "\"}";

    record Case(String title, String body, int status, String reason) {
    }

    /** The members given plus a filter that selects nothing. */
    private static String narrow(String members) {
        return "{\"conversation_id\": \"" + NAME + "\", " + members + "}";
    }

    private static String body(String dataset, String parameters) {
        return "{\"name\": \"" + NAME + "\", \"dataset\": " + dataset + ", \"parameters\": " + parameters + "}";
    }

    private static List<Case> cases() {
        String conversations = "\"conversations\"";
        return List.of(
                new Case("a form body", "name=x&dataset=conversations", 400, "not JSON"),
                new Case("an empty body", "", 400, "JSON object"),
                new Case("a JSON array", "[]", 400, "JSON object"),
                new Case("a JSON string", "\"conversations\"", 400, "JSON object"),
                new Case("a JSON null", "null", 400, "JSON object"),
                new Case("truncated JSON", "{\"name\": \"" + NAME, 400, "not JSON"),
                new Case("two JSON objects", body(conversations, NARROW) + body(conversations, NARROW), 400, "JSON"),
                new Case("no name", "{\"dataset\": \"conversations\", \"parameters\": " + NARROW + "}", 400, "'name'"),
                new Case("an empty name", "{\"name\": \"\", \"dataset\": \"conversations\", \"parameters\": " + NARROW + "}", 400, "'name'"),
                new Case("a name of 201 characters", "{\"name\": \"" + "n".repeat(201)
                        + "\", \"dataset\": \"conversations\", \"parameters\": " + NARROW + "}", 400, "1 to 200"),
                new Case("a name that is a number", "{\"name\": 5, \"dataset\": \"conversations\", \"parameters\": " + NARROW + "}", 400, "'name'"),
                new Case("a name that is an object", "{\"name\": {\"a\": 1}, \"dataset\": \"conversations\", \"parameters\": " + NARROW + "}",
                        400, "'name'"),
                new Case("no dataset", "{\"name\": \"" + NAME + "\", \"parameters\": " + NARROW + "}", 400, "'dataset'"),
                new Case("an unknown dataset", body("\"nope\"", NARROW), 400, "Unknown dataset 'nope'"),
                new Case("a dataset path", body("\"../export/events\"", NARROW), 400, "Unknown dataset"),
                new Case("a dataset that is a number", body("5", NARROW), 400, "'dataset'"),
                new Case("a dataset that is a list", body("[\"conversations\"]", NARROW), 400, "'dataset'"),
                new Case("parameters that are a list", body(conversations, "[]"), 400, "'parameters'"),
                new Case("parameters that are a string", body(conversations, "\"agent_id=a\""), 400, "'parameters'"),
                new Case("a number parameter", body(conversations, narrow("\"limit\": 5")), 400, "'limit'"),
                new Case("a boolean parameter", body(conversations, narrow("\"metadata\": true")), 400, "'metadata'"),
                new Case("an object parameter", body(conversations, narrow("\"agent_id\": {\"a\": 1}")), 400, "'agent_id'"),
                new Case("a list with a number", body(conversations, narrow("\"agent_id\": [\"a\", 1]")), 400, "'agent_id'"),
                new Case("an empty list", body(conversations, narrow("\"agent_id\": []")), 400, "'agent_id'"),
                new Case("a null parameter", body(conversations, narrow("\"agent_id\": null")), 400, "'agent_id'"),
                new Case("after", body(conversations, narrow("\"after\": \"c1\"")), 400, "'after' is not allowed"),
                new Case("after in trajectories", body("\"trajectories\"", "{\"task_id\": \"" + NAME + "\", \"after\": \"t1\"}"), 400, "'after' is not allowed"),
                new Case("an unknown parameter", body(conversations, narrow("\"bogus\": \"1\"")), 400, "Unknown parameter 'bogus'"),
                new Case("a bad split", body(conversations, narrow("\"split\": \"everything\"")), 400, "split"),
                new Case("a negative limit", body(conversations, narrow("\"limit\": \"-1\"")), 400, "'limit'"),
                new Case("a bad date", body("\"trajectories\"", "{\"task_id\": \"" + NAME + "\", \"from\": \"yesterday\"}"), 400, "'from'"),
                new Case("an unknown field", "{\"name\": \"" + NAME + "\", \"dataset\": \"conversations\", \"parameters\": " + NARROW + ","
                        + " \"extra\": 1}", 400, "Unknown field 'extra'"));
    }

    @TestFactory
    Stream<DynamicTest> everyHostileBodyIsRefusedWithItsReason() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.title(), () -> {
            Response response = given().auth().oauth2(TOKEN).contentType("application/json").body(c.body())
                    .post("/api/v1/datasets/versions");
            assertThat(response.statusCode()).as("%s: %s", c.title(), response.asString()).isEqualTo(c.status());
            assertThat(response.contentType()).startsWith("application/json");
            assertThat(response.jsonPath().getString("error")).as(c.title()).contains(c.reason());
        }));
    }

    @TestFactory
    Stream<DynamicTest> hugeBodiesAreRefusedWithoutAVersion() {
        return Stream.of(1_000, 3_000_000).map(size -> DynamicTest.dynamicTest("a name of " + size + " characters", () -> {
            Response response = given().auth().oauth2(TOKEN).contentType("application/json")
                    .body("{\"name\": \"" + NAME + "x".repeat(size) + "\", \"dataset\": \"conversations\", \"parameters\": " + NARROW + "}")
                    .post("/api/v1/datasets/versions");
            assertThat(response.statusCode()).as(response.asString()).isIn(400, 413);
            assertThat(response.jsonPath().getString("error")).isNotBlank();
        }));
    }

    @AfterEach
    void noVersionWasCreated() {
        List<Map<String, Object>> created = query("SELECT version_id FROM training_data.dataset_versions WHERE name LIKE ?",
                NAME + "%");
        executeSql("DELETE FROM training_data.dataset_versions WHERE name LIKE ?", NAME + "%");
        assertThat(created)
                .as("versions left by refused requests").isEmpty();
    }
}
