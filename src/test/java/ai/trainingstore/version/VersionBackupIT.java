package ai.trainingstore.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.faults.FaultScenario;
import ai.trainingstore.faults.ServiceProcess;
import ai.trainingstore.support.ScratchDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Versions are backed up by {@code pg_dump} with everything else (contract 6.4): the packaged
 * service builds a version in a scratch database of its own; {@code pg_dump --schema=training_data}
 * of it is restored into a second scratch database, the first is dropped, and the restored
 * database still holds the version byte for byte: its chunks, read back with the build's own
 * decompression ({@link Chunker#restore}), and the service started on it serve the same SHA-256.
 */
class VersionBackupIT {

    private static final String TOKEN = "version-backup-it-token";
    private static final int CONVERSATIONS = 1500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aRestoredDumpOfTheSchemaServesTheVersionByteForByte() throws Exception {
        ScratchDatabase source = new ScratchDatabase("version_backup_source").create();
        ScratchDatabase target = new ScratchDatabase("version_backup_target").create();
        Path dump = Files.createTempFile("version-backup-it", ".dump");
        try (FaultScenario scenario = new FaultScenario()) {
            String id;
            String sha256;
            JsonNode manifest;
            try (ServiceProcess service = start(scenario, "version-backup-1", source)) {
                storeConversations(source, scenario.prefix());
                HttpResponse<String> created = HTTP.send(request(service, "/api/v1/datasets/versions")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"backup\", \"dataset\": \"conversations\","
                                + " \"parameters\": {\"agent_id\": \"" + scenario.prefix() + "\"}}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
                id = JSON.readTree(created.body()).get("id").asText();
                await("version ready").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !"building".equals(manifest(service, id).get("status").asText()));
                manifest = manifest(service, id);
                assertThat(manifest.get("status").asText()).as(manifest.toString()).isEqualTo("ready");
                sha256 = manifest.get("sha256").asText();
                byte[] dataset = bytes(service, "/api/v1/datasets/conversations?agent_id=" + scenario.prefix());
                assertThat(dataset.length).isGreaterThan(1_000_000);
                assertThat(sha256(dataset)).isEqualTo(sha256);
            }

            run(List.of("pg_dump", "--host=localhost", "--username=postgres", "--schema=training_data",
                    "--format=custom", "--file=" + dump, source.name()));
            run(List.of("pg_restore", "--host=localhost", "--username=postgres", "--dbname=" + target.name(),
                    "--no-owner", "--exit-on-error", "--single-transaction", dump.toString()));
            source.drop();

            byte[] restored = chunks(target, Long.parseLong(id));
            assertThat(restored).hasSize(manifest.get("bytes").asInt());
            assertThat(sha256(restored)).as("the restored chunks").isEqualTo(sha256);

            try (ServiceProcess service = start(scenario, "version-backup-2", target)) {
                assertThat(manifest(service, id)).as("the manifest after the restore").isEqualTo(manifest);
                assertThat(sha256(bytes(service, "/api/v1/datasets/versions/" + id + "/lines")))
                        .as("served from the restored database").isEqualTo(sha256);
            }
        } finally {
            Files.deleteIfExists(dump);
            source.drop();
            target.drop();
        }
    }

    private static ServiceProcess start(FaultScenario scenario, String name, ScratchDatabase database) {
        return new ServiceProcess(scenario, name)
                .with("TRAINING_STORE_TOKENS", TOKEN + ":export")
                .with("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://localhost:5432/" + database.name())
                .with("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://localhost:5432/" + database.name())
                .with("TRAINING_STORE_VERSIONS_CHUNK_BYTES", "65536")
                .start();
    }

    /** Conversations of two messages, the user's ~1 KB of hex, stored with SQL in the scratch database. */
    private static void storeConversations(ScratchDatabase database, String agent) throws SQLException {
        try (Connection connection = database.connect(); PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO training_data.training_messages
                    (message_id, conversation_id, role, content, agent_id, seq, occurred_at, stream_entry_id)
                SELECT ? || '-c' || c || '-' || m, ? || '-c' || c, CASE m WHEN 1 THEN 'user' ELSE 'assistant' END,
                       CASE m WHEN 1 THEN (SELECT string_agg(md5(c::text || ':' || k), '') FROM generate_series(1, 32) k)
                              ELSE 'answer ' || c END,
                       ?, m, timestamptz '2026-04-01T10:00:00Z' + make_interval(secs => c), '0-' || c
                FROM generate_series(1, ?) c, generate_series(1, 2) m
                """)) {
            insert.setString(1, agent);
            insert.setString(2, agent);
            insert.setString(3, agent);
            insert.setInt(4, CONVERSATIONS);
            insert.executeUpdate();
        }
    }

    /** The version's bytes, chunk by chunk from SQL, decompressed as a download does. */
    private static byte[] chunks(ScratchDatabase database, long versionId) throws SQLException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Connection connection = database.connect(); PreparedStatement select = connection.prepareStatement(
                "SELECT chunk_no, start_offset, length, data FROM training_data.dataset_version_chunks"
                        + " WHERE version_id = ? ORDER BY chunk_no")) {
            select.setLong(1, versionId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ChunkStore.Chunk chunk = new ChunkStore.Chunk(rows.getInt(1), rows.getLong(2), rows.getInt(3),
                            rows.getBytes(4));
                    assertThat(chunk.startOffset()).as("chunk %d starts where the last ended", chunk.number())
                            .isEqualTo(bytes.size());
                    bytes.writeBytes(Chunker.restore(chunk, chunk.startOffset()));
                }
            }
        }
        return bytes.toByteArray();
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as("%s: %s", command, output).isZero();
    }

    private static JsonNode manifest(ServiceProcess service, String id) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(request(service, "/api/v1/datasets/versions/" + id).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static byte[] bytes(ServiceProcess service, String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HTTP.send(request(service, path).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response.body();
    }

    private static HttpRequest.Builder request(ServiceProcess service, String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofMinutes(2));
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
