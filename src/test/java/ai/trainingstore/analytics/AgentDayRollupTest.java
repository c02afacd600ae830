package ai.trainingstore.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import ai.trainingstore.support.ScratchDatabase;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The rollup behind {@code agent_daily} (migration V7) gives exactly what counting the tables
 * gives (V4's plain query, kept below as the reference), whatever writes the tables: rows stored
 * before the migration, batches with duplicates, COPY, deletes, updates that move a row to another
 * day or agent, TRUNCATE, and folding while batches are written. Each test runs in a scratch
 * database of its own on the suite's PostgreSQL server, dropped at the end whatever happens.
 */
class AgentDayRollupTest {

    /** agent_daily as V4 computed it, straight from the tables: the answer the rollup must give. */
    private static final String PLAIN_AGENT_DAILY = """
            SELECT day, agent_id, sum(events)::bigint AS events, sum(tasks)::bigint AS tasks,
                   coalesce(jsonb_object_agg(status, tasks) FILTER (WHERE status IS NOT NULL), '{}'::jsonb) AS tasks_by_status,
                   sum(tool_executions)::bigint AS tool_executions, sum(tool_errors)::bigint AS tool_errors,
                   sum(messages)::bigint AS messages
            FROM (
                SELECT training_data.utc_day(e.occurred_at) AS day, e.agent_id, count(*) AS events, 0::bigint AS tasks,
                       NULL::text AS status, 0::bigint AS tool_executions, 0::bigint AS tool_errors, 0::bigint AS messages
                  FROM training_data.training_events e GROUP BY 1, 2
                UNION ALL
                SELECT training_data.utc_day(t.occurred_at), t.agent_id, 0, count(*), t.status, 0, 0, 0
                  FROM training_data.training_tasks t GROUP BY 1, 2, t.status
                UNION ALL
                SELECT training_data.utc_day(x.occurred_at), x.agent_id, 0, 0, NULL, count(*),
                       count(*) FILTER (WHERE training_data.is_tool_error(x.error, x.status)), 0
                  FROM training_data.training_tool_executions x GROUP BY 1, 2
                UNION ALL
                SELECT training_data.utc_day(m.occurred_at), m.agent_id, 0, 0, NULL, 0, 0, count(*)
                  FROM training_data.training_messages m WHERE m.agent_id IS NOT NULL GROUP BY 1, 2
            ) AS parts
            GROUP BY day, agent_id""";
    private static final String ROLLUP_AGENT_DAILY =
            "SELECT * FROM training_data.agent_daily_between('-infinity', 'infinity', NULL)";

    private final ScratchDatabase database = new ScratchDatabase("rollup_test");

    @BeforeEach
    void createScratchDatabase() throws SQLException {
        database.create();
    }

    @AfterEach
    void dropScratchDatabase() throws SQLException {
        database.drop();
    }

    @Test
    void rowsStoredBeforeTheMigrationAreCounted() throws SQLException {
        flyway("6").migrate();
        try (Connection db = scratch()) {
            insertEvents(db, "before", 0, 3_000);
            insertMessages(db, "before", 0, 2_000);
            insertMergedKinds(db);
        }
        flyway(null).migrate();
        try (Connection db = scratch()) {
            assertRollupEqualsPlainQuery(db, "after the migration");
            assertThat(count(db, "SELECT count(*) FROM (" + ROLLUP_AGENT_DAILY + ") d WHERE events > 0"))
                    .as("days x agents with events").isGreaterThan(10);
        }
    }

    @Test
    void everyWayOfWritingKeepsTheRollupExact() throws Exception {
        flyway(null).migrate();
        try (Connection db = scratch()) {
            insertMergedKinds(db);
            insertEvents(db, "a", 0, 2_000);
            insertMessages(db, "a", 0, 1_500);
            assertRollupEqualsPlainQuery(db, "after inserts");

            insertEvents(db, "a", 1_000, 3_000); // half of them stored already: ON CONFLICT DO NOTHING
            assertRollupEqualsPlainQuery(db, "after a batch half made of duplicates");

            copyEvents(db, "copied", 500);
            assertRollupEqualsPlainQuery(db, "after COPY");

            execute(db, "DELETE FROM training_data.training_events WHERE event_id < 'a-00000700'");
            execute(db, "DELETE FROM training_data.training_messages WHERE message_id LIKE 'a-00000%'");
            assertRollupEqualsPlainQuery(db, "after deletes");

            execute(db, "UPDATE training_data.training_events SET occurred_at = occurred_at - interval '3 days',"
                    + " agent_id = 'agent-moved' WHERE event_id LIKE 'a-00012%'");
            execute(db, "UPDATE training_data.training_messages SET agent_id = NULL WHERE message_id LIKE 'a-00011%'");
            assertRollupEqualsPlainQuery(db, "after updates that move rows to other days and agents");

            long folded = count(db, "SELECT training_data.compact_agent_day_counts()");
            assertThat(folded).as("rows folded away").isPositive();
            assertRollupEqualsPlainQuery(db, "after folding");
            assertThat(count(db, "SELECT count(*) FROM training_data.agent_day_counts"))
                    .as("one row per day, agent and kind after folding")
                    .isEqualTo(count(db, "SELECT count(*) FROM (SELECT DISTINCT day, agent_id, kind"
                            + " FROM training_data.agent_day_counts) d"));
            assertThat(count(db, "SELECT count(*) FROM training_data.agent_day_counts WHERE records <= 0"))
                    .as("no zero or negative rows after folding").isZero();

            execute(db, "TRUNCATE training_data.training_events");
            assertRollupEqualsPlainQuery(db, "after TRUNCATE of the events");
            assertThat(count(db, "SELECT sum(messages) FROM (" + ROLLUP_AGENT_DAILY + ") d"))
                    .as("messages still counted").isPositive();
        }
    }

    @Test
    void foldingWhileBatchesAreWrittenLosesNoCount() throws Exception {
        flyway(null).migrate();
        ExecutorService writers = Executors.newFixedThreadPool(3);
        AtomicBoolean writing = new AtomicBoolean(true);
        try {
            List<Future<?>> batches = new ArrayList<>();
            for (int writer = 0; writer < 2; writer++) {
                String prefix = "w" + writer;
                batches.add(writers.submit(() -> {
                    try (Connection db = scratch()) {
                        for (int batch = 0; batch < 40; batch++) {
                            insertEvents(db, prefix, batch * 250, batch * 250 + 250);
                            insertMessages(db, prefix, batch * 100, batch * 100 + 100);
                        }
                    }
                    return null;
                }));
            }
            Future<Long> folding = writers.submit(() -> {
                long folds = 0;
                try (Connection db = scratch()) {
                    while (writing.get()) {
                        count(db, "SELECT training_data.compact_agent_day_counts()");
                        folds++;
                    }
                }
                return folds;
            });
            for (Future<?> batch : batches) {
                batch.get();
            }
            writing.set(false);
            assertThat(folding.get()).as("folds while writing").isPositive();
        } finally {
            writing.set(false);
            writers.shutdownNow();
        }
        try (Connection db = scratch()) {
            assertThat(count(db, "SELECT sum(events) FROM (" + ROLLUP_AGENT_DAILY + ") d")).isEqualTo(20_000);
            assertThat(count(db, "SELECT sum(messages) FROM (" + ROLLUP_AGENT_DAILY + ") d")).as("every message with an agent").isEqualTo(6_400);
            assertRollupEqualsPlainQuery(db, "after concurrent writes and folds");
        }
    }

    @Test
    void aDayRangeAndAgentsSelectTheSameRowsAsThePlainQuery() throws SQLException {
        flyway(null).migrate();
        try (Connection db = scratch()) {
            insertEvents(db, "r", 0, 2_000);
            insertMessages(db, "r", 0, 1_000);
            insertMergedKinds(db);
            String range = "day >= '2026-11-03' AND day < '2026-11-06' AND agent_id IN ('agent-1', 'agent-4')";
            assertThat(rows(db, "SELECT * FROM training_data.agent_daily_between('2026-11-03', '2026-11-06',"
                    + " ARRAY['agent-1', 'agent-4']) ORDER BY 1, 2"))
                    .isEqualTo(rows(db, "SELECT * FROM (" + PLAIN_AGENT_DAILY + ") p WHERE " + range + " ORDER BY 1, 2"))
                    .isNotEmpty();
        }
    }

    // ------------------------------------------------------------------ data

    /** Events first..last-1 of a prefix: 7 agents, every 3 hours 17 minutes from 2026-11-01, so days cross UTC midnight. */
    private static void insertEvents(Connection db, String prefix, int first, int last) throws SQLException {
        execute(db, "INSERT INTO training_data.training_events (event_id, event_type, agent_id, payload, attributes,"
                + " occurred_at, stream_entry_id) SELECT '" + prefix + "-' || lpad(i::text, 8, '0'), 'step',"
                + " 'agent-' || (i % 7), '{}', '{}', timestamptz '2026-11-01 00:00:00+00' + i * interval '197 minutes' / 40,"
                + " (1000 + i) || '-0' FROM generate_series(" + first + ", " + (last - 1) + ") AS i"
                + " ON CONFLICT DO NOTHING");
    }

    /** Messages of a prefix: every fifth without an agent (counted for none). */
    private static void insertMessages(Connection db, String prefix, int first, int last) throws SQLException {
        execute(db, "INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, agent_id,"
                + " attributes, occurred_at, stream_entry_id) SELECT '" + prefix + "-' || lpad(i::text, 8, '0'),"
                + " 'conv-' || (i / 10), 'user', 'hello', CASE WHEN i % 5 = 0 THEN NULL ELSE 'agent-' || (i % 5) END,"
                + " '{}', timestamptz '2026-11-01 23:00:00+00' + i * interval '1 minute', (2000 + i) || '-0'"
                + " FROM generate_series(" + first + ", " + (last - 1) + ") AS i ON CONFLICT DO NOTHING");
    }

    private static void insertMergedKinds(Connection db) throws SQLException {
        execute(db, "INSERT INTO training_data.training_tasks (task_id, agent_id, status, attributes, occurred_at,"
                + " first_occurred_at, stream_entry_id, version, field_versions) SELECT 'task-' || i, 'agent-' || (i % 6),"
                + " (ARRAY['completed', 'failed', 'running'])[1 + i % 3], '{}',"
                + " timestamptz '2026-11-01 00:00:00+00' + i * interval '1 hour', timestamptz '2026-11-01 00:00:00+00',"
                + " i || '-0', lpad(i::text, 53, '0'), '{}' FROM generate_series(0, 299) AS i");
        execute(db, "INSERT INTO training_data.training_tool_executions (execution_id, agent_id, tool_name, status, error,"
                + " attributes, occurred_at, first_occurred_at, stream_entry_id, version, field_versions)"
                + " SELECT 'exec-' || i, 'agent-' || (i % 9), 'search', CASE WHEN i % 4 = 0 THEN 'failed' ELSE 'ok' END,"
                + " NULL, '{}', timestamptz '2026-11-02 00:00:00+00' + i * interval '50 minutes',"
                + " timestamptz '2026-11-01 00:00:00+00', i || '-0', lpad(i::text, 53, '0'), '{}'"
                + " FROM generate_series(0, 299) AS i");
    }

    /** Events by COPY, as a COPY write path stores them (statement triggers fire for COPY too). */
    private static void copyEvents(Connection db, String prefix, int n) throws Exception {
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < n; i++) {
            csv.append(prefix).append('-').append(i).append(",copied,agent-").append(i % 3)
                    .append(",{},{},2026-11-0").append(1 + i % 9).append(" 23:59:59.999999+00,").append(9000 + i).append("-0\n");
        }
        ((PGConnection) db.unwrap(PGConnection.class)).getCopyAPI().copyIn("COPY training_data.training_events"
                + " (event_id, event_type, agent_id, payload, attributes, occurred_at, stream_entry_id) FROM STDIN"
                + " WITH (FORMAT csv)", new StringReader(csv.toString()));
    }

    // ------------------------------------------------------------------ checks

    private static void assertRollupEqualsPlainQuery(Connection db, String when) throws SQLException {
        List<String> plain = rows(db, PLAIN_AGENT_DAILY + " ORDER BY day, agent_id");
        assertThat(rows(db, ROLLUP_AGENT_DAILY + " ORDER BY day, agent_id")).as(when).isEqualTo(plain);
    }

    private static List<String> rows(Connection db, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = db.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? " | " : "").append(result.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    private static long count(Connection db, String sql) throws SQLException {
        try (Statement statement = db.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    private static void execute(Connection db, String sql) throws SQLException {
        try (Statement statement = db.createStatement()) {
            statement.execute(sql);
        }
    }

    private Connection scratch() throws SQLException {
        return database.connect();
    }

    private Flyway flyway(String target) {
        return database.flyway(target);
    }
}
