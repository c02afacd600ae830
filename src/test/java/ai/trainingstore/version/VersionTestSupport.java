package ai.trainingstore.version;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** What the version tests share: records published with XADD, the version API, raw downloads. */
abstract class VersionTestSupport extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";
    static final String ADMIN_TOKEN = "test-admin-token";
    static final String VERSIONS = "/api/v1/datasets/versions";

    static RequestSpecification export() {
        return given().auth().oauth2(EXPORT_TOKEN).urlEncodingEnabled(false);
    }

    /** Publishes flat entries to one stream and waits until the store has committed them. */
    void publish(String stream, List<Map<String, String>> entries) {
        List<String> ids = xaddTogether(stream, entries);
        awaitAcknowledged(stream, ids);
        assertThat(deadLetters(ids)).as("dead letters among %s", ids).isEmpty();
    }

    static Map<String, String> message(String conversationId, String agentId, int seq, String role, String content) {
        return fields("conversation_id", conversationId, "agent_id", agentId, "seq", Integer.toString(seq),
                "role", role, "content", content, "occurred_at", "2026-04-01T10:00:" + String.format("%02d", seq % 60) + "Z");
    }

    /** A conversation of a user question and an assistant answer, each {@code size} characters long. */
    void publishConversations(String agentId, List<String> conversationIds, int size) {
        List<Map<String, String>> entries = new ArrayList<>();
        for (String id : conversationIds) {
            entries.add(message(id, agentId, 0, "user", "Question of " + id + " " + "q".repeat(size)));
            entries.add(message(id, agentId, 1, "assistant", "Answer of " + id + " " + "a".repeat(size)));
        }
        publish(MESSAGES, entries);
    }

    /** POST a version; the answer as it is. */
    static Response post(String token, String body) {
        return given().auth().oauth2(token).contentType("application/json").body(body).post(VERSIONS);
    }

    static ObjectNode body(String name, String dataset, ObjectNode parameters) {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("dataset", dataset);
        body.set("parameters", parameters);
        return body;
    }

    /**
     * Creates a version (202) and answers its id. A 429 (the replica's build slots taken, by this
     * or another test's builds still running) is retried after its Retry-After, as clients do.
     */
    static String create(String name, String dataset, ObjectNode parameters) {
        Response response = post(EXPORT_TOKEN, body(name, dataset, parameters).toString());
        for (int attempt = 0; response.statusCode() == 429 && attempt < 60; attempt++) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            response = post(EXPORT_TOKEN, body(name, dataset, parameters).toString());
        }
        assertThat(response.statusCode()).as("POST: %s", response.asString()).isEqualTo(202);
        JsonNode manifest = json(response.asString());
        assertThat(response.header("Location")).isEqualTo(VERSIONS + "/" + manifest.get("id").asText());
        return manifest.get("id").asText();
    }

    static JsonNode manifest(String id) {
        Response response = export().get(VERSIONS + "/" + id);
        assertThat(response.statusCode()).as("manifest: %s", response.asString()).isEqualTo(200);
        return json(response.asString());
    }

    /** Waits until the version is no longer building; answers its manifest. */
    static JsonNode awaitBuilt(String id) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> !manifest(id).get("status").asText().equals("building"));
        return manifest(id);
    }

    static JsonNode awaitReady(String id) {
        JsonNode manifest = awaitBuilt(id);
        assertThat(manifest.get("status").asText()).as("manifest %s", manifest).isEqualTo("ready");
        return manifest;
    }

    /** GET with the export token, the body's raw bytes (no decompression by the client). */
    static HttpResponse<byte[]> raw(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                .header("Authorization", "Bearer " + EXPORT_TOKEN).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                    .send(request.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A dataset's GET answer, uncompressed. */
    static byte[] datasetBytes(String dataset, String query) {
        HttpResponse<byte[]> response = raw("/api/v1/datasets/" + dataset + query);
        assertThat(response.statusCode()).as("GET %s%s: %s", dataset, query, new String(response.body()))
                .isEqualTo(200);
        return response.body();
    }

    static byte[] versionBytes(String id) {
        HttpResponse<byte[]> response = raw(VERSIONS + "/" + id + "/lines");
        assertThat(response.statusCode()).as("lines of %s", id).isEqualTo(200);
        return response.body();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ObjectNode parameters(String... namesAndValues) {
        ObjectNode parameters = JSON.createObjectNode();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            parameters.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return parameters;
    }

    long chunkRows(String id) {
        return count("SELECT count(*) FROM training_data.dataset_version_chunks WHERE version_id = ?", Long.parseLong(id));
    }
}
