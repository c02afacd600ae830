package ai.trainingstore.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Retention batches bounded by bytes, and a failing batch that leaves nothing behind (issue 20,
 * finding 1). As in {@link RetentionTest}, the policy is 50 years and "now" fixed, so only rows
 * from 1970 can go; this class's rows carry their own prefix.
 */
@QuarkusTest
@TestProfile(RetentionTest.FiftyYears.class)
class RetentionBoundsTest extends StoreTestSupport {

    /** The application's archive directory (this class shares {@link RetentionTest}'s profile). */
    static final Path ARCHIVE = RetentionTest.ARCHIVE;
    static final Instant NOW = RetentionTest.NOW;
    static final Instant CUTOFF = RetentionTest.CUTOFF;
    static final int BATCH_BYTES = 262_144;

    @Inject
    RetentionJob job;

    @Test
    void largeRowsAreArchivedInBatchesBoundedByBytesAndALargerRowGoesAlone() throws IOException {
        String prefix = unique("ret-bytes");
        List<String> large = new ArrayList<>();
        // 100 KB each: two fit in the 256 KiB budget, three do not.
        for (int i = 0; i < 6; i++) {
            large.add(publishMessage(prefix + "-large-" + i, incompressible(100_000), CUTOFF.minusSeconds(100 - i)));
        }
        // Over the budget by itself, between the others.
        String huge = publishMessage(prefix + "-huge", incompressible(600_000), CUTOFF.minusSeconds(97).plusMillis(500));
        awaitRows(7, "SELECT 1 FROM training_data.training_messages WHERE message_id LIKE ?", prefix + "%");

        RetentionReport report = job.run(NOW).await().atMost(RetentionTest.TIMEOUT);

        assertThat(count("SELECT count(*) FROM training_data.training_messages WHERE message_id LIKE ?", prefix + "%"))
                .isZero();
        RetentionReport.Kind messages = report.kinds().get("messages");
        assertThat(messages.archived()).isEqualTo(messages.deleted()).isGreaterThanOrEqualTo(7);
        List<String> seen = new ArrayList<>();
        for (String file : messages.files()) {
            List<String> ours = RetentionTest.gunzip(ARCHIVE.resolve(file)).lines()
                    .map(line -> json(line).get("message_id").asText())
                    .filter(id -> id.startsWith(prefix)).toList();
            seen.addAll(ours);
            assertThat(ours).as("rows of %s", file).hasSizeLessThanOrEqualTo(2);
            if (ours.contains(huge)) {
                assertThat(ours).as("the row over the budget goes alone").containsExactly(huge);
            }
        }
        assertThat(seen).as("every row archived once").containsExactlyInAnyOrderElementsOf(
                Stream.concat(large.stream(), Stream.of(huge)).toList());
    }

    @Test
    void aBatchThatFailsLeavesNoLockNoRowLockAndNoTransaction() throws IOException, SQLException {
        String prefix = unique("ret-fail");
        for (int i = 0; i < 3; i++) {
            publishEvent(prefix + "-" + i, CUTOFF.minusSeconds(10 + i));
        }
        awaitRows(3, "SELECT 1 FROM training_data.training_events WHERE event_id LIKE ?", prefix + "%");
        // A file where the kind's archive directory must go: the archive cannot be written (even as root).
        deleteTree(ARCHIVE.resolve("events"));
        Files.createDirectories(ARCHIVE);
        Path blocker = Files.writeString(ARCHIVE.resolve("events"), "not a directory");
        try {
            assertThatThrownBy(() -> job.run(NOW).await().atMost(RetentionTest.TIMEOUT))
                    .hasMessageContaining("Could not write the events archive");

            assertThat(count("SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?", prefix + "%"))
                    .as("rows kept").isEqualTo(3);
            Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = ?"
                        + " AND objid::bigint = ?", (long) RetentionJob.LOCK_CLASS, (long) RecordKind.EVENTS.ordinal()))
                        .as("the kind's retention lock").isZero();
                assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"
                        + " AND query LIKE '%training_events%FOR UPDATE%'")).as("a retention transaction left open").isZero();
            });
            // No row lock left either: taking them without waiting succeeds.
            try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                statement.execute("SET LOCAL lock_timeout = '1s'");
                assertThat(statement.executeQuery("SELECT event_id FROM training_data.training_events WHERE event_id LIKE '"
                        + prefix + "%' FOR UPDATE NOWAIT").next()).isTrue();
                connection.rollback();
            }
        } finally {
            Files.delete(blocker);
        }

        // The cause gone, the next run archives and deletes them.
        RetentionReport report = job.run(NOW).await().atMost(RetentionTest.TIMEOUT);
        assertThat(report.kinds().get("events").deleted()).isGreaterThanOrEqualTo(3);
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE event_id LIKE ?", prefix + "%")).isZero();
    }

    @AfterAll
    static void removeTheArchive() throws IOException {
        deleteTree(ARCHIVE);
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private String publishMessage(String id, String content, Instant occurredAt) {
        Map<String, String> entry = Kind.MESSAGE.minimalEntry(id);
        entry.put("content", content);
        entry.put("occurred_at", RowEncoder.instant(occurredAt));
        streams().xadd(Kind.MESSAGE.stream(), entry);
        return id;
    }

    private void publishEvent(String id, Instant occurredAt) {
        Map<String, String> entry = Kind.EVENT.minimalEntry(id);
        entry.put("occurred_at", RowEncoder.instant(occurredAt));
        streams().xadd(Kind.EVENT.stream(), entry);
    }
}
