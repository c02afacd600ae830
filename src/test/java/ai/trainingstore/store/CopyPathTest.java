package ai.trainingstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.support.StoreTestSupport;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The COPY path of insert-once kinds (training-store.store.copy, on by default): it stores exactly
 * what the statement stores, falls back to {@code ON CONFLICT DO NOTHING} on an identity already
 * stored without storing anything twice, lets a poison record be isolated, and a write timeout
 * really stops a COPY that hangs.
 */
@QuarkusTest
class CopyPathTest extends StoreTestSupport {

    @Inject
    CopyWriter copyWriter;

    @Inject
    Pool pool;

    @Inject
    MeterRegistry registry;

    @Test
    void copyStoresEveryColumnExactlyAsTheStatementDoes() {
        for (RecordKind kind : List.of(RecordKind.EVENTS, RecordKind.MESSAGES)) {
            String tag = unique("same");
            List<StoreRecord> records = hostileRecords(kind, tag);
            copyWriter.copy(kind, sorted(records)).await().atMost(Duration.ofSeconds(30));
            List<Map<String, Object>> copied = rowsOf(kind, tag);
            query("DELETE FROM " + kind.qualifiedTable() + " WHERE " + kind.identity() + " LIKE ? RETURNING 1", tag + "%");

            pool.preparedQuery(WriteStatement.sql(kind)).execute(RecordWriter.bind(kind, sorted(records)))
                    .await().atMost(Duration.ofSeconds(30));
            List<Map<String, Object>> inserted = rowsOf(kind, tag);

            assertThat(copied).as("%s rows by COPY against by INSERT", kind.id()).hasSize(records.size())
                    .isEqualTo(inserted);
        }
    }

    /** Binary COPY sends each value in the binary form of its kind's column type: the table must have that type. */
    @Test
    void everyCopiedColumnHasInTheTableTheTypeItsBinaryFormIsFor() {
        for (RecordKind kind : List.of(RecordKind.EVENTS, RecordKind.MESSAGES)) {
            for (Column column : kind.writtenColumns()) {
                assertThat(query("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                        + " WHERE attrelid = ?::regclass AND attname = ?", kind.qualifiedTable(), column.name()))
                        .as("%s.%s", kind.table(), column.name())
                        .containsExactly(Map.of("type", column.type().sqlType().replace("timestamptz",
                                "timestamp with time zone")));
            }
        }
    }

    @Test
    void aBatchWithAnIdentityAlreadyStoredFallsBackAndStoresNothingTwice() {
        String agent = unique("redelivered");
        String storedId = unique("event");
        xadd(EVENTS, "event_id", storedId, "event_type", "first", "agent_id", agent, "payload", "{\"n\":1}");
        awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE event_id = ?", storedId);
        double fallbacksBefore = fallbacks();

        List<Map<String, String>> batch = new ArrayList<>();
        IntStream.range(0, 50).forEach(i -> batch.add(fields("event_id", agent + "-" + i, "event_type", "new",
                "agent_id", agent)));
        batch.add(25, fields("event_id", storedId, "event_type", "again", "agent_id", agent, "payload", "{\"n\":2}"));
        List<String> entries = xaddTogether(EVENTS, batch);
        awaitAcknowledged(EVENTS, entries);

        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent)).isEqualTo(51);
        assertThat(count("SELECT count(DISTINCT event_id) FROM training_data.training_events WHERE agent_id = ?", agent))
                .isEqualTo(51);
        assertThat(query("SELECT event_type, payload::text AS payload FROM training_data.training_events"
                + " WHERE event_id = ?", storedId)).as("the first record stored keeps its row")
                .containsExactly(Map.of("event_type", "first", "payload", "{\"n\": 1}"));
        assertThat(fallbacks()).as("batches written with ON CONFLICT DO NOTHING").isGreaterThan(fallbacksBefore);
    }

    @Test
    void aPoisonRecordInACopyBatchIsIsolatedAndTheOthersAreStored() {
        String agent = unique("poison-batch");
        List<Map<String, String>> batch = new ArrayList<>();
        IntStream.range(0, 30).forEach(i -> batch.add(fields("event_type", "good", "agent_id", agent, "n", "" + i)));
        // Valid for the parser, refused by PostgreSQL (54000: too long for its btree index).
        batch.add(15, fields("event_type", "poison", "agent_id", incompressible(9000)));
        List<String> entries = xaddTogether(EVENTS, batch);
        String poison = entries.get(15);

        awaitRows(30, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
        List<Map<String, String>> deadLetters = awaitDeadLetters(1, List.of(poison));
        assertThat(deadLetters.get(0)).containsEntry("error_code", "delivery_limit");
        assertThat(deadLetters.get(0).get("error")).contains("index row").contains("SQLSTATE 54000");
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE stream_entry_id = ?", poison)).isZero();
        assertThat(count("SELECT count(DISTINCT n) FROM (SELECT attributes->>'n' AS n FROM training_data.training_events"
                + " WHERE agent_id = ?) stored", agent)).isEqualTo(30);
        await().atMost(TIMEOUT).until(() -> pendingAmong(EVENTS, entries).isEmpty());
    }

    @Test
    void aWriteTimeoutStopsACopyThatWaitsAndRollsItBackWhole() throws Exception {
        String tag = unique("hung");
        List<StoreRecord> records = sorted(IntStream.range(0, 20).mapToObj(i -> StoreRecords.flat(RecordKind.EVENTS,
                "1700000000000-" + i, "event_id", tag + "-" + i, "event_type", "hung", "agent_id", tag)).toList());
        try (Connection blocker = DriverManager.getConnection(jdbcUrl(), "postgres", "")) {
            // An uncommitted row with one of the batch's identities: the COPY waits on it (unique check).
            blocker.setAutoCommit(false);
            try (PreparedStatement insert = blocker.prepareStatement("INSERT INTO training_data.training_events"
                    + " (event_id, event_type, agent_id, occurred_at, stream_entry_id) VALUES (?, 'blocker', ?, now(), '0-1')")) {
                insert.setString(1, tag + "-7");
                insert.setString(2, tag);
                insert.executeUpdate();
            }
            long started = System.nanoTime();
            assertThatThrownBy(() -> copyWriter.copy(RecordKind.EVENTS, records)
                    .ifNoItem().after(Duration.ofSeconds(1)).fail()
                    .await().atMost(Duration.ofSeconds(30)))
                    .isInstanceOf(io.smallrye.mutiny.TimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

            // Still blocked by the open transaction, yet the COPY is gone: cancelled, not left waiting.
            await("the COPY cancelled").atMost(Duration.ofSeconds(4)).until(() -> count(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY training_data.training_events%'"
                            + " AND state = 'active' AND wait_event_type = 'Lock'") == 0);
            blocker.rollback();
        }
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", tag))
                .as("nothing of the cancelled COPY stays").isZero();
        // The worker is free again: the same batch now goes through.
        assertThat(copyWriter.copy(RecordKind.EVENTS, records).await().atMost(Duration.ofSeconds(30))).isEqualTo(20);
    }

    @Test
    void afterItsConnectionsAreCutACopyGoesThroughAgainAtOnce() throws SQLException {
        String tag = unique("cut");
        List<StoreRecord> first = List.of(StoreRecords.flat(RecordKind.EVENTS, "1700000000000-1", "event_id", tag + "-1",
                "event_type", "x", "agent_id", tag));
        List<StoreRecord> second = List.of(StoreRecords.flat(RecordKind.EVENTS, "1700000000000-2", "event_id", tag + "-2",
                "event_type", "x", "agent_id", tag));
        copyWriter.copy(RecordKind.EVENTS, first).await().atMost(Duration.ofSeconds(30));
        // Like a PostgreSQL restart, for this database's pooled JDBC connections only (the pool keeps
        // them as idle), from a connection of its own so that every pooled one is dead.
        try (Connection own = DriverManager.getConnection(jdbcUrl(), "postgres", "");
             PreparedStatement cut = own.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     + " WHERE datname = current_database() AND application_name = 'PostgreSQL JDBC Driver'"
                     + " AND pid <> pg_backend_pid()")) {
            cut.executeQuery().close();
        }

        // As the consumer does: retry after the first back-off (retry-min, 200 ms) while it is an outage.
        List<Throwable> failures = new ArrayList<>();
        Integer stored = null;
        while (stored == null && failures.size() < 3) {
            try {
                stored = copyWriter.copy(RecordKind.EVENTS, second).await().atMost(Duration.ofSeconds(30));
            } catch (RuntimeException failure) {
                failures.add(unwrap(failure));
                assertThat(WriteFailures.isCausedByData(unwrap(failure))).as("a cut connection is an outage: %s", failure)
                        .isFalse();
                await().pollDelay(Duration.ofMillis(200)).until(() -> true);
            }
        }
        assertThat(stored).as("stored after %s", failures).isEqualTo(1);
        assertThat(failures).as("the pool drops its dead connections after the first failure, not one by one")
                .hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void copyFailuresAreClassifiedLikeTheStatementsOnes() {
        String tag = unique("classified");
        StoreRecord record = StoreRecords.flat(RecordKind.EVENTS, "1700000000000-1", "event_id", tag,
                "event_type", "x", "agent_id", tag);
        copyWriter.copy(RecordKind.EVENTS, List.of(record)).await().atMost(Duration.ofSeconds(30));
        Throwable duplicate = catchFailure(RecordKind.EVENTS, List.of(record));
        assertThat(CopyWriter.isDuplicateIdentity(duplicate)).isTrue();
        assertThat(WriteFailures.isCausedByData(duplicate)).isTrue();
        assertThat(WriteFailures.describe(duplicate)).contains("duplicate key").contains("SQLSTATE 23505");

        StoreRecord tooLong = StoreRecords.flat(RecordKind.EVENTS, "1700000000000-2", "event_id", tag + "-long",
                "event_type", "x", "agent_id", incompressible(9000));
        Throwable poison = catchFailure(RecordKind.EVENTS, List.of(tooLong));
        assertThat(CopyWriter.isDuplicateIdentity(poison)).isFalse();
        assertThat(WriteFailures.isCausedByData(poison)).as("54000 blames the record").isTrue();
        assertThat(WriteFailures.isCausedByData(new SQLException("connection refused", "08001"))).isFalse();
        assertThat(WriteFailures.isCausedByData(new SQLException("pool exhausted"))).isFalse();
    }

    private Throwable catchFailure(RecordKind kind, List<StoreRecord> records) {
        try {
            copyWriter.copy(kind, records).await().atMost(Duration.ofSeconds(30));
        } catch (RuntimeException failure) {
            return unwrap(failure);
        }
        throw new AssertionError("the COPY was expected to fail");
    }

    /** Mutiny rethrows a checked failure wrapped in a CompletionException. */
    private static Throwable unwrap(RuntimeException failure) {
        return failure.getCause() instanceof SQLException ? failure.getCause() : failure;
    }

    private double fallbacks() {
        return registry.get("training_store_copy_fallbacks").tag("kind", "events").counter().count();
    }

    /** Every column of the rows but ingested_at (set at commit), JSON compared as stored (jsonb text). */
    private List<Map<String, Object>> rowsOf(RecordKind kind, String tag) {
        String columns = String.join(", ", kind.writtenColumns().stream().map(column -> column.type().isJson()
                ? column.name() + "::text AS " + column.name() : column.name()).toList());
        return query("SELECT " + columns + " FROM " + kind.qualifiedTable() + " WHERE " + kind.identity()
                + " LIKE ? ORDER BY " + kind.identity(), tag + "%");
    }

    private static List<StoreRecord> sorted(List<StoreRecord> records) {
        List<StoreRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparing(StoreRecord::identity));
        return sorted;
    }

    /** Values that a careless encoding breaks: escapes, Unicode, NULLs, microseconds, big numbers, nested JSON. */
    private static List<StoreRecord> hostileRecords(RecordKind kind, String tag) {
        String text = "tab\there, newline\nand \\N back\\slash \"quoted\" \r\n, emoji \uD83D\uDE80, CJK 漢字, RTL שלום, e\u0301";
        String json = "{\"text\":\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                .replace("\r", "\\r").replace("\t", "\\t") + "\",\"big\":123456789012345678901234567890.5,"
                + "\"nested\":{\"a\":[1,null,true,{\"b\":\"\\u00e9\"}]},\"null\":null}";
        List<StoreRecord> records = new ArrayList<>();
        if (kind == RecordKind.EVENTS) {
            records.add(StoreRecords.flat(kind, "1700000000000-1", "event_id", tag + "-1", "event_type", text,
                    "agent_id", "a", "payload", json, "occurred_at", "2026-03-04T05:06:07.123456Z", "extra", text));
            records.add(StoreRecords.flat(kind, "1700000000000-2", "event_id", tag + "-2", "event_type", "t",
                    "agent_id", "a", "occurred_at", "1970-01-01T00:00:00.000001Z"));
            records.add(StoreRecords.flat(kind, "1700000000000-3", "event_id", tag + "-3", "event_type", "t",
                    "agent_id", "a", "task_id", "", "payload", "[]", "occurred_at", "1700000000123"));
            records.add(StoreRecords.document(kind, "1700000000000-4", "{\"event_id\":\"" + tag + "-4\","
                    + "\"event_type\":\"doc\",\"agent_id\":\"a\",\"payload\":\"just text\",\"session_id\":null,"
                    + "\"data_extra\":{\"k\":[1.5e300,-0.0]},\"flag\":false}"));
        } else {
            String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"search\",\"description\":\"" + "Finds \\\"x\\\" 漢字"
                    + "\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}}}]";
            records.add(StoreRecords.flat(kind, "1700000000000-1", "message_id", tag + "-1", "conversation_id", "c",
                    "role", "system", "content", text, "tools", tools, "seq", "0", "occurred_at", "2026-03-04T05:06:07.000001Z"));
            records.add(StoreRecords.flat(kind, "1700000000000-2", "message_id", tag + "-2", "conversation_id", "c",
                    "role", "assistant", "content", "", "seq", "9007199254740993", "tool_calls",
                    "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"search\",\"arguments\":\"{\\\"q\\\":\\\"x\\\"}\"}}]"));
            records.add(StoreRecords.flat(kind, "1700000000000-3", "message_id", tag + "-3", "conversation_id", "c",
                    "role", "tool", "content", json, "tool_call_id", "call_1", "name", "search", "seq", "-2"));
        }
        return records;
    }

    private static String jdbcUrl() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.datasource.jdbc.url", String.class);
    }

}
