package ai.trainingstore.search;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** In the default profile search is off: every /api/v1/search path is a 404 saying how to enable it, and nothing is queued. */
@QuarkusTest
class SearchOffTest extends StoreTestSupport {

    @Test
    void everySearchPathAnswers404WithHowToEnableIt() {
        for (String path : List.of("/api/v1/search/conversations?q=bread", "/api/v1/search/status", "/api/v1/search",
                "/api/v1/search/anything/else")) {
            given().auth().oauth2("test-export-token").get(path).then().statusCode(404)
                    .contentType("application/json")
                    .body("error", containsString("training-store.search.enabled=true"))
                    .body("error", containsString("TRAINING_STORE_SEARCH_ENABLED"));
            given().get(path).then().statusCode(404); // no token: nothing there to protect
        }
    }

    @Test
    void messagesAreNotQueuedAndTheModelIsNotLoaded() {
        String conversation = unique("search-off");
        String entry = xadd(MESSAGES, "message_id", conversation + "-u", "conversation_id", conversation, "role", "user",
                "content", "Nothing should embed this.");
        awaitRows(1, "SELECT message_id FROM training_data.training_messages WHERE message_id = ?", conversation + "-u");
        assertThat(entry).isNotBlank();
        assertThat(count("SELECT count(*) FROM training_data.search_queue WHERE message_id = ?", conversation + "-u")).isZero();
        assertThat(count("SELECT count(*) FROM training_data.search_state WHERE enabled")).isZero();
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).doesNotContain("training_store_search_");
    }
}
