package ai.trainingstore.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.core.Vertx;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Vectors that commit out of id order while an index starts (two workers or replicas embed at once):
 * an index whose first page shows a later id while an earlier one is still uncommitted gets the
 * earlier vector once it commits. The vectors are written here with SQL (for system messages, which
 * the store never embeds itself), and the tailer is a second one over an index of its own, so the
 * running application's index is not touched.
 */
@QuarkusTest
@TestProfile(SearchProfile.class)
class IndexTailerGapTest extends SearchTestSupport {

    @Inject
    VectorTable table;
    @Inject
    Vertx vertx;

    @Test
    void aVectorCommittedAfterALaterOneWhileTheIndexStartsIsIndexed() throws Exception {
        String agent = unique("tailer-gap");
        var config = ConfigProvider.getConfig();
        String url = config.getValue("quarkus.datasource.jdbc.url", String.class);
        String user = config.getValue("quarkus.datasource.username", String.class);
        String password = config.getOptionalValue("quarkus.datasource.password", String.class).orElse("");
        Path dir = Files.createTempDirectory("tailer-gap-");
        ExecutorService thread = Executors.newSingleThreadExecutor();
        LuceneVectorIndex index = new LuceneVectorIndex(dir, 0);
        IndexTailer tailer = new IndexTailer(table, index, vertx, thread, new SearchMetrics(new SimpleMeterRegistry()),
                Duration.ofMillis(100), IngestYield.NEVER);
        try (Connection early = DriverManager.getConnection(url, user, password);
             Connection late = DriverManager.getConnection(url, user, password)) {
            try (Statement statement = late.createStatement()) {
                statement.executeUpdate("INSERT INTO training_data.training_messages (message_id, conversation_id, role,"
                        + " content, agent_id, seq, attributes, occurred_at, stream_entry_id) VALUES"
                        + " ('" + agent + "-1', '" + agent + "', 'system', 'one', '" + agent + "', 1, '{}', now(), '0-1'),"
                        + " ('" + agent + "-2', '" + agent + "', 'system', 'two', '" + agent + "', 2, '{}', now(), '0-2')");
            }
            early.setAutoCommit(false);
            insertVector(early, agent + "-1", agent); // takes the lower id, commits last
            insertVector(late, agent + "-2", agent);  // takes the higher id, committed at once

            tailer.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> tailer.caughtUp() && indexed(index, agent).contains(agent + "-2"));
            assertThat(indexed(index, agent)).containsExactly(agent + "-2");

            early.commit();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(indexed(index, agent)).containsExactlyInAnyOrder(agent + "-1", agent + "-2"));
        } finally {
            // Stopped, then its thread let finish the page it may be adding: an interrupt in the middle
            // of a write would leave the index unable to close.
            tailer.stop();
            thread.shutdown();
            thread.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
            index.close();
            try (Connection cleanup = DriverManager.getConnection(url, user, password);
                 Statement statement = cleanup.createStatement()) {
                statement.executeUpdate("DELETE FROM training_data.training_messages WHERE conversation_id = '" + agent + "'");
            }
        }
    }

    private static void insertVector(Connection connection, String messageId, String agent) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO training_data.search_vectors"
                + " (message_id, model, conversation_id, agent_id, occurred_at, vector, embedded_by)"
                + " VALUES (?, ?, ?, ?, now(), ?, 'test')")) {
            statement.setString(1, messageId);
            statement.setString(2, Embedder.MODEL);
            statement.setString(3, agent);
            statement.setString(4, agent);
            statement.setBytes(5, Vectors.toBytes(unit(messageId.hashCode())));
            statement.executeUpdate();
        }
    }

    private static float[] unit(int seed) {
        float[] vector = new float[Embedder.DIMENSIONS];
        java.util.Random random = new java.util.Random(seed);
        double norm = 0;
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) random.nextGaussian();
            norm += vector[i] * vector[i];
        }
        for (int i = 0; i < vector.length; i++) {
            vector[i] /= (float) Math.sqrt(norm);
        }
        return vector;
    }

    /** The message ids of this agent in the index. */
    private static List<String> indexed(LuceneVectorIndex index, String agent) {
        return index.nearest(unit(1), 10, new VectorIndex.Filter(Set.of(agent), Set.of(), Optional.<Instant>empty(),
                Optional.<Instant>empty(), Optional.empty())).stream().map(VectorIndex.Hit::messageId).toList();
    }
}
