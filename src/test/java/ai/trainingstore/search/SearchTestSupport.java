package ai.trainingstore.search;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.StoreTestSupport;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Publishing conversations with XADD and querying /api/v1/search/conversations with the export token. */
abstract class SearchTestSupport extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String PATH = "/api/v1/search/conversations";
    static final Duration EMBEDDED_WITHIN = Duration.ofSeconds(120);

    /** Publishes one conversation (user, assistant, then a system and a tool message that are never embedded). */
    List<String> conversation(String conversationId, String agent, String task, String user, String assistant) {
        List<String> ids = new ArrayList<>();
        ids.add(xadd(MESSAGES, "message_id", conversationId + "-u", "conversation_id", conversationId, "role", "user",
                "content", user, "agent_id", agent, "task_id", task, "seq", "1"));
        ids.add(xadd(MESSAGES, "message_id", conversationId + "-a", "conversation_id", conversationId, "role", "assistant",
                "content", assistant, "agent_id", agent, "task_id", task, "seq", "2"));
        ids.add(xadd(MESSAGES, "message_id", conversationId + "-s", "conversation_id", conversationId, "role", "system",
                "content", user, "agent_id", agent, "task_id", task, "seq", "0"));
        return ids;
    }

    /** Waits until every user and assistant message of these conversations has a vector. */
    void awaitEmbedded(List<String> conversationIds) {
        await().atMost(EMBEDDED_WITHIN).pollInterval(Duration.ofMillis(250)).until(() -> count(
                "SELECT count(*) FROM training_data.search_vectors WHERE conversation_id = ANY(?)",
                (Object) conversationIds.toArray(String[]::new)) == conversationIds.size() * 2L);
    }

    /**
     * Waits until this replica's index answers with the conversation and has read every vector stored
     * so far (it tails the vectors table in id order).
     */
    void awaitSearchable(String q, String agent, String conversationId) {
        await().atMost(EMBEDDED_WITHIN).pollInterval(Duration.ofMillis(250)).until(() -> search("q", q, "agent_id", agent, "k", "50")
                .jsonPath().getList("results.conversation_id").contains(conversationId));
        long stored = count("SELECT count(*) FROM training_data.search_vectors");
        await().atMost(EMBEDDED_WITHIN).pollInterval(Duration.ofMillis(250)).until(() -> given().auth().oauth2(EXPORT_TOKEN)
                .get("/api/v1/search/status").jsonPath().getLong("indexed") >= stored);
    }

    static Response search(String... parameters) {
        var request = given().auth().oauth2(EXPORT_TOKEN);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        return request.get(PATH);
    }

    static List<Map<String, Object>> results(Response response) {
        return response.then().statusCode(200).extract().jsonPath().getList("results");
    }
}
