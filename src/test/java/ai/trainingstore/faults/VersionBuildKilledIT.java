package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * A version build cut by SIGKILL (contract 6.4): after the restart the version is {@code failed}
 * with "build interrupted" (never {@code building} forever), its partial chunks are gone and its
 * bytes are never served (410); a new version of the same parameters builds {@code ready} with
 * bytes equal to the dataset's GET. The conversations are stored with SQL (ids under the
 * scenario's prefix, deleted afterwards) and the first build compresses at zstd level 19 in small
 * chunks, so it is still running, with some chunks written, when it is killed.
 */
class VersionBuildKilledIT {

    private static final String TOKEN = "version-killed-it-token";
    private static final int CONVERSATIONS = 12_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aBuildKilledMidwayIsMarkedFailedAndNeverServedAndANewVersionBuildsReady() throws Exception {
        try (FaultScenario scenario = new FaultScenario()) {
            String agent = scenario.prefix();
            String parameters = "{\"agent_id\": \"" + agent + "\", \"split\": \"train\"}";
            try {
                storeConversations(agent);
                String killedId;
                try (ServiceProcess first = start(scenario, "version-build-1")
                        .with("TRAINING_STORE_VERSIONS_ZSTD_LEVEL", "19")
                        .with("TRAINING_STORE_VERSIONS_CHUNK_BYTES", "65536").start()) {
                    HttpResponse<String> created = post(first, agent + " killed", parameters);
                    assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
                    killedId = JSON.readTree(created.body()).get("id").asText();
                    await("some chunks written").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                            .until(() -> count("SELECT count(*) FROM training_data.dataset_version_chunks"
                                    + " WHERE version_id = ?::bigint", killedId) > 0);
                    first.kill();
                }
                assertThat(status(killedId)).as("the build was still running when the service was killed")
                        .isEqualTo("building");

                try (ServiceProcess second = start(scenario, "version-build-2").start()) {
                    await("the interrupted build marked failed").atMost(Duration.ofMinutes(1))
                            .pollInterval(Duration.ofMillis(200)).until(() -> !"building".equals(status(killedId)));
                    JsonNode manifest = JSON.readTree(get(second, "/api/v1/datasets/versions/" + killedId).body());
                    assertThat(manifest.get("status").asText()).isEqualTo("failed");
                    assertThat(manifest.get("error").asText()).contains("build interrupted");
                    assertThat(count("SELECT count(*) FROM training_data.dataset_version_chunks WHERE version_id = ?::bigint",
                            killedId)).as("the partial chunks are deleted").isZero();
                    HttpResponse<String> lines = get(second, "/api/v1/datasets/versions/" + killedId + "/lines");
                    assertThat(lines.statusCode()).as(lines.body()).isEqualTo(410);
                    assertThat(lines.body()).contains("build interrupted");

                    HttpResponse<String> again = post(second, agent + " again", parameters);
                    assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
                    String id = JSON.readTree(again.body()).get("id").asText();
                    await("the new version ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                            .until(() -> !"building".equals(status(id)));
                    JsonNode ready = JSON.readTree(get(second, "/api/v1/datasets/versions/" + id).body());
                    assertThat(ready.get("status").asText()).as(ready.toString()).isEqualTo("ready");
                    byte[] version = bytes(second, "/api/v1/datasets/versions/" + id + "/lines");
                    byte[] dataset = bytes(second, "/api/v1/datasets/conversations?agent_id=" + agent + "&split=train");
                    assertThat(dataset).as("the dataset's GET").hasSizeGreaterThan(1_000_000);
                    assertThat(sha256(version)).isEqualTo(sha256(dataset)).isEqualTo(ready.get("sha256").asText());
                    long datasetLines = new String(dataset, java.nio.charset.StandardCharsets.UTF_8).lines().count();
                    assertThat(ready.get("lines").asLong()).isEqualTo(datasetLines).isBetween(CONVERSATIONS / 2L, (long) CONVERSATIONS);
                }
            } finally {
                execute("DELETE FROM training_data.dataset_versions WHERE name LIKE ?", agent + " %");
                execute("DELETE FROM training_data.training_messages WHERE conversation_id LIKE ?", agent + "-c%");
            }
        }
    }

    private static ServiceProcess start(FaultScenario scenario, String name) {
        return new ServiceProcess(scenario, name).with("TRAINING_STORE_TOKENS", TOKEN + ":export");
    }

    /** Two messages per conversation, the user's ~1 KB of hex (little for zstd to gain), in one statement. */
    private static void storeConversations(String agent) {
        execute("""
                INSERT INTO training_data.training_messages
                    (message_id, conversation_id, role, content, agent_id, seq, occurred_at, stream_entry_id)
                SELECT ? || '-c' || lpad(c::text, 6, '0') || '-' || m, ? || '-c' || lpad(c::text, 6, '0'),
                       CASE m WHEN 1 THEN 'user' ELSE 'assistant' END,
                       CASE m WHEN 1 THEN (SELECT string_agg(md5(c::text || ':' || k), '') FROM generate_series(1, 32) k)
                              ELSE 'answer ' || c END,
                       ?, m, timestamptz '2026-04-01T10:00:00Z' + make_interval(secs => c), '0-' || c
                FROM generate_series(1, ?) c, generate_series(1, 2) m
                """, agent, agent, agent, CONVERSATIONS);
    }

    private static String status(String id) {
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT status FROM training_data.dataset_versions WHERE version_id = ?::bigint")) {
            statement.setString(1, id);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(String sql, String parameter) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void execute(String sql, Object... parameters) {
        try (Connection connection = connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
    }

    private static HttpResponse<String> post(ServiceProcess service, String name, String parameters)
            throws IOException, InterruptedException {
        String body = "{\"name\": " + JSON.writeValueAsString(name) + ", \"dataset\": \"conversations\", \"parameters\": "
                + parameters + "}";
        return HTTP.send(request(service, "/api/v1/datasets/versions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(ServiceProcess service, String path) throws IOException, InterruptedException {
        return HTTP.send(request(service, path).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(ServiceProcess service, String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HTTP.send(request(service, path).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response.body();
    }

    private static HttpRequest.Builder request(ServiceProcess service, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofMinutes(3));
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
