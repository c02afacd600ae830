package ai.trainingstore.support;

import static org.awaitility.Awaitility.await;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.PendingMessage;
import io.quarkus.redis.datasource.stream.StreamCommands;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.redis.datasource.transactions.TransactionResult;
import io.quarkus.test.common.QuarkusTestResource;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Base of the integration tests: publish with XADD to the test streams, read rows back with SQL.
 * Tests run on the JUnit thread, so blocking calls are fine here (never in production code).
 */
@QuarkusTestResource(value = LocalServices.class, restrictToAnnotatedClass = false)
public abstract class StoreTestSupport {

    public static final String EVENTS = LocalServices.stream("events");
    public static final String TASKS = LocalServices.stream("tasks");
    public static final String TOOL_EXECUTIONS = LocalServices.stream("tool_executions");
    public static final String WORKFLOWS = LocalServices.stream("workflows");
    public static final String MESSAGES = LocalServices.stream("messages");
    public static final String FEEDBACK = LocalServices.stream("feedback");
    public static final String DEAD_LETTER = LocalServices.stream("dead-letter");
    public static final String GROUP = LocalServices.GROUP;
    /**
     * Long enough for the claim (claim-idle 60 s + claim-interval 10 s) to recover an entry that a
     * consumer was delivered but did not process: seen in full-suite runs on the messages stream
     * (an open bug, see the closing note of issue 15).
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(90);

    /** Columns the store keeps for itself: no test compares them with a record's values. */
    public static final Set<String> STORE_COLUMNS = Set.of("ingested_at", "version", "field_versions",
            "attribute_versions");

    /** Parses JSON keeping every digit, so that a number that changes on its way is noticed. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    /**
     * A record kind as the tests see it: its test stream, and (from {@link RecordKind}, the one
     * place that defines them) its table, identity column and required fields.
     */
    public enum Kind {
        EVENT(EVENTS, RecordKind.EVENTS),
        TASK(TASKS, RecordKind.TASKS),
        TOOL_EXECUTION(TOOL_EXECUTIONS, RecordKind.TOOL_EXECUTIONS),
        WORKFLOW(WORKFLOWS, RecordKind.WORKFLOWS),
        MESSAGE(MESSAGES, RecordKind.MESSAGES),
        FEEDBACK(StoreTestSupport.FEEDBACK, RecordKind.FEEDBACK);

        private final String stream;
        private final RecordKind recordKind;

        Kind(String stream, RecordKind recordKind) {
            this.stream = stream;
            this.recordKind = recordKind;
        }

        public String stream() {
            return stream;
        }

        /** The production kind: table, columns, identity and rules. */
        public RecordKind recordKind() {
            return recordKind;
        }

        /** The kind's name in URLs, e.g. {@code tool_executions}. */
        public String urlName() {
            return recordKind.id();
        }

        /** The schema-qualified table, e.g. {@code training_data.training_events}. */
        public String table() {
            return recordKind.qualifiedTable();
        }

        public String identity() {
            return recordKind.identity();
        }

        /**
         * The smallest valid flat entry of this kind with the given identity: every required field,
         * as {@code minimal-<field>} where any text will do, else a value the kind's rule accepts.
         */
        public Map<String, String> minimalEntry(String id) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put(identity(), id);
            for (Column field : recordKind.fields()) {
                if (field.required() && !field.name().equals(identity())) {
                    entry.put(field.name(), "minimal-" + field.name());
                }
            }
            switch (this) {
                case MESSAGE -> entry.put("role", "user");
                case FEEDBACK -> {
                    entry.put("target_kind", "task");
                    entry.put("label", "minimal-label");
                }
                default -> {
                }
            }
            return entry;
        }
    }

    @Inject
    protected RedisDataSource redis;

    @Inject
    protected DataSource database;

    protected StreamCommands<String, String, String> streams() {
        return redis.stream(String.class, String.class, String.class);
    }

    /** XADD with field/value pairs; returns the entry id. */
    protected String xadd(String stream, String... fieldsAndValues) {
        return streams().xadd(stream, fields(fieldsAndValues));
    }

    /** Text that PostgreSQL cannot compress below the 2,704-byte btree row limit: a record it refuses (54000). */
    protected static String incompressible(int length) {
        StringBuilder text = new StringBuilder(length);
        java.util.Random random = new java.util.Random(7);
        while (text.length() < length) {
            text.append(Long.toString(random.nextLong(), 36));
        }
        return text.substring(0, length);
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    /** Field/value pairs as an entry (insertion-ordered). */
    protected static Map<String, String> fields(String... fieldsAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            fields.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return fields;
    }

    /**
     * XADDs the entries in one MULTI/EXEC, so that no read of the group can fall between them: the
     * store reads them in the same batch. Returns their entry ids, in order.
     */
    protected List<String> xaddTogether(String stream, List<Map<String, String>> entries) {
        TransactionResult result = redis.withTransaction(tx -> {
            var transactional = tx.stream(String.class, String.class, String.class);
            entries.forEach(entry -> transactional.xadd(stream, entry));
        });
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < result.size(); i++) {
            ids.add(result.get(i));
        }
        return ids;
    }

    /** The millisecond time of a stream entry id ({@code <ms>-<seq>}). */
    protected static Instant entryTime(String entryId) {
        return Instant.ofEpochMilli(Long.parseLong(entryId.substring(0, entryId.indexOf('-'))));
    }

    /** Entry ids in stream order. */
    protected static final Comparator<String> ENTRY_ID_ORDER = Comparator
            .comparingLong((String id) -> Long.parseLong(id.substring(0, id.indexOf('-'))))
            .thenComparingLong(id -> Long.parseLong(id.substring(id.indexOf('-') + 1)));

    /** Runs a query and returns its rows as column-name maps (JSON columns as their text). */
    protected List<Map<String, Object>> query(String sql, Object... parameters) {
        return select(sql, parameters, (rows, column, type) -> {
            Object value = rows.getObject(column);
            return value == null ? null : type.startsWith("json") ? value.toString() : value;
        });
    }

    /** Reads one column of the current row. */
    private interface ColumnReader {
        Object read(ResultSet rows, int column, String type) throws SQLException;
    }

    private List<Map<String, Object>> select(String sql, Object[] parameters, ColumnReader reader) {
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
                        row.put(meta.getColumnLabel(column), reader.read(rows, column, meta.getColumnTypeName(column)));
                    }
                    result.add(row);
                }
                return result;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a statement that returns no rows (an insert, update or delete); the rows it changed. */
    protected int executeSql(String sql, Object... parameters) {
        try (Connection connection = database.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement.executeUpdate();
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

    /** Dead letters are added after their source entry, so only the part of the stream after it is read. */
    protected List<Map<String, String>> deadLetters(List<String> sourceIds) {
        String earliest = sourceIds.stream().min(ENTRY_ID_ORDER).orElse("-");
        return streams().xrange(DEAD_LETTER, StreamRange.of(earliest, "+")).stream()
                .map(message -> message.payload())
                .filter(fields -> sourceIds.contains(fields.get("source_id")))
                .toList();
    }

    /** Ids of the entries of the stream pending in the store's group. */
    protected List<String> pendingIds(String stream) {
        return streams().xpending(stream, GROUP, io.quarkus.redis.datasource.stream.StreamRange.of("-", "+"), 10_000)
                .stream().map(message -> message.getMessageId()).toList();
    }

    /** Entries of the stream still pending in the store's group. */
    protected long pending(String stream) {
        return streams().xpending(stream, GROUP).getPendingCount();
    }

    // ---- Acknowledgement ----

    /** The id of the last entry of the stream delivered to the store's group. */
    protected String lastDeliveredId(String stream) {
        for (Response group : redis.execute("XINFO", "GROUPS", stream)) {
            if (GROUP.equals(field(group, "name"))) {
                return field(group, "last-delivered-id");
            }
        }
        throw new AssertionError("Stream " + stream + " has no group " + GROUP);
    }

    /** One field of an XINFO reply, whether the connection speaks RESP3 (a map) or RESP2 (pairs). */
    private static String field(Response reply, String name) {
        if (reply.isMap()) {
            Response value = reply.get(name);
            return value == null ? null : value.toString();
        }
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            if (name.equals(reply.get(i).toString())) {
                return reply.get(i + 1) == null ? null : reply.get(i + 1).toString();
            }
        }
        return null;
    }

    /** Those of the entries that are delivered to the store's group but not acknowledged. */
    protected List<String> pendingAmong(String stream, Collection<String> entryIds) {
        String first = entryIds.stream().min(ENTRY_ID_ORDER).orElseThrow();
        String last = entryIds.stream().max(ENTRY_ID_ORDER).orElseThrow();
        return streams().xpending(stream, GROUP, StreamRange.of(first, last), 10_000).stream()
                .map(PendingMessage::getMessageId)
                .filter(entryIds::contains)
                .toList();
    }

    /**
     * Waits until every one of the entries has been delivered to the store's group and none of
     * them is pending any more: they are acknowledged (and so, by the contract, committed).
     */
    protected void awaitAcknowledged(String stream, Collection<String> entryIds) {
        String last = entryIds.stream().max(ENTRY_ID_ORDER).orElseThrow();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            org.assertj.core.api.Assertions.assertThat(lastDeliveredId(stream))
                    .as("last entry delivered to the group of %s", stream)
                    .usingComparator(ENTRY_ID_ORDER).isGreaterThanOrEqualTo(last);
            org.assertj.core.api.Assertions.assertThat(pendingAmong(stream, entryIds))
                    .as("entries of %s still pending", stream).isEmpty();
        });
    }

    // ---- Rows as comparable values ----

    /**
     * Runs a query and returns its rows with comparable values: JSON columns as {@link #json}
     * nodes (SQL null stays null), timestamps as {@link Instant}, arrays as lists.
     */
    protected List<Map<String, Object>> storedRows(String sql, Object... parameters) {
        return select(sql, parameters, StoreTestSupport::comparable);
    }

    private static Object comparable(ResultSet rows, int column, String type) throws SQLException {
        if (rows.getObject(column) == null) {
            return null;
        }
        if (type.startsWith("json")) {
            return json(rows.getString(column));
        }
        if (type.equals("timestamptz")) {
            return rows.getObject(column, OffsetDateTime.class).toInstant();
        }
        if (type.startsWith("_")) {
            Array array = rows.getArray(column);
            return Arrays.asList((Object[]) array.getArray());
        }
        return rows.getObject(column);
    }

    /** The stored row of a kind with that identity, if any. */
    protected Optional<Map<String, Object>> storedRow(Kind kind, String identity) {
        return storedRows("SELECT * FROM " + kind.table() + " WHERE " + kind.identity() + " = ?", identity)
                .stream().findFirst();
    }

    /** Waits until the row of a kind with that identity is stored, then returns it. */
    protected Map<String, Object> awaitStoredRow(Kind kind, String identity) {
        return await().atMost(TIMEOUT).until(() -> storedRow(kind, identity), Optional::isPresent).orElseThrow();
    }

    /** The row without the columns the store keeps for itself ({@link #STORE_COLUMNS}). */
    protected static Map<String, Object> recordColumns(Map<String, Object> row) {
        Map<String, Object> columns = new LinkedHashMap<>(row);
        columns.keySet().removeAll(STORE_COLUMNS);
        return columns;
    }

    /** Column/value pairs as a map that may hold nulls. */
    protected static Map<String, Object> columns(Object... columnsAndValues) {
        Map<String, Object> columns = new LinkedHashMap<>();
        for (int i = 0; i < columnsAndValues.length; i += 2) {
            columns.put((String) columnsAndValues[i], columnsAndValues[i + 1]);
        }
        return columns;
    }

    /**
     * Parses JSON into a canonical node: numbers compare by value (PostgreSQL writes {@code 1e2}
     * back as {@code 100}), everything else as parsed.
     */
    public static JsonNode json(String text) {
        try {
            return canonical(JSON.readTree(text));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not JSON: " + text, e);
        }
    }

    /** A node with every number replaced by its value with trailing zeros stripped. */
    public static JsonNode canonical(JsonNode node) {
        if (node.isNumber()) {
            return DecimalNode.valueOf(node.decimalValue().stripTrailingZeros());
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(property -> copy.set(property.getKey(), canonical(property.getValue())));
            return copy;
        }
        if (node.isArray()) {
            var copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(canonical(element)));
            return copy;
        }
        return node;
    }
}
