package ai.trainingstore.support;

import static org.awaitility.Awaitility.await;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.test.common.QuarkusTestResource;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Base of the integration tests: publish with XADD to the test streams, read rows back with SQL.
 * Tests run on the JUnit thread, so blocking calls are fine here (never in production code).
 */
@QuarkusTestResource(value = LocalServices.class, restrictToAnnotatedClass = false)
public abstract class StoreTestSupport {

    public static final String EVENTS = "test:training:events";
    public static final String TASKS = "test:training:tasks";
    public static final String TOOL_EXECUTIONS = "test:training:tool_executions";
    public static final String WORKFLOWS = "test:training:workflows";
    public static final String MESSAGES = "test:training:messages";
    public static final String DEAD_LETTER = "test:training:dead-letter";
    public static final String GROUP = "training-store-test";
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Inject
    protected RedisDataSource redis;

    @Inject
    protected DataSource database;

    protected StreamCommands<String, String, String> streams() {
        return redis.stream(String.class, String.class, String.class);
    }

    /** XADD with field/value pairs; returns the entry id. */
    protected String xadd(String stream, String... fieldsAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            fields.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return streams().xadd(stream, fields);
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    /** Runs a query and returns its rows as column-name maps (JSON columns as their text). */
    protected List<Map<String, Object>> query(String sql, Object... parameters) {
        try (Connection connection = database.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                ResultSetMetaData meta = rows.getMetaData();
                List<Map<String, Object>> result = new ArrayList<>();
                while (rows.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int column = 1; column <= meta.getColumnCount(); column++) {
                        Object value = rows.getObject(column);
                        row.put(meta.getColumnLabel(column), value == null ? null
                                : meta.getColumnTypeName(column).startsWith("json") ? value.toString() : value);
                    }
                    result.add(row);
                }
                return result;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    protected long count(String sql, Object... parameters) {
        return ((Number) query(sql, parameters).get(0).values().iterator().next()).longValue();
    }

    /** Waits until the query returns exactly {@code expected} rows, then returns them. */
    protected List<Map<String, Object>> awaitRows(int expected, String sql, Object... parameters) {
        await().atMost(TIMEOUT).until(() -> query(sql, parameters).size() >= expected);
        return query(sql, parameters);
    }

    /** The dead letters whose source id is one of the given entry ids. */
    protected List<Map<String, String>> awaitDeadLetters(int expected, List<String> sourceIds) {
        await().atMost(TIMEOUT).until(() -> deadLetters(sourceIds).size() >= expected);
        return deadLetters(sourceIds);
    }

    protected List<Map<String, String>> deadLetters(List<String> sourceIds) {
        return streams().xrange(DEAD_LETTER, io.quarkus.redis.datasource.stream.StreamRange.of("-", "+")).stream()
                .map(message -> message.payload())
                .filter(fields -> sourceIds.contains(fields.get("source_id")))
                .toList();
    }

    /** Entries of the stream still pending in the store's group. */
    protected long pending(String stream) {
        return streams().xpending(stream, GROUP).getPendingCount();
    }
}
