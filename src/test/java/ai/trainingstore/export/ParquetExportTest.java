package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.ColumnType;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * format=parquet (contract section 4), read back by DuckDB and compared field by field with the
 * rows PostgreSQL holds, for every kind: hostile text (the CSV suite's values, the empty string, a
 * string of 200 kB), JSON edge cases (every digit of big numbers, -0.0, escapes, deep nesting),
 * integers and doubles at their limits, timestamps from 1970 to 9999 with microseconds, and nulls
 * in every optional column. Also the contract's types in the file's schema, the same rows as JSONL
 * under filters, range, limit and after, an empty export, gzip never on top, and bad requests.
 */
@QuarkusTest
class ParquetExportTest extends ParquetTestSupport {

    /** 200 kB of text mixing multi-byte characters, controls and CSV/JSON specials. */
    private static final String HUGE = ("🚀 ünïcödé ✓ \u0001\u001f \" \\ , ; \r\n\t " + "x".repeat(960)).repeat(200);

    private static final String[] INTEGERS = {Long.toString(Long.MAX_VALUE), Long.toString(Long.MIN_VALUE), "0", "-1",
            "9007199254740993"};
    private static final String[] NUMBERS = {Double.toString(Double.MAX_VALUE), Double.toString(-Double.MAX_VALUE),
            Double.toString(Double.MIN_VALUE), "-0.0", "1e-300", "0.1", "123456789.123456789", "-3"};
    /** From the first instant the store takes to the last, with and without microseconds, offsets and epoch ms. */
    private static final String[] OCCURRED = {"1970-01-01T00:00:00Z", "2026-03-01T10:15:30.123456+02:00",
            "9999-12-31T23:59:59.999999Z", "1767225600123", "2026-03-01T08:15:30.000001Z", null};

    private static final Map<Kind, String> SCOPES = new EnumMap<>(Kind.class);

    /** The required text column that holds the test's scope (no rule restricts its value). */
    private static String scopeColumn(Kind kind) {
        return switch (kind) {
            case EVENT, TASK, TOOL_EXECUTION -> "agent_id";
            case WORKFLOW -> "workflow_type";
            case MESSAGE -> "conversation_id";
            case FEEDBACK -> "target_id";
        };
    }

    /** Publishes the kind's hostile rows once per run; returns the scope value that selects them. */
    private synchronized String hostileScope(Kind kind) {
        String existing = SCOPES.get(kind);
        if (existing != null) {
            return existing;
        }
        String scope = unique("parquet-" + kind.urlName());
        List<String> values = new ArrayList<>(CsvHostileValuesTest.HOSTILE);
        values.add("");
        List<Map<String, String>> entries = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            entries.add(hostileEntry(kind, scope, i, values.get(i)));
        }
        // Only the required fields: null in every other column.
        Map<String, String> minimal = kind.minimalEntry(scope + "-null-flat");
        minimal.put(scopeColumn(kind), scope);
        entries.add(minimal);
        entries.add(fields("data", explicitNulls(kind, scope)));
        // One huge value, in one text column and in JSON.
        Map<String, String> huge = kind.minimalEntry(scope + "-huge");
        huge.put(scopeColumn(kind), scope);
        // An optional text column where the kind has one (workflows have none: their phase).
        kind.recordKind().fields().stream()
                .filter(field -> field.type() == ColumnType.TEXT && !field.name().equals(kind.identity())
                        && !field.name().equals(scopeColumn(kind)))
                .filter(field -> !field.required() || kind == Kind.WORKFLOW)
                .findFirst().ifPresent(field -> huge.put(field.name(), HUGE));
        huge.put("huge_note", HUGE);
        entries.add(huge);
        awaitStored(kind.stream(), xaddTogether(kind.stream(), entries));
        assertThat(count("SELECT count(*) FROM " + kind.table() + " WHERE " + scopeColumn(kind) + " = ?", scope))
                .as("rows stored").isEqualTo(entries.size());
        SCOPES.put(kind, scope);
        return scope;
    }

    /** The hostile value in every optional text column, in JSON (object or array), in an attribute. */
    private static Map<String, String> hostileEntry(Kind kind, String scope, int i, String value) {
        Map<String, String> entry = kind.minimalEntry(scope + "-" + i + "-" + value);
        entry.put(scopeColumn(kind), scope);
        String quoted = jsonString(value);
        for (ai.trainingstore.kind.Column field : kind.recordKind().fields()) {
            if (field.required() || field.name().equals(kind.identity())) {
                continue;
            }
            switch (field.type()) {
                case TEXT -> entry.put(field.name(), value);
                case JSON -> entry.put(field.name(), "{\"v\": " + quoted + ", \"big\": 12345678901234567890.123456789,"
                        + " \"int\": 9007199254740993, \"neg\": -0.0, \"e\": 1E+2, \"tiny\": 1e-300,"
                        + " \"list\": [1, {\"a\": null}, true, false, \"\", \"\\u2028\\ud83d\\ude80\"],"
                        + " \"deep\": [[[[[{\"k\": [[[]]]}]]]]], \"" + i + "\\\"key\": {}}");
                case JSON_ARRAY -> entry.put(field.name(), "[" + quoted + ", 1, null, {\"k\": " + quoted + "}]");
                case INTEGER -> entry.put(field.name(), INTEGERS[i % INTEGERS.length]);
                case NUMBER -> entry.put(field.name(), NUMBERS[i % NUMBERS.length]);
                case TIMESTAMP, VERSIONS -> {
                }
            }
        }
        entry.put("note", value);
        String occurredAt = OCCURRED[i % OCCURRED.length];
        if (occurredAt != null) {
            entry.put("occurred_at", occurredAt);
        }
        return entry;
    }

    /** A document entry with every optional field an explicit JSON null. */
    private static String explicitNulls(Kind kind, String scope) {
        Map<String, Object> document = new LinkedHashMap<>(kind.minimalEntry(scope + "-null-document"));
        document.put(scopeColumn(kind), scope);
        for (ai.trainingstore.kind.Column field : kind.recordKind().fields()) {
            // Feedback keeps its label: one with neither value nor label is a bad entry.
            boolean keeps = kind == Kind.FEEDBACK && field.name().equals("label");
            if (!field.required() && !field.name().equals(kind.identity()) && !keeps) {
                document.put(field.name(), null);
            }
        }
        document.put("gone", null);
        try {
            return JSON.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String jsonString(String value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- every kind, field by field ----

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyRowReadsBackInDuckDbFieldByFieldAsStored(Kind kind) {
        String scope = hostileScope(kind);
        Path file = parquet(kind, scopeColumn(kind), scope);
        List<Map<String, Object>> expected = expectedParquetRows(kind, scopeColumn(kind) + " = ?", scope);
        List<Map<String, Object>> actual = parquetRows(kind, file);
        assertThat(actual).as("rows").hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i)).as("row %d (%s)", i, expected.get(i).get(kind.identity()))
                    .isEqualTo(expected.get(i));
        }
        assertThat(actual).as("rows with a null in some column").anySatisfy(row -> assertThat(row).containsValue(null));
        assertThat(actual).as("the huge value").anySatisfy(row -> assertThat(row).containsValue(HUGE));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theFilesSchemaHasTheContractsTypes(Kind kind) throws SQLException {
        Path file = parquet(kind, scopeColumn(kind), hostileScope(kind));
        List<DuckDbParquet.SchemaColumn> schema = DuckDbParquet.schema(file);
        assertThat(schema.stream().map(DuckDbParquet.SchemaColumn::name).toList()).as("columns, in export order")
                .isEqualTo(recordKind(kind).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList());
        Map<String, Column> stored = new LinkedHashMap<>();
        exportedColumns(kind).forEach(column -> stored.put(column.name(), column));
        for (DuckDbParquet.SchemaColumn column : schema) {
            Column table = stored.get(column.name());
            assertThat(table).as("column %s is a column of the table", column.name()).isNotNull();
            assertThat(column.repetition()).as("%s is optional", column.name()).isEqualTo("OPTIONAL");
            if (table.isText()) {
                assertThat(column.physicalType()).as(column.name()).isEqualTo("BYTE_ARRAY");
                assertThat(column.convertedType()).as("%s is a UTF-8 string", column.name()).isEqualTo("UTF8");
                assertThat(column.duckdbType()).isEqualTo("VARCHAR");
            } else if (table.isJson()) {
                assertThat(column.physicalType()).as(column.name()).isEqualTo("BYTE_ARRAY");
                assertThat(column.convertedType()).as("%s has the JSON type", column.name()).isEqualTo("JSON");
                assertThat(column.logicalType()).isEqualTo("JsonType()");
                assertThat(column.duckdbType()).isEqualTo("JSON");
            } else if (table.isInteger()) {
                assertThat(column.physicalType()).as(column.name()).isEqualTo("INT64");
                assertThat(column.duckdbType()).isEqualTo("BIGINT");
            } else if (table.isNumber()) {
                assertThat(column.physicalType()).as(column.name()).isEqualTo("DOUBLE");
                assertThat(column.duckdbType()).isEqualTo("DOUBLE");
            } else if (table.isTimestamp()) {
                assertThat(column.physicalType()).as(column.name()).isEqualTo("INT64");
                assertThat(column.logicalType()).as("%s: microseconds, adjusted to UTC", column.name())
                        .startsWith("TimestampType(isAdjustedToUTC=1").contains("MICROS=MicroSeconds()");
                assertThat(column.duckdbType()).isEqualTo("TIMESTAMP WITH TIME ZONE");
            } else {
                throw new AssertionError("unexpected column type " + table);
            }
        }
        assertThat(DuckDbParquet.compressions(file)).as("column chunks compressed with zstd").containsExactly("ZSTD");
    }

    // ---- the same rows as JSONL ----

    @Test
    void filtersRangeLimitAndAfterSelectTheRowsJsonlGives() {
        String scope = hostileScope(Kind.EVENT);
        List<String> all = expectedIdentities(Kind.EVENT, "agent_id = ?", scope);
        String[][] requests = {
                {"agent_id", scope},
                {"agent_id", scope, "task_id", "a,b", "task_id", "🚀 emoji 👩‍👩‍👧 and ünïcödé ✓", "task_id", ""},
                {"agent_id", scope, "from", "2026-01-01", "to", "2027-01-01T00:00:00Z"},
                {"agent_id", scope, "start_date", "1970-01-01", "end_date", "2026-03-01"},
                {"agent_id", scope, "limit", "7"},
                {"agent_id", scope, "after", afterCursor(Kind.EVENT, all.get(10)), "limit", "5"},
                {"agent_id", scope, "after", afterCursor(Kind.EVENT, all.get(all.size() - 1))},
        };
        for (String[] request : requests) {
            List<String> jsonl = identities(Kind.EVENT, jsonlBody(Kind.EVENT, request));
            List<String> parquet = parquetIdentities(Kind.EVENT, parquet(Kind.EVENT, request));
            assertThat(parquet).as("parquet rows of %s", List.of(request)).isEqualTo(jsonl);
        }
        assertThat(parquetIdentities(Kind.EVENT, parquet(Kind.EVENT, "agent_id", scope, "limit", "7")))
                .isEqualTo(all.subList(0, 7));
        assertThat(parquetIdentities(Kind.EVENT, parquet(Kind.EVENT, "agent_id", scope, "after",
                afterCursor(Kind.EVENT, all.get(10)), "limit", "5"))).isEqualTo(all.subList(11, 16));
        assertThat(parquetIdentities(Kind.EVENT, parquet(Kind.EVENT, "agent_id", scope, "task_id", "a,b")))
                .as("one filter value").hasSize(1);
    }

    @Test
    void aMergedKindResumesWithAfterLikeJsonl() {
        String scope = hostileScope(Kind.TASK);
        List<String> all = expectedIdentities(Kind.TASK, "agent_id = ?", scope);
        String cursor = afterCursor(Kind.TASK, all.get(3));
        assertThat(parquetIdentities(Kind.TASK, parquet(Kind.TASK, "agent_id", scope, "after", cursor)))
                .isEqualTo(all.subList(4, all.size()))
                .isEqualTo(identities(Kind.TASK, jsonlBody(Kind.TASK, "agent_id", scope, "after", cursor)));
    }

    /** {@code <occurred_at>|<identity>} of a stored row, its timestamp as exports write it. */
    private String afterCursor(Kind kind, String identity) {
        Map<String, Object> row = query("SELECT to_char(occurred_at AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at FROM " + kind.table() + " WHERE " + kind.identity()
                + " = ?", identity).get(0);
        return row.get("at") + "|" + identity;
    }

    @Test
    void anEmptyExportIsAValidFileWithEveryColumn() throws SQLException {
        Path file = parquet(Kind.TOOL_EXECUTION, "agent_id", unique("nobody"));
        assertThat(parquetRows(Kind.TOOL_EXECUTION, file)).isEmpty();
        assertThat(DuckDbParquet.schema(file)).extracting(DuckDbParquet.SchemaColumn::name)
                .isEqualTo(recordKind(Kind.TOOL_EXECUTION).exportedColumns().stream()
                        .map(ai.trainingstore.kind.Column::name).toList());
    }

    // ---- gzip, bad requests ----

    @Test
    void gzipIsNeverAppliedOnTopOfParquet() {
        String scope = hostileScope(Kind.MESSAGE);
        Path gzipAsked = parquetWith("gzip", Kind.MESSAGE, "conversation_id", scope);
        Path plain = parquetWith(null, Kind.MESSAGE, "conversation_id", scope);
        assertThat(parquetRows(Kind.MESSAGE, gzipAsked)).isEqualTo(parquetRows(Kind.MESSAGE, plain))
                .hasSize(expectedIdentities(Kind.MESSAGE, "conversation_id = ?", scope).size());
        // The text formats still honour it.
        assertThat(rawGet("gzip", Kind.MESSAGE, "conversation_id", scope, "limit", "1").headers()
                .firstValue("Content-Encoding")).hasValue("gzip");
    }

    @Test
    void badParquetRequestsGetA400WithTheReasonBeforeAnyByte() {
        String[][] requests = {
                {"format", "Parquet"},
                {"format", "parquet", "format", "csv"},
                {"format", "parquet", "limit", "-1"},
                {"format", "parquet", "compression", "snappy"},
                {"format", "parquet", "from", "2026-02-30"},
                {"format", "parquet", "after", "not-a-cursor"},
                {"format", "parquet", "from", "2026-02-01", "to", "2026-01-01"},
        };
        for (String[] request : requests) {
            Response response = get(Kind.EVENT, params(request));
            assertThat(response.statusCode()).as("status of %s: %s", List.of(request), response.asString())
                    .isEqualTo(400);
            assertThat(mediaType(response.contentType())).isEqualTo("application/json");
            assertThat(parse(response.asString()).get("error").asText()).as("the reason").isNotBlank();
        }
        Response unknownFormat = get(Kind.EVENT, params("format", "parquet2"));
        assertThat(parse(unknownFormat.asString()).get("error").asText()).contains("format=parquet");
        assertThat(get(Kind.EVENT, params("format", "parquet", "limit", "1")).statusCode()).isEqualTo(200);
    }
}
