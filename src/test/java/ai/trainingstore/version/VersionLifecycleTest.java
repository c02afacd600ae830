package ai.trainingstore.version;

import static ai.trainingstore.version.ConversationVersionTest.assertError;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Versions of the trajectories dataset through a merge and deleted rows; the list and its pages;
 * 404, 409, 410, 403 and deletion; a build whose builder is gone; concurrent builds.
 */
@QuarkusTest
class VersionLifecycleTest extends VersionTestSupport {

    private static Map<String, String> task(String taskId, String agent, String status, String at) {
        return fields("task_id", taskId, "agent_id", agent, "status", status, "occurred_at", at);
    }

    @Test
    void aTrajectoriesVersionKeepsItsBytesThroughAMergeAndDeletedRows() {
        String agent = unique("traj-version-agent");
        List<String> tasks = IntStream.range(0, 6).mapToObj(i -> agent + "-task-" + i).toList();
        List<Map<String, String>> taskEntries = new ArrayList<>();
        tasks.forEach(task -> taskEntries.add(task(task, agent, "running", "2026-04-01T10:00:00Z")));
        publish(TASKS, taskEntries);
        List<Map<String, String>> messages = new ArrayList<>();
        for (String task : tasks) {
            messages.add(fields("conversation_id", task + "-conv", "agent_id", agent, "task_id", task, "seq", "0",
                    "role", "user", "content", "Do " + task, "occurred_at", "2026-04-01T10:00:01Z"));
            messages.add(fields("conversation_id", task + "-conv", "agent_id", agent, "task_id", task, "seq", "1",
                    "role", "assistant", "content", "Done " + task, "occurred_at", "2026-04-01T10:00:02Z"));
        }
        publish(MESSAGES, messages);
        publish(TOOL_EXECUTIONS, List.of(fields("execution_id", agent + "-exec", "agent_id", agent, "task_id",
                tasks.get(0), "tool_name", "search", "occurred_at", "2026-04-01T10:00:01Z")));
        String query = "?agent_id=" + agent;
        byte[] atCreation = datasetBytes("trajectories", query);
        assertThat(new String(atCreation)).contains("Done " + tasks.get(5), "search");

        String id = create("trajectories for RL", "trajectories", parameters("agent_id", agent));
        JsonNode manifest = awaitReady(id);
        assertThat(versionBytes(id)).isEqualTo(atCreation);
        assertThat(manifest.get("sha256").asText()).isEqualTo(sha256(atCreation));
        assertThat(manifest.get("lines").asLong()).isEqualTo(6);
        // The trajectories summary of the same snapshot: its lines, and their exact tokens (contract 6.5).
        assertThat(manifest.path("summary").path("lines").asLong()).isEqualTo(6);
        assertThat(manifest.path("summary").path("tokens").path("encoding").asText()).isEqualTo("o200k_base");
        assertThat(manifest.path("summary").path("tokens").path("min").asLong()).isPositive();

        // A merge changes a task's row; the dataset moves, the version does not.
        publish(TASKS, List.of(task(tasks.get(0), agent, "completed", "2026-04-01T10:05:00Z")));
        assertThat(datasetBytes("trajectories", query)).isNotEqualTo(atCreation);
        assertThat(versionBytes(id)).isEqualTo(atCreation);

        executeSql("DELETE FROM training_data.training_messages WHERE agent_id = ?", agent);
        executeSql("DELETE FROM training_data.training_tool_executions WHERE agent_id = ?", agent);
        executeSql("DELETE FROM training_data.training_tasks WHERE agent_id = ?", agent);
        assertThat(datasetBytes("trajectories", query)).isEmpty();
        assertThat(versionBytes(id)).isEqualTo(atCreation);
        assertThat(manifest(id)).isEqualTo(manifest);
    }

    @Test
    void theListIsNewestFirstFilteredByNameAndPaged() {
        String name = unique("list-name");
        String other = unique("list-other");
        // One at a time: other tests' builds may hold the build slots (a fourth at once gets 429).
        String first = ready(create(name, "conversations", parameters("limit", "1", "agent_id", name)));
        ready(create(other, "conversations", parameters("limit", "1", "agent_id", name)));
        String third = ready(create(name, "trajectories", parameters("limit", "1", "agent_id", name)));
        String fourth = ready(create(name, "conversations", parameters("limit", "1", "agent_id", name)));

        JsonNode all = json(export().get(VERSIONS + "?name=" + name).asString());
        assertThat(ids(all)).containsExactly(fourth, third, first);
        assertThat(all.get("next_after").isNull()).isTrue();

        JsonNode page1 = json(export().get(VERSIONS + "?name=" + name + "&limit=2").asString());
        assertThat(ids(page1)).containsExactly(fourth, third);
        assertThat(page1.get("next_after").asText()).isEqualTo(third);
        JsonNode page2 = json(export().get(VERSIONS + "?name=" + name + "&limit=2&after=" + third).asString());
        assertThat(ids(page2)).containsExactly(first);
        assertThat(page2.get("next_after").isNull()).isTrue();
        assertThat(page2.get("versions").get(0)).isEqualTo(manifest(first));

        JsonNode newest = json(export().get(VERSIONS + "?limit=1").asString());
        assertThat(Long.parseLong(ids(newest).get(0))).isGreaterThanOrEqualTo(Long.parseLong(fourth));

        assertError(export().get(VERSIONS + "?limit=0"), 400, "'limit' must be a number from 1 to 1000");
        assertError(export().get(VERSIONS + "?limit=1001"), 400, "'limit'");
        assertError(export().get(VERSIONS + "?after=abc"), 400, "'after' must be a version id");
        assertError(export().get(VERSIONS + "?colour=red"), 400, "Unknown parameter 'colour'");
        assertError(export().get(VERSIONS + "?name=a&name=b"), 400, "given 2 times");
    }

    private static String ready(String id) {
        awaitReady(id);
        return id;
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("versions").forEach(version -> ids.add(version.get("id").asText()));
        return ids;
    }

    @Test
    void unknownBuildingFailedAndDeletedVersionsAnswerTheirStatus() throws Exception {
        assertError(export().get(VERSIONS + "/999999999999"), 404, "No dataset version '999999999999'");
        assertError(export().get(VERSIONS + "/abc/lines"), 404, "No dataset version 'abc'");
        assertError(given().auth().oauth2(ADMIN_TOKEN).delete(VERSIONS + "/999999999999"), 404, "No dataset version");

        // Over training-store.versions.max-bytes (256 KiB in tests): failed with the reason, no chunk kept.
        String agent = unique("big-agent");
        publishConversations(agent, IntStream.range(0, 20).mapToObj(i -> agent + "-" + i).toList(), 8000);
        String big = create("too big", "conversations", parameters("agent_id", agent));
        JsonNode failed = awaitBuilt(big);
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).contains("training-store.versions.max-bytes");
        assertThat(failed.get("sha256").isNull()).isTrue();
        assertThat(chunkRows(big)).isZero();
        assertError(export().get(VERSIONS + "/" + big + "/lines"), 410, "max-bytes");

        // Building: a live builder holds the version's lock (as VersionService does).
        try (Connection builder = ownConnection()) {
            long id = claim(builder);
            insertBuilding(builder, id);
            Response building = export().get(VERSIONS + "/" + id + "/lines");
            assertError(building, 409, "still being built");
            // Several sweeps pass (every 2 s in tests): a live build is left alone.
            Thread.sleep(5000);
            assertThat(manifest(Long.toString(id)).get("status").asText()).isEqualTo("building");
            builder.createStatement().execute("DELETE FROM training_data.dataset_versions WHERE version_id = " + id);
        }

        // Deletion: admin only; then the bytes are gone.
        String kept = create(unique("to delete"), "conversations", parameters("agent_id", agent, "limit", "2"));
        awaitReady(kept);
        assertThat(chunkRows(kept)).isPositive();
        assertError(export().delete(VERSIONS + "/" + kept), 403, "'admin'");
        assertError(given().auth().oauth2(INGEST_TOKEN).delete(VERSIONS + "/" + kept), 403, "scope");
        assertThat(given().auth().oauth2(ADMIN_TOKEN).delete(VERSIONS + "/" + kept).statusCode()).isEqualTo(204);
        assertError(export().get(VERSIONS + "/" + kept), 404, "No dataset version");
        assertError(export().get(VERSIONS + "/" + kept + "/lines"), 404, "No dataset version");
        assertThat(chunkRows(kept)).isZero();
    }

    @Test
    void aBuildWhoseBuilderIsGoneIsMarkedFailed() throws Exception {
        long id;
        try (Connection builder = ownConnection()) {
            id = claim(builder);
            insertBuilding(builder, id);
            executeSql("INSERT INTO training_data.dataset_version_chunks (version_id, chunk_no, start_offset, length, data)"
                    + " VALUES (?, 0, 0, 1, '\\x00'::bytea)", id);
        } // the connection closes: the lock is gone, as when a builder's process is killed
        String version = Long.toString(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> manifest(version).get("status").asText().equals("failed"));
        assertThat(manifest(version).get("error").asText()).startsWith("build interrupted");
        assertThat(manifest(version).get("completed_at").isNull()).isFalse();
        assertError(export().get(VERSIONS + "/" + version + "/lines"), 410, "build interrupted");
        await().atMost(Duration.ofSeconds(20)).until(() -> chunkRows(version) == 0);
    }

    @Test
    void threeBuildsRunAtOnceEachWithItsOwnBytes() {
        String agent = unique("concurrent-agent");
        List<String> conversations = IntStream.range(0, 9).mapToObj(i -> agent + "-" + i).toList();
        publishConversations(agent, conversations, 300);
        List<CompletableFuture<String>> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String limit = Integer.toString(3 * (i + 1));
            created.add(CompletableFuture.supplyAsync(() -> create("concurrent", "conversations",
                    parameters("agent_id", agent, "limit", limit))));
        }
        for (int i = 0; i < 3; i++) {
            String id = created.get(i).join();
            String query = "?agent_id=" + agent + "&limit=" + 3 * (i + 1);
            JsonNode manifest = awaitReady(id);
            byte[] expected = datasetBytes("conversations", query);
            assertThat(versionBytes(id)).isEqualTo(expected);
            assertThat(manifest.get("lines").asLong()).isEqualTo(3L * (i + 1));
            assertThat(manifest.get("sha256").asText()).isEqualTo(sha256(expected));
        }
        String metrics = given().get("/q/metrics").asString();
        assertThat(metrics).contains("training_store_version_build_seconds_count{outcome=\"ready\"}",
                "training_store_versions{status=\"ready\"}", "training_store_version_stored_bytes");
    }

    /** A connection of its own (not the pool's): closing it ends its session and frees its locks. */
    private static Connection ownConnection() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:5432/postgres", "postgres", "");
    }

    /** The protocol of a builder: the next id, locked on the builder's connection before its row exists. */
    private static long claim(Connection builder) throws Exception {
        long id;
        try (ResultSet next = builder.createStatement().executeQuery(
                "SELECT nextval(pg_get_serial_sequence('training_data.dataset_versions', 'version_id'))")) {
            next.next();
            id = next.getLong(1);
        }
        try (PreparedStatement lock = builder.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
            lock.setInt(1, VersionService.LOCK_CLASS);
            lock.setInt(2, (int) (id % Integer.MAX_VALUE));
            lock.execute();
        }
        return id;
    }

    private static void insertBuilding(Connection builder, long id) throws Exception {
        try (PreparedStatement insert = builder.prepareStatement("INSERT INTO training_data.dataset_versions"
                + " (version_id, name, dataset, parameters, status) VALUES (?, 'held', 'conversations', '{}', 'building')")) {
            insert.setLong(1, id);
            insert.execute();
        }
    }
}
