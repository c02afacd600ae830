package ai.trainingstore.version;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Versions of the conversations dataset: the bytes the dataset's GET answered at creation, kept
 * byte for byte through new records and deleted source rows; the SHA-256, the ETag, ranges, gzip
 * and the summary of the same snapshot.
 */
@QuarkusTest
class ConversationVersionTest extends VersionTestSupport {

    @Test
    void aVersionKeepsTheBytesOfTheDatasetAtCreationThroughNewRecordsAndDeletedRows() throws IOException {
        String agent = unique("version-agent");
        List<String> conversations = IntStream.range(0, 12).mapToObj(i -> agent + "-conv-" + i).toList();
        publishConversations(agent, conversations, 700);
        String query = "?agent_id=" + agent + "&metadata=true";
        byte[] atCreation = datasetBytes("conversations", query);
        JsonNode summaryAtCreation = json(export().get("/api/v1/datasets/conversations/summary" + query).asString());

        String id = create("support-bot fine-tune", "conversations", parameters("agent_id", agent, "metadata", "true"));
        JsonNode manifest = awaitReady(id);

        assertThat(atCreation.length).as("several chunks of 4096 bytes").isGreaterThan(3 * 4096);
        byte[] stored = versionBytes(id);
        assertThat(stored).isEqualTo(atCreation);
        assertThat(manifest.get("bytes").asLong()).isEqualTo(atCreation.length);
        assertThat(manifest.get("lines").asLong()).isEqualTo(12);
        assertThat(manifest.get("sha256").asText()).isEqualTo(sha256(atCreation));
        assertThat(manifest.get("summary")).isEqualTo(summaryAtCreation);
        assertThat(manifest.get("parameters")).isEqualTo(parameters("agent_id", agent, "metadata", "true"));
        assertThat(manifest.get("name").asText()).isEqualTo("support-bot fine-tune");
        assertThat(manifest.get("dataset").asText()).isEqualTo("conversations");
        assertThat(manifest.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(manifest.get("completed_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(manifest.get("error").isNull()).isTrue();
        assertThat(chunkRows(id)).isEqualTo((atCreation.length + 4095) / 4096);

        // New records: a message in a stored conversation and a new conversation of the agent.
        publish(MESSAGES, List.of(message(conversations.get(0), agent, 2, "user", "One more question"),
                message(agent + "-conv-new", agent, 0, "user", "New"),
                message(agent + "-conv-new", agent, 1, "assistant", "Conversation")));
        assertThat(datasetBytes("conversations", query)).as("the dataset moved on").isNotEqualTo(atCreation);
        assertThat(versionBytes(id)).isEqualTo(atCreation);

        // Every source row deleted (as retention would).
        executeSql("DELETE FROM training_data.training_messages WHERE agent_id = ?", agent);
        assertThat(datasetBytes("conversations", query)).as("the dataset is empty now").isEmpty();
        HttpResponse<byte[]> after = raw(VERSIONS + "/" + id + "/lines");
        assertThat(after.body()).isEqualTo(atCreation);
        assertThat(after.headers().firstValue("ETag")).hasValue("\"" + sha256(atCreation) + "\"");
        assertThat(after.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        assertThat(manifest(id)).isEqualTo(manifest);

        // Resume at several offsets: the start, inside the first chunk, on and after a chunk boundary, the last byte.
        for (long start : new long[] {0, 1, 4095, 4096, 4097, 3 * 4096 + 17, atCreation.length - 1}) {
            HttpResponse<byte[]> rest = raw(VERSIONS + "/" + id + "/lines", "Range", "bytes=" + start + "-");
            assertThat(rest.statusCode()).as("range from %d", start).isEqualTo(206);
            assertThat(rest.headers().firstValue("Content-Range"))
                    .hasValue("bytes " + start + "-" + (atCreation.length - 1) + "/" + atCreation.length);
            assertThat(rest.body()).as("range from %d", start)
                    .isEqualTo(Arrays.copyOfRange(atCreation, (int) start, atCreation.length));
        }
        HttpResponse<byte[]> beyond = raw(VERSIONS + "/" + id + "/lines", "Range", "bytes=" + atCreation.length + "-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */" + atCreation.length);
        assertThat(json(new String(beyond.body())).get("error").asText()).contains("you have it all");
        HttpResponse<byte[]> suffix = raw(VERSIONS + "/" + id + "/lines", "Range", "bytes=-100");
        assertThat(suffix.statusCode()).isEqualTo(416);
        assertThat(json(new String(suffix.body())).get("error").asText()).contains("bytes=<start>-");

        // gzip on request, the same bytes once decompressed.
        HttpResponse<byte[]> gzip = raw(VERSIONS + "/" + id + "/lines", "Accept-Encoding", "gzip");
        assertThat(gzip.statusCode()).isEqualTo(200);
        assertThat(gzip.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gzip.body().length).isLessThan(atCreation.length);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(atCreation);
        }
    }

    @Test
    void theParametersAreCheckedByTheDatasetsOwnValidation() {
        Response get = export().get("/api/v1/datasets/conversations?format=xml");
        assertThat(get.statusCode()).isEqualTo(400);
        Response post = post(EXPORT_TOKEN, body("bad format", "conversations", parameters("format", "xml")).toString());
        assertThat(post.statusCode()).isEqualTo(400);
        assertThat(json(post.asString())).isEqualTo(json(get.asString()));

        Response unknownGet = export().get("/api/v1/datasets/trajectories?colour=red");
        Response unknownPost = post(EXPORT_TOKEN, body("x", "trajectories", parameters("colour", "red")).toString());
        assertThat(unknownPost.statusCode()).isEqualTo(400);
        assertThat(json(unknownPost.asString())).isEqualTo(json(unknownGet.asString()));

        Response limitGet = export().get("/api/v1/datasets/conversations?limit=-1");
        Response limitPost = post(EXPORT_TOKEN, body("x", "conversations", parameters("limit", "-1")).toString());
        assertThat(limitPost.statusCode()).isEqualTo(400);
        assertThat(json(limitPost.asString())).isEqualTo(json(limitGet.asString()));
    }

    @Test
    void badBodiesAreRefusedWithWhatToFix() {
        assertError(post(EXPORT_TOKEN, "{not json"), 400, "not JSON");
        assertError(post(EXPORT_TOKEN, "[1, 2]"), 400, "JSON object");
        assertError(post(EXPORT_TOKEN, "{\"dataset\": \"conversations\"}"), 400, "'name' is required");
        assertError(post(EXPORT_TOKEN, "{\"name\": \"\", \"dataset\": \"conversations\"}"), 400, "'name' is required");
        assertError(post(EXPORT_TOKEN, body("n".repeat(201), "conversations", parameters()).toString()), 400,
                "1 to 200 characters");
        assertThat(post(EXPORT_TOKEN, body("n".repeat(200), "conversations", parameters("limit", "1")).toString())
                .statusCode()).isEqualTo(202);
        assertError(post(EXPORT_TOKEN, "{\"name\": \"x\"}"), 400, "'dataset' is required: use one of conversations, preferences, trajectories");
        assertError(post(EXPORT_TOKEN, body("x", "events", parameters()).toString()), 400, "Unknown dataset 'events'");
        assertError(post(EXPORT_TOKEN, "{\"name\": \"x\", \"dataset\": \"conversations\", \"colour\": 1}"), 400,
                "Unknown field 'colour'");
        assertError(post(EXPORT_TOKEN, body("x", "conversations", parameters("after", "c-1")).toString()), 400,
                "'after' is not allowed");
        assertError(post(EXPORT_TOKEN, "{\"name\": \"x\", \"dataset\": \"conversations\", \"parameters\": [1]}"), 400,
                "'parameters' must be an object");
        assertError(post(EXPORT_TOKEN, "{\"name\": \"x\", \"dataset\": \"conversations\", \"parameters\": {\"limit\": 5}}"),
                400, "'limit' must be a string or a non-empty list of strings");
        assertError(post(EXPORT_TOKEN, "{\"name\": \"x\", \"dataset\": \"conversations\", \"parameters\": {\"agent_id\": []}}"),
                400, "'agent_id' must be a string or a non-empty list");
        assertError(post(INGEST_TOKEN, body("x", "conversations", parameters()).toString()), 403, "scope");
        assertThat(io.restassured.RestAssured.given().contentType("application/json").body("{}").post(VERSIONS)
                .statusCode()).isEqualTo(401);
    }

    static void assertError(Response response, int status, String text) {
        assertThat(response.statusCode()).as("answer %s", response.asString()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(json(response.asString()).get("error").asText()).contains(text);
    }
}
