package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Feedback's {@code correction} in every export format: JSONL nests it as its JSON value, CSV holds
 * its compact JSON text (empty when null), Parquet a string column with the JSON logical type, read
 * back by DuckDB. {@code redact} redacts its string values like any JSON column's, keeping a tool
 * call's own id, type and function name.
 */
@QuarkusTest
class FeedbackCorrectionExportTest extends ParquetTestSupport {

    private static final String STRING = "\"Write to ops@example.com, not to the user.\"";
    private static final String OBJECT = "{\"content\": null, \"tool_calls\": [{\"id\": \"call_7\","
            + " \"type\": \"function\", \"function\": {\"name\": \"send_mail\","
            + " \"arguments\": \"{\\\"to\\\": \\\"ops@example.com\\\", \\\"body\\\": \\\"ünïcödé, \\\\\\\"quoted\\\\\\\"\\\"}\"}}]}";

    /** The export's columns, in its order (the kind registry's). */
    private static final List<String> COLUMNS = Kind.FEEDBACK.recordKind().exportedColumns().stream()
            .map(ai.trainingstore.kind.Column::name).toList();

    /** Published once per run: the target_id that selects them, and each row's id by what it holds. */
    private static String target;
    private static Map<String, String> ids;

    private synchronized void publish() {
        if (target != null) {
            return;
        }
        String scope = unique("correction-export");
        Map<String, String> byName = Map.of("string", unique("fb-string"), "object", unique("fb-object"),
                "none", unique("fb-none"));
        awaitStored(FEEDBACK, xaddTogether(FEEDBACK, List.of(
                fields("feedback_id", byName.get("string"), "target_kind", "message", "target_id", scope,
                        "name", "thumbs", "label", "down", "correction", STRING,
                        "occurred_at", "2026-06-01T10:00:00Z"),
                fields("data", "{\"feedback_id\": \"" + byName.get("object") + "\", \"target_kind\": \"message\","
                        + " \"target_id\": \"" + scope + "\", \"name\": \"thumbs\", \"label\": \"down\","
                        + " \"correction\": " + OBJECT + ", \"occurred_at\": \"2026-06-01T10:00:01Z\"}"),
                fields("feedback_id", byName.get("none"), "target_kind", "message", "target_id", scope,
                        "name", "thumbs", "label", "up", "occurred_at", "2026-06-01T10:00:02Z"))));
        ids = byName;
        target = scope;
    }

    @Test
    void jsonlNestsTheCorrectionAsItsJsonValue() {
        publish();
        Map<String, JsonNode> rows = byId(jsonlRows(jsonlBody(Kind.FEEDBACK, "target_id", target)));
        assertThat(rows.get(ids.get("string")).get("correction")).isEqualTo(parse(STRING));
        assertThat(rows.get(ids.get("string")).get("correction").isTextual()).isTrue();
        assertThat(rows.get(ids.get("object")).get("correction")).isEqualTo(parse(OBJECT));
        assertThat(rows.get(ids.get("none")).get("correction").isNull()).as("null when none was sent").isTrue();
        assertThat(fieldNames(rows.get(ids.get("none")))).as("every exported column, in order")
                .isEqualTo(COLUMNS).contains("correction");
    }

    @Test
    void csvHoldsTheCorrectionAsCompactJsonText() {
        publish();
        String body = csvBody(Kind.FEEDBACK, "target_id", target);
        List<List<String>> records = csvRows(Kind.FEEDBACK, body);
        int column = COLUMNS.indexOf("correction");
        int identity = COLUMNS.indexOf("feedback_id");
        Map<String, String> correctionById = records.stream()
                .collect(Collectors.toMap(record -> record.get(identity), record -> String.valueOf(record.get(column))));
        assertThat(correctionById.get(ids.get("string"))).isEqualTo(compact(STRING));
        assertThat(correctionById.get(ids.get("object"))).isEqualTo(compact(OBJECT));
        assertThat(parse(correctionById.get(ids.get("object")))).isEqualTo(parse(OBJECT));
        assertThat(records.stream().filter(record -> record.get(identity).equals(ids.get("none"))).findFirst()
                .orElseThrow().get(column)).as("null: an empty field").isNull();
    }

    @Test
    void parquetHoldsTheCorrectionAsJsonReadBackByDuckDb() throws SQLException {
        publish();
        Path file = parquet(Kind.FEEDBACK, "target_id", target);
        assertThat(DuckDbParquet.schema(file)).filteredOn(column -> column.name().equals("correction"))
                .singleElement().satisfies(column -> {
                    assertThat(column.logicalType()).isEqualTo("JsonType()");
                    assertThat(column.duckdbType()).isEqualTo("JSON");
                    assertThat(column.repetition()).isEqualTo("OPTIONAL");
                });
        Map<String, Map<String, Object>> rows = parquetRows(Kind.FEEDBACK, file).stream()
                .collect(Collectors.toMap(row -> (String) row.get("feedback_id"), Function.identity()));
        assertThat(rows.get(ids.get("string")).get("correction")).isEqualTo(compact(STRING));
        assertThat(parse((String) rows.get(ids.get("object")).get("correction"))).isEqualTo(parse(OBJECT));
        assertThat(rows.get(ids.get("none")).get("correction")).isNull();
        assertThat(parquetRows(Kind.FEEDBACK, file)).as("every column as stored")
                .isEqualTo(expectedParquetRows(Kind.FEEDBACK, "target_id = ?", target));
    }

    @Test
    void redactRedactsTheCorrectionAndKeepsItsToolCallsIds() {
        publish();
        for (String format : List.of("jsonl", "csv")) {
            String body = body(Kind.FEEDBACK, format, "target_id", target, "redact", "email");
            assertThat(body).as(format).doesNotContain("ops@example.com").contains("[REDACTED_EMAIL]");
        }
        Map<String, JsonNode> rows = byId(jsonlRows(jsonlBody(Kind.FEEDBACK, "target_id", target, "redact", "email")));
        assertThat(rows.get(ids.get("string")).get("correction").asText())
                .isEqualTo("Write to [REDACTED_EMAIL], not to the user.");
        JsonNode call = rows.get(ids.get("object")).get("correction").get("tool_calls").get(0);
        assertThat(call.get("id").asText()).isEqualTo("call_7");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.get("function").get("name").asText()).isEqualTo("send_mail");
        JsonNode arguments = parse(call.get("function").get("arguments").asText());
        assertThat(arguments.get("to").asText()).as("arguments stay JSON text, redacted").isEqualTo("[REDACTED_EMAIL]");
        assertThat(arguments.get("body").asText()).isEqualTo("ünïcödé, \"quoted\"");
    }

    private static Map<String, JsonNode> byId(List<JsonNode> rows) {
        return rows.stream().collect(Collectors.toMap(row -> row.get("feedback_id").asText(), Function.identity()));
    }
}
