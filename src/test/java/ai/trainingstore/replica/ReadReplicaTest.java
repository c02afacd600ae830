package ai.trainingstore.replica;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.store.ReadPool;
import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Reads from a real streaming replica (bin/local-replica): exports and datasets served by it equal
 * the primary's; replay paused shows lag and moves reads to the primary and back; a stopped replica
 * moves them to the primary, and an export cut by the stop resumes there with no gap and no
 * duplicate; versions built on either side are byte for byte the same. The replica is always
 * started and replay always resumed again, whatever a test does.
 */
@QuarkusTest
@TestProfile(ReplicaProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadReplicaTest extends StoreTestSupport {

    private static final String TOKEN = "test-export-token";
    /** Enough bytes that a client reading nothing holds the export's cursor open (socket buffers fill). */
    private static final int EVENTS_COUNT = 3000;
    private static final int PAYLOAD_CHARS = 4000;
    private static final int CONVERSATIONS = 12;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static String agent;

    @TestHTTPResource("/")
    URL base;

    /** Events and conversations of one agent, published once, stored on the primary and replayed on the replica. */
    private synchronized String agent() throws SQLException {
        if (agent != null) {
            return agent;
        }
        String newAgent = unique("replica-agent");
        Instant start = Instant.parse("2026-06-02T10:00:00Z");
        List<Map<String, String>> events = new ArrayList<>();
        for (int i = 0; i < EVENTS_COUNT; i++) {
            events.add(fields("event_id", newAgent + "-" + i, "event_type", "replica-test", "agent_id", newAgent,
                    "occurred_at", start.plusMillis(i / 3).toString(),
                    "payload", "{\"i\": " + i + ", \"text\": \"" + "r".repeat(PAYLOAD_CHARS) + "\"}"));
        }
        for (int from = 0; from < events.size(); from += 500) {
            xaddTogether(EVENTS, events.subList(from, Math.min(events.size(), from + 500)));
        }
        List<Map<String, String>> messages = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            String conversation = newAgent + "-conversation-" + c;
            messages.add(fields("message_id", conversation + "-1", "conversation_id", conversation, "role", "user",
                    "content", "question " + c, "agent_id", newAgent, "seq", "1",
                    "occurred_at", start.plusSeconds(c).toString()));
            messages.add(fields("message_id", conversation + "-2", "conversation_id", conversation, "role",
                    "assistant", "content", "answer " + c, "agent_id", newAgent, "seq", "2",
                    "occurred_at", start.plusSeconds(c).plusMillis(1).toString()));
        }
        xaddTogether(MESSAGES, messages);
        await().atMost(TIMEOUT).until(() -> count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?",
                newAgent) == EVENTS_COUNT && count("SELECT count(*) FROM training_data.training_messages"
                + " WHERE agent_id = ?", newAgent) == 2L * CONVERSATIONS);
        await().atMost(WAIT).until(() -> onReplica("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?",
                newAgent) == EVENTS_COUNT && onReplica("SELECT count(*) FROM training_data.training_messages"
                + " WHERE agent_id = ?", newAgent) == 2L * CONVERSATIONS);
        agent = newAgent;
        return agent;
    }

    private static String exportedFromReplica;
    private static String datasetFromReplica;

    @Test
    @Order(1)
    void exportsAndDatasetsAreServedByTheReplicaAndHoldThePrimarysRows() throws Exception {
        String agent = agent();
        awaitReads("replica");

        // A client that reads one line and stops: the export's cursor stays open on the replica.
        HttpResponse<InputStream> slow = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(base + "api/v1/export/events?agent_id=" + encode(agent)))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = slow.body()) {
            assertThat(slow.statusCode()).isEqualTo(200);
            assertThat(new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)).readLine()).contains(agent);
            await().atMost(WAIT).until(() -> onReplica("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?"
                    + " AND query LIKE '%training_events%' AND state <> 'idle'", ReadPool.APPLICATION_NAME) > 0);
        }

        exportedFromReplica = export(agent);
        List<String> ids = lines(exportedFromReplica).stream().map(line -> line.get("event_id").asText()).toList();
        assertThat(ids).hasSize(EVENTS_COUNT).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(query("SELECT event_id FROM training_data.training_events"
                        + " WHERE agent_id = ?", agent).stream().map(row -> (String) row.get("event_id")).toList());
        datasetFromReplica = dataset(agent);
        assertThat(lines(datasetFromReplica)).hasSize(CONVERSATIONS);

        JsonPath stats = stats();
        assertThat(stats.getLong("read_replica.lag_bytes")).isGreaterThanOrEqualTo(0);
        assertThat(stats.getString("read_replica.replay_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(stats.getString("read_replica.reason")).isNull();
    }

    @Test
    @Order(2)
    void pausedReplayShowsLagAndMovesReadsToThePrimaryUntilItResumes() throws Exception {
        String agent = agent();
        awaitReads("replica");
        String later = unique("replica-later");
        try {
            ReplicaServices.pauseReplay();
            xaddTogether(EVENTS, List.of(fields("event_id", later, "event_type", "replica-test", "agent_id", later)));
            awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE event_id = ?", later);

            await().atMost(WAIT).until(() -> stats().getLong("read_replica.lag_bytes") > 0
                    && stats().getDouble("read_replica.lag_seconds") > 0);
            awaitReads("primary");
            assertThat(stats().getString("read_replica.reason")).contains("max-lag");
            assertThat(metric("training_store_read_fallback")).isEqualTo(1.0);
            assertThat(metric("training_store_read_fallbacks_total")).isGreaterThanOrEqualTo(1.0);
            given().get("/q/health/ready").then().statusCode(200);

            // Served by the primary: the row the paused replica lacks is there, the rest as the replica served it.
            assertThat(lines(export(later))).hasSize(1);
            assertThat(export(agent)).isEqualTo(exportedFromReplica);
            assertThat(dataset(agent)).isEqualTo(datasetFromReplica);
        } finally {
            ReplicaServices.resumeReplay();
        }
        awaitReads("replica");
        assertThat(metric("training_store_read_fallback")).isEqualTo(0.0);
        assertThat(lines(export(later))).hasSize(1);
    }

    @Test
    @Order(3)
    void anExportCutByAStoppedReplicaResumesOnThePrimaryAndAgainOnTheReplicaWithNoGapAndNoDuplicate()
            throws Exception {
        String agent = agent();
        awaitReads("replica");
        List<String> whole = exportedFromReplica.lines().toList();
        List<String> received = new ArrayList<>();
        try {
            HttpResponse<InputStream> cut = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(base + "api/v1/export/events?agent_id=" + encode(agent)))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader body = new BufferedReader(new InputStreamReader(cut.body(), StandardCharsets.UTF_8))) {
                for (int i = 0; i < 100; i++) {
                    received.add(body.readLine());
                }
                ReplicaServices.stopReplica();
                // Whatever was sent before the stop; a line cut in the middle is not kept.
                try {
                    for (String line = body.readLine(); line != null; line = body.readLine()) {
                        received.add(line);
                    }
                } catch (java.io.IOException expected) {
                    // the export was cut: the client resumes after its last complete line
                }
            }
            while (!received.isEmpty() && !whole.contains(received.get(received.size() - 1))) {
                received.remove(received.size() - 1);
            }
            assertThat(received).hasSizeLessThan(whole.size());
            String after = cursor(received.get(received.size() - 1));

            List<String> fromPrimary = export(agent, after).lines().toList();
            assertThat(concat(received, fromPrimary)).isEqualTo(whole);
            assertThat(stats().getString("read_replica.reads")).isEqualTo("primary");
            assertThat(stats().getBoolean("read_replica.up")).isFalse();
            given().get("/q/health/ready").then().statusCode(200);
        } finally {
            ReplicaServices.startReplica();
        }
        awaitReads("replica");
        String after = cursor(received.get(received.size() - 1));
        assertThat(concat(received, export(agent, after).lines().toList())).isEqualTo(whole);
    }

    @Test
    @Order(4)
    void aVersionBuiltOnTheReplicaEqualsOneBuiltOnThePrimary() throws Exception {
        String agent = agent();
        awaitReads("replica");
        JsonPath onReplica = buildVersion(agent);
        assertThat(onReplica.getBoolean("source.replica")).isTrue();
        assertThat(onReplica.getString("source.replay_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(onReplica.getString("source.replay_at")).isNotNull();

        JsonPath onPrimary;
        try {
            ReplicaServices.pauseReplay();
            String later = unique("replica-version-later");
            xaddTogether(EVENTS, List.of(fields("event_id", later, "event_type", "replica-test", "agent_id", later)));
            awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE event_id = ?", later);
            awaitReads("primary");
            onPrimary = buildVersion(agent);
        } finally {
            ReplicaServices.resumeReplay();
        }
        assertThat(onPrimary.getMap("source")).isEqualTo(Map.of("replica", false));
        assertThat(onPrimary.getLong("lines")).isEqualTo(CONVERSATIONS);
        assertThat(onPrimary.getString("sha256")).isEqualTo(onReplica.getString("sha256"));
        assertThat(onPrimary.getLong("bytes")).isEqualTo(onReplica.getLong("bytes"));
        awaitReads("replica");
    }

    // ---- Helpers ----

    private JsonPath buildVersion(String agent) {
        String id = given().auth().oauth2(TOKEN).contentType("application/json")
                .body("{\"name\": \"" + unique("replica") + "\", \"dataset\": \"conversations\","
                        + " \"parameters\": {\"agent_id\": [\"" + agent + "\"]}}")
                .post("/api/v1/datasets/versions").then().statusCode(202).extract().path("id");
        await().atMost(WAIT).until(() -> !"building".equals(manifest(id).getString("status")));
        JsonPath manifest = manifest(id);
        assertThat(manifest.getString("status")).as(manifest.prettify()).isEqualTo("ready");
        return manifest;
    }

    private static JsonPath manifest(String id) {
        return given().auth().oauth2(TOKEN).get("/api/v1/datasets/versions/" + id).then().statusCode(200)
                .extract().jsonPath();
    }

    private static String export(String agent) {
        return export(agent, null);
    }

    private static String export(String agent, String after) {
        var request = given().auth().oauth2(TOKEN).queryParam("agent_id", agent);
        if (after != null) {
            request = request.queryParam("after", after);
        }
        return request.get("/api/v1/export/events").then().statusCode(200).extract().asString();
    }

    private static String dataset(String agent) {
        return given().auth().oauth2(TOKEN).queryParam("agent_id", agent).queryParam("metadata", "true")
                .get("/api/v1/datasets/conversations").then().statusCode(200).extract().asString();
    }

    static JsonPath stats() {
        return given().auth().oauth2(TOKEN).get("/api/v1/stats").then().statusCode(200).extract().jsonPath();
    }

    static void awaitReads(String target) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> target.equals(stats().getString("read_replica.reads")));
    }

    private static double metric(String name) {
        return given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not in /q/metrics"));
    }

    /** The resume cursor of an exported line: {@code <occurred_at>|<event_id>}. */
    private static String cursor(String line) {
        JsonNode row = json(line);
        return row.get("occurred_at").asText() + "|" + row.get("event_id").asText();
    }

    private static List<JsonNode> lines(String body) {
        return body.lines().filter(line -> !line.isBlank()).map(StoreTestSupport::json).toList();
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static long onReplica(String sql, Object... parameters) throws SQLException {
        try (Connection connection = ReplicaServices.replica(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
