package ai.trainingstore.migration;

import static ai.trainingstore.support.StoreTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.ScratchDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Migration V9 adds feedback's {@code correction} column and moves a {@code correction} that V8's
 * store kept in {@code attributes} into it, with its merge version into slot 10 of
 * {@code field_versions}: the JSON value a document entry stored, or the JSON a flat entry stored as
 * text; a text that is no JSON object, array or string stays a string (a correction's content). Runs
 * in a scratch database of its own, migrated to V8, filled as V8's store wrote rows, then migrated
 * to the latest version; dropped at the end.
 */
class FeedbackCorrectionMigrationTest {

    private static final ScratchDatabase DATABASE = new ScratchDatabase("correction_migration_test");
    private static final String OBJECT = "{\"content\": null, \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\"}]}";
    private static final String VERSION = "0".repeat(52) + "7";
    private static final String[] NINE_SLOTS = {"1", "1", "1", "1", "1", "1", "1", "1", "1"};

    /** Each feedback row's attributes as V8 stored them. */
    private static final Map<String, String> ATTRIBUTES_BEFORE = new LinkedHashMap<>();

    static {
        ATTRIBUTES_BEFORE.put("object", "{\"correction\": " + OBJECT + ", \"rubric\": \"v2\"}");
        ATTRIBUTES_BEFORE.put("object-text", "{\"correction\": " + quoted(OBJECT) + "}");
        ATTRIBUTES_BEFORE.put("string", "{\"correction\": \"Say which file.\"}");
        ATTRIBUTES_BEFORE.put("string-text", "{\"correction\": " + quoted("\"Say which file.\"") + "}");
        ATTRIBUTES_BEFORE.put("brace-text", "{\"correction\": \"{not json\"}");
        ATTRIBUTES_BEFORE.put("number-text", "{\"correction\": \"42\"}");
        ATTRIBUTES_BEFORE.put("number", "{\"correction\": 42}");
        ATTRIBUTES_BEFORE.put("null", "{\"correction\": null}");
        ATTRIBUTES_BEFORE.put("no-correction", "{\"rubric\": \"v1\"}");
        ATTRIBUTES_BEFORE.put("nested", "{\"meta\": {\"correction\": \"x\"}}");
    }

    @BeforeAll
    static void createScratchDatabase() throws SQLException {
        DATABASE.create();
    }

    @AfterAll
    static void dropScratchDatabase() throws SQLException {
        DATABASE.drop();
    }

    @Test
    void aCorrectionKeptInAttributesMovesIntoItsColumnWithItsMergeVersion() throws SQLException {
        DATABASE.flyway("8").migrate();
        try (Connection connection = DATABASE.connect();
             PreparedStatement insert = connection.prepareStatement("INSERT INTO training_data.training_feedback"
                     + " (feedback_id, target_kind, target_id, name, label, attributes, occurred_at, first_occurred_at,"
                     + " stream_entry_id, version, field_versions, attribute_versions)"
                     + " VALUES (?, 'message', 'm-1', 'thumbs', 'down', ?::jsonb, now(), now(), '1-0', ?, ?, ?::jsonb)")) {
            for (var row : ATTRIBUTES_BEFORE.entrySet()) {
                insert.setString(1, row.getKey());
                insert.setString(2, row.getValue());
                insert.setString(3, VERSION);
                insert.setArray(4, connection.createArrayOf("text", NINE_SLOTS));
                insert.setString(5, attributeVersions(row.getValue()));
                insert.addBatch();
            }
            insert.executeBatch();
        }

        DATABASE.flyway(null).migrate();

        Map<String, Row> after = rowsAfter();
        assertThat(after.keySet()).containsExactlyInAnyOrderElementsOf(ATTRIBUTES_BEFORE.keySet());
        assertMoved(after.get("object"), json(OBJECT), "{\"rubric\": \"v2\"}");
        assertMoved(after.get("object-text"), json(OBJECT), "{}");
        assertMoved(after.get("string"), TextNode.valueOf("Say which file."), "{}");
        assertMoved(after.get("string-text"), TextNode.valueOf("Say which file."), "{}");
        assertMoved(after.get("brace-text"), TextNode.valueOf("{not json"), "{}");
        assertMoved(after.get("number-text"), TextNode.valueOf("42"), "{}");
        assertMoved(after.get("number"), json("42"), "{}");
        assertMoved(after.get("null"), null, "{}");
        for (String stays : List.of("no-correction", "nested")) {
            Row row = after.get(stays);
            assertThat(row.correction()).as("correction of %s", stays).isNull();
            assertThat(row.attributes()).as("attributes of %s: unchanged", stays)
                    .isEqualTo(json(ATTRIBUTES_BEFORE.get(stays)));
            assertThat(row.fieldVersions()).as("slots of %s: unchanged", stays).containsExactly(NINE_SLOTS);
        }
    }

    private record Row(JsonNode correction, JsonNode attributes, List<String> fieldVersions,
                       JsonNode attributeVersions) {
    }

    private static void assertMoved(Row row, JsonNode correction, String attributes) {
        assertThat(row.correction()).isEqualTo(correction);
        assertThat(row.attributes()).isEqualTo(json(attributes));
        assertThat(row.fieldVersions()).as("the attribute's version moved to slot 10").hasSize(10)
                .startsWith(NINE_SLOTS).endsWith(VERSION);
        assertThat(row.attributeVersions().has("correction")).isFalse();
    }

    private static Map<String, Row> rowsAfter() throws SQLException {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (Connection connection = DATABASE.connect();
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT feedback_id, correction::text AS correction,"
                     + " attributes::text AS attributes, field_versions, attribute_versions::text AS attribute_versions"
                     + " FROM training_data.training_feedback")) {
            while (result.next()) {
                String correction = result.getString("correction");
                rows.put(result.getString("feedback_id"), new Row(correction == null ? null : json(correction),
                        json(result.getString("attributes")),
                        Arrays.asList((String[]) result.getArray("field_versions").getArray()),
                        json(result.getString("attribute_versions"))));
            }
        }
        return rows;
    }

    /** The version of every top-level attribute, as the store keeps them. */
    private static String attributeVersions(String attributes) {
        StringBuilder versions = new StringBuilder("{");
        json(attributes).fieldNames().forEachRemaining(name -> versions.append(versions.length() > 1 ? ", " : "")
                .append(quoted(name)).append(": ").append(quoted(VERSION)));
        return versions.append("}").toString();
    }

    /** A JSON string holding the text. */
    private static String quoted(String text) {
        return TextNode.valueOf(text).toString();
    }
}
