package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Semantic search across replicas: a replica killed (SIGKILL) in the middle of embedding leaves its
 * claimed messages queued (its transaction never commits); two replicas started after it finish the
 * work between them, and every message ends with exactly one vector, embedded once.
 */
class SearchReplicasIT {

    static final int MESSAGES = 300;

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        scenario.close();
    }

    private ServiceProcess replica(String name) {
        return new ServiceProcess(scenario, name).with("TRAINING_STORE_SEARCH_ENABLED", "true")
                .with("TRAINING_STORE_SEARCH_BATCH_SIZE", "8").with("TRAINING_STORE_SEARCH_POLL_INTERVAL", "200ms");
    }

    @Test
    void aKilledReplicasClaimsReturnAndTwoReplicasShareTheRestEmbeddingEachMessageOnce() throws Exception {
        String prefix = scenario.prefix();
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            requests.add(Request.cmd(Command.XADD).arg(scenario.stream("messages")).arg("*")
                    .arg("message_id").arg(prefix + "-m-" + i).arg("conversation_id").arg(prefix + "-c-" + i / 2)
                    .arg("role").arg(i % 2 == 0 ? "user" : "assistant").arg("agent_id").arg(prefix)
                    .arg("content").arg("Message " + i + " about topic " + (i % 17) + ": how do I fix build number " + i + "?"));
        }
        Map<String, Long> byReplica;
        try (ServiceProcess first = replica(prefix + "-a").launch()) {
            awaitLive(first);
            scenario.publish(requests);
            await("replica a embeds some").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100))
                    .until(() -> vectors() >= 24);
            first.kill(); // mid-embedding: its open claim dies with its connection
        }
        long embeddedBeforeKill = vectors();
        assertThat(embeddedBeforeKill).isLessThan(MESSAGES);
        try (ServiceProcess second = replica(prefix + "-b").launch(); ServiceProcess third = replica(prefix + "-c").launch()) {
            awaitLive(second);
            awaitLive(third);
            await("every message embedded").atMost(Duration.ofSeconds(600)).pollInterval(Duration.ofMillis(500))
                    .until(() -> vectors() == MESSAGES);
            // What each replica embedded (any message of the database: the backfill queues them all) is what it
            // stored: none embedded a message twice, nor one another replica had embedded. A batch's vectors are
            // visible at its commit and counted just after, and the replicas go on with the backlog, so the two
            // are compared until they agree (a double embedding would keep the count above the rows for good).
            for (ServiceProcess replica : List.of(second, third)) {
                String name = replica.consumerName();
                await("replica " + name + " counts what it stored").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> replica.metric("training_store_search_embedded_total") == (double) embeddedBy(name));
            }
            byReplica = vectorsByReplica();
            System.out.printf("search replicas: %d messages; embedded by a before SIGKILL: %d; by b: %d; by c: %d%n",
                    MESSAGES, byReplica.getOrDefault(prefix + "-a", 0L), byReplica.getOrDefault(prefix + "-b", 0L),
                    byReplica.getOrDefault(prefix + "-c", 0L));
            assertThat(byReplica.getOrDefault(prefix + "-b", 0L)).as("replica b took part").isPositive();
            assertThat(byReplica.getOrDefault(prefix + "-c", 0L)).as("replica c took part").isPositive();
        }
        assertThat(byReplica.getOrDefault(prefix + "-a", 0L)).isEqualTo(embeddedBeforeKill);
        assertThat(byReplica.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(MESSAGES);
        assertThat(count("SELECT count(DISTINCT message_id) FROM training_data.search_vectors WHERE message_id LIKE ?"))
                .isEqualTo(MESSAGES);
        assertThat(count("SELECT count(*) FROM training_data.search_queue WHERE message_id LIKE ?")).isZero();
    }

    /** The model and a busy machine (two JVMs starting at once): more time than ServiceProcess.start() gives. */
    private static void awaitLive(ServiceProcess replica) {
        await("replica " + replica.consumerName() + " live").atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(500))
                .until(() -> replica.httpStatus("/q/health/live") == 200);
    }

    private long vectors() throws SQLException {
        return count("SELECT count(*) FROM training_data.search_vectors WHERE message_id LIKE ?");
    }

    private long count(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, scenario.prefix() + "-m-%");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private long embeddedBy(String replica) throws SQLException {
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT count(*) FROM training_data.search_vectors WHERE embedded_by = ?")) {
            statement.setString(1, replica);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private Map<String, Long> vectorsByReplica() throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection connection = DriverManager.getConnection(FaultScenario.JDBC_URL, "postgres", "");
             PreparedStatement statement = connection.prepareStatement("SELECT embedded_by, count(*)"
                     + " FROM training_data.search_vectors WHERE message_id LIKE ? GROUP BY embedded_by")) {
            statement.setString(1, scenario.prefix() + "-m-%");
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return counts;
    }
}
