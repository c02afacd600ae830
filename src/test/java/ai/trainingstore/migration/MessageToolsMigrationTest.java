package ai.trainingstore.migration;

import static ai.trainingstore.support.StoreTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import ai.trainingstore.support.ScratchDatabase;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Migration V2 moves {@code attributes.tools} of stored messages into the new {@code tools}
 * column where it is a JSON array, either the array itself (a document entry stored it so) or JSON
 * text of one (a flat entry stored its text); anything else stays in attributes, so nothing is
 * lost. Runs in a scratch database of its own on the suite's PostgreSQL server, migrated by Flyway
 * to V1, filled with rows as V1's store wrote them, then migrated to the latest version; the
 * database is dropped at the end, whatever happens.
 */
class MessageToolsMigrationTest {

    private static final ScratchDatabase DATABASE = new ScratchDatabase("migration_test");

    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"search\","
            + " \"description\": \"Search the code\", \"parameters\": {\"type\": \"object\","
            + " \"properties\": {\"q\": {\"type\": \"string\"}}}}}]";

    /** Each message's attributes as V1 stored them. */
    private static final Map<String, String> ATTRIBUTES_BEFORE = new LinkedHashMap<>();

    static {
        ATTRIBUTES_BEFORE.put("array", "{\"tools\": " + TOOLS + ", \"model\": \"m-1\"}");
        ATTRIBUTES_BEFORE.put("array-text", "{\"tools\": " + quoted(TOOLS) + "}");
        ATTRIBUTES_BEFORE.put("pretty-array-text", "{\"tools\": " + quoted("[\n  " + TOOLS.substring(1)) + ", \"n\": 1}");
        ATTRIBUTES_BEFORE.put("empty-array-text", "{\"tools\": \"[]\"}");
        ATTRIBUTES_BEFORE.put("empty-array", "{\"tools\": []}");
        ATTRIBUTES_BEFORE.put("object", "{\"tools\": {\"type\": \"function\"}, \"model\": \"m-2\"}");
        ATTRIBUTES_BEFORE.put("object-text", "{\"tools\": " + quoted("{\"type\": \"function\"}") + "}");
        ATTRIBUTES_BEFORE.put("not-json-text", "{\"tools\": \"search, fetch\"}");
        ATTRIBUTES_BEFORE.put("broken-array-text", "{\"tools\": \"[{\\\"type\\\": \"}");
        ATTRIBUTES_BEFORE.put("empty-text", "{\"tools\": \"\"}");
        ATTRIBUTES_BEFORE.put("string-text", "{\"tools\": " + quoted("\"[]\"") + "}");
        ATTRIBUTES_BEFORE.put("null", "{\"tools\": null}");
        ATTRIBUTES_BEFORE.put("number", "{\"tools\": 3}");
        ATTRIBUTES_BEFORE.put("no-tools", "{\"model\": \"m-3\"}");
        ATTRIBUTES_BEFORE.put("nothing", "{}");
        ATTRIBUTES_BEFORE.put("nested", "{\"meta\": {\"tools\": " + TOOLS + "}}");
    }

    @BeforeAll
    static void createScratchDatabase() throws SQLException {
        DATABASE.create();
    }

    @AfterAll
    static void dropScratchDatabase() throws SQLException {
        DATABASE.drop();
    }

    private static Flyway flyway(String target) {
        return DATABASE.flyway(target);
    }

    @Test
    void toolsArraysMoveFromAttributesIntoTheirColumnAndEverythingElseStays() throws SQLException {
        flyway("1").migrate();
        try (Connection connection = scratch()) {
            assertThat(columnExists(connection, "training_messages", "tools")).as("no tools column in V1").isFalse();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO training_data.training_messages"
                    + " (message_id, conversation_id, role, content, attributes, occurred_at, stream_entry_id)"
                    + " VALUES (?, 'c-1', 'system', 'Use tools.', ?::jsonb, now(), '1-0')")) {
                for (var message : ATTRIBUTES_BEFORE.entrySet()) {
                    insert.setString(1, message.getKey());
                    insert.setString(2, message.getValue());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }

        flyway(null).migrate();

        MigrationInfo current = flyway(null).info().current();
        assertThat(current.getVersion().getVersion()).as("migrated to the latest version").isNotEqualTo("1");
        try (Connection connection = scratch()) {
            assertThat(columnExists(connection, "training_feedback", "value")).as("V2 created feedback").isTrue();
            Map<String, JsonNode[]> after = new LinkedHashMap<>();
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT message_id, tools::text AS tools,"
                         + " attributes::text AS attributes FROM training_data.training_messages")) {
                while (rows.next()) {
                    String tools = rows.getString("tools");
                    after.put(rows.getString("message_id"),
                            new JsonNode[] {tools == null ? null : json(tools), json(rows.getString("attributes"))});
                }
            }
            assertThat(after.keySet()).containsExactlyInAnyOrderElementsOf(ATTRIBUTES_BEFORE.keySet());

            assertMoved(after, "array", TOOLS, "{\"model\": \"m-1\"}");
            assertMoved(after, "array-text", TOOLS, "{}");
            assertMoved(after, "pretty-array-text", TOOLS, "{\"n\": 1}");
            assertMoved(after, "empty-array-text", "[]", "{}");
            assertMoved(after, "empty-array", "[]", "{}");
            for (String stays : new String[] {"object", "object-text", "not-json-text", "broken-array-text",
                    "empty-text", "string-text", "null", "number", "no-tools", "nothing", "nested"}) {
                assertThat(after.get(stays)[0]).as("tools of %s", stays).isNull();
                assertThat(after.get(stays)[1]).as("attributes of %s: unchanged", stays)
                        .isEqualTo(json(ATTRIBUTES_BEFORE.get(stays)));
            }
        }
    }

    private static void assertMoved(Map<String, JsonNode[]> after, String message, String tools, String attributes) {
        assertThat(after.get(message)[0]).as("tools of %s: the array", message).isEqualTo(json(tools));
        assertThat(after.get(message)[0].isArray()).isTrue();
        assertThat(after.get(message)[1]).as("attributes of %s: without tools", message).isEqualTo(json(attributes));
    }

    private static Connection scratch() throws SQLException {
        return DATABASE.connect();
    }

    private static boolean columnExists(Connection connection, String table, String column) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT 1 FROM information_schema.columns"
                + " WHERE table_schema = 'training_data' AND table_name = ? AND column_name = ?")) {
            query.setString(1, table);
            query.setString(2, column);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    /** A JSON string holding the text. */
    private static String quoted(String text) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
    }
}
