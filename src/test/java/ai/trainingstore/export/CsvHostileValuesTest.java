package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Text that breaks naive CSV (quotes, commas, CR/LF, tabs, emoji, a leading '=', spaces at either
 * end, PostgreSQL's own markers) comes out of the CSV export exactly as stored, as read by three
 * independent CSV readers: Jackson's, Python's csv module and PostgreSQL's COPY. An empty string
 * and an absent (null) field stay different: a quoted empty field and an unquoted one.
 */
@QuarkusTest
class CsvHostileValuesTest extends ExportTestSupport {

    static final List<String> HOSTILE = List.of(
            "say \"hi\"", "\"", "\"\"", "\"quote at start", "quote at end\"",
            "a,b", ",", "ends with comma,",
            "line1\r\nline2", "line1\nline2", "cr\ronly", "\r\n", "\n", "trailing newline\n",
            "tab\there", "\t",
            "🚀 emoji 👩‍👩‍👧 and ünïcödé ✓",
            "=SUM(A1:A2)", "=1+2", "+1", "-1", "@cmd",
            "  leading and trailing  ", " ", "  ",
            "#not a comment", "\\N", "\\.", "a\n\\.\nb", "NULL", "null", "'single'", "back\\slash\\",
            "\u0001 control \u001f", "line\u2028separator\u2029", "semi;colon", "\uFEFFbyte order mark",
            "a\"\"b", "\"a,b\"", "x\r\n\"y\",z\r\n");

    private static String hostileAgent;
    private static String nullAgent;
    private static final Map<String, String> HOSTILE_BY_ID = new LinkedHashMap<>();

    /** One event per hostile value, the value in every text column it may fill, in JSON too. */
    private synchronized String hostileAgent() {
        if (hostileAgent == null) {
            String agent = unique("hostile-agent");
            List<Map<String, String>> entries = new ArrayList<>();
            for (int i = 0; i < HOSTILE.size(); i++) {
                String value = HOSTILE.get(i);
                String id = "hostile-" + i + "-" + UUID.randomUUID() + value;
                HOSTILE_BY_ID.put(id, value);
                String json = JSON.createObjectNode().put("v", value).toString();
                entries.add(fields("event_id", id, "event_type", "type:" + value, "agent_id", agent,
                        "task_id", value, "workflow_id", value + value, "session_id", value, "payload", json,
                        "note", value));
            }
            awaitStored(EVENTS, xaddTogether(EVENTS, entries));
            for (Map<String, Object> row : query("SELECT event_id, task_id FROM training_data.training_events"
                    + " WHERE agent_id = ?", agent)) {
                assertThat(row.get("task_id")).as("stored as published, so the export is compared with the source")
                        .isEqualTo(HOSTILE_BY_ID.get((String) row.get("event_id")));
            }
            hostileAgent = agent;
        }
        return hostileAgent;
    }

    /** Events with empty strings and absent (null) fields, in both encodings. */
    private synchronized String nullAgent() {
        if (nullAgent == null) {
            String agent = unique("empty-or-null-agent");
            List<String> entries = new ArrayList<>();
            entries.add(xadd(EVENTS, "event_type", "empty-flat", "agent_id", agent, "task_id", "", "session_id", ""));
            entries.add(xadd(EVENTS, "data", """
                    {"event_type": "empty-document", "agent_id": "%s", "task_id": "", "workflow_id": null,
                     "session_id": "\\"\\"", "payload": null, "empty": ""}
                    """.formatted(agent)));
            entries.add(xadd(EVENTS, "event_type", "all-absent", "agent_id", agent));
            awaitStored(EVENTS, entries);
            assertThat(query("SELECT count(*) AS n FROM training_data.training_events WHERE agent_id = ?"
                    + " AND task_id = '' AND workflow_id IS NULL", agent).get(0).get("n")).isEqualTo(2L);
            nullAgent = agent;
        }
        return nullAgent;
    }

    /** The stored rows as their CSV records must be, in the exporter's column order. */
    private List<List<String>> expectedRecords(String agent) {
        List<String> header = header();
        List<String> tableOrder = exportedColumnNames(Kind.EVENT);
        List<List<String>> records = new ArrayList<>();
        for (Map<String, Object> row : expectedRows(Kind.EVENT, "agent_id = ?", agent)) {
            List<String> values = asCsv(Kind.EVENT, row);
            records.add(header.stream().map(name -> values.get(tableOrder.indexOf(name))).toList());
        }
        return records;
    }

    private static List<String> header() {
        return recordKind(Kind.EVENT).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList();
    }

    // ---- hostile values ----

    @Test
    void hostileValuesRoundTripThroughJacksonsCsvReader() {
        String agent = hostileAgent();
        List<List<String>> expected = expectedRecords(agent);
        assertThat(expected).hasSize(HOSTILE.size());
        List<List<String>> records = csvRecords(csvBody(Kind.EVENT, "agent_id", agent));
        assertThat(records.get(0)).isEqualTo(header());
        assertThat(records.subList(1, records.size())).isEqualTo(expected);
    }

    @Test
    void hostileValuesRoundTripThroughPythonsCsvModule() throws Exception {
        String agent = hostileAgent();
        PythonCsv python = readWithPython(csvBody(Kind.EVENT, "agent_id", agent));
        assertThat(python.records().get(0)).isEqualTo(header());
        assertThat(python.records().subList(1, python.records().size())).isEqualTo(expectedRecords(agent));
    }

    @Test
    void hostileValuesRoundTripThroughPostgresCopy() throws Exception {
        String agent = hostileAgent();
        copyIntoPostgres(csvBody(Kind.EVENT, "agent_id", agent), agent);
    }

    @Test
    void hostileValuesAreTheSameInTheJsonlExport() {
        String agent = hostileAgent();
        for (JsonNode row : jsonlRows(jsonlBody(Kind.EVENT, "agent_id", agent))) {
            String value = HOSTILE_BY_ID.get(row.get("event_id").asText());
            assertThat(value).as("a row of this test").isNotNull();
            assertThat(row.get("task_id").asText()).isEqualTo(value);
            assertThat(row.get("event_type").asText()).isEqualTo("type:" + value);
            assertThat(row.get("payload").get("v").asText()).isEqualTo(value);
            assertThat(row.get("attributes").get("note").asText()).isEqualTo(value);
        }
    }

    // ---- empty string and null ----

    @Test
    void anEmptyStringAndANullStayDistinctThroughJacksonsCsvReader() {
        String agent = nullAgent();
        String csv = csvBody(Kind.EVENT, "agent_id", agent);
        List<List<String>> records = csvRecords(csv);
        assertThat(records).hasSize(4);
        for (List<String> record : records) {
            assertThat(record).as("every record has every column").hasSameSizeAs(header());
        }
        assertThat(records.subList(1, records.size())).isEqualTo(expectedRecords(agent));
    }

    @Test
    void anEmptyStringAndANullStayDistinctThroughPythonsCsvModule() throws Exception {
        String agent = nullAgent();
        PythonCsv python = readWithPython(csvBody(Kind.EVENT, "agent_id", agent));
        List<List<String>> expected = expectedRecords(agent);
        if (!python.distinguishesNull()) {
            // Before Python 3.12 the csv module reads a quoted and an unquoted empty field alike.
            expected = expected.stream().map(record -> record.stream().map(v -> v == null ? "" : v).toList()).toList();
        }
        for (List<String> record : python.records()) {
            assertThat(record).as("every record has every column").hasSameSizeAs(header());
        }
        assertThat(python.records().subList(1, python.records().size())).isEqualTo(expected);
    }

    @Test
    void anEmptyStringAndANullStayDistinctThroughPostgresCopy() throws Exception {
        String agent = nullAgent();
        copyIntoPostgres(csvBody(Kind.EVENT, "agent_id", agent), agent);
    }

    // ---- readers ----

    private record PythonCsv(boolean distinguishesNull, List<List<String>> records) {
    }

    private static final String PYTHON = """
            import csv, json, sys
            options = {'strict': True}
            distinguishes = hasattr(csv, 'QUOTE_NOTNULL')
            if distinguishes:
                options['quoting'] = csv.QUOTE_NOTNULL
            with open(sys.argv[1], newline='', encoding='utf-8') as f:
                rows = list(csv.reader(f, **options))
            print(json.dumps({'distinguishes_null': distinguishes, 'rows': rows}))
            """;

    /** Reads the CSV with python3's csv module (from a file opened with newline='', as its documentation says). */
    private static PythonCsv readWithPython(String csv) throws IOException, InterruptedException {
        Path file = Files.createTempFile("export", ".csv");
        try {
            Files.writeString(file, csv, StandardCharsets.UTF_8);
            Process process = new ProcessBuilder("python3", "-c", PYTHON, file.toString()).start();
            byte[] out = process.getInputStream().readAllBytes();
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("python3 finished").isTrue();
            assertThat(process.exitValue()).as("python3 exit status; stderr: %s", err).isZero();
            JsonNode result = JSON.readTree(out);
            List<List<String>> records = new ArrayList<>();
            for (JsonNode row : result.get("rows")) {
                List<String> record = new ArrayList<>();
                row.forEach(value -> record.add(value.isNull() ? null : value.textValue()));
                records.add(record);
            }
            return new PythonCsv(result.get("distinguishes_null").booleanValue(), records);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Loads the CSV with PostgreSQL's own reader (COPY ... FORMAT csv, HEADER) into a temporary
     * table of text columns, compares the copied rows with the expected records, then checks in
     * SQL that every copied value equals the stored one (text exactly, with NULL only where the
     * source is NULL; JSON and timestamps by value).
     */
    private void copyIntoPostgres(String csv, String agent) throws SQLException, IOException {
        List<String> header = header();
        try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
            String columns = String.join(", ", header);
            statement.execute("CREATE TEMP TABLE copied (line bigserial, "
                    + String.join(", ", header.stream().map(name -> name + " text").toList()) + ")");
            try {
                long copiedRows;
                try {
                    copiedRows = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(
                            "COPY copied (" + columns + ") FROM STDIN WITH (FORMAT csv, HEADER true)",
                            new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)));
                } catch (SQLException e) {
                    throw new AssertionError("PostgreSQL's COPY cannot read the CSV export: " + e.getMessage()
                            + "\nThe export:\n" + csv, e);
                }
                assertThat(copiedRows).as("rows COPY read").isEqualTo(expectedRows(Kind.EVENT, "agent_id = ?", agent)
                        .size());

                List<List<String>> result = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery("SELECT " + columns + " FROM copied ORDER BY line")) {
                    while (rows.next()) {
                        List<String> record = new ArrayList<>();
                        for (int i = 1; i <= header.size(); i++) {
                            record.add(rows.getString(i));
                        }
                        result.add(record);
                    }
                }
                assertThat(result).as("rows as PostgreSQL's COPY read them").isEqualTo(expectedRecords(agent));

                List<String> differences = new ArrayList<>();
                for (Column column : exportedColumns(Kind.EVENT)) {
                    String copiedValue = column.isJson() ? "c." + column.name() + "::jsonb"
                            : column.isTimestamp() ? "c." + column.name() + "::timestamptz"
                            : column.isInteger() ? "c." + column.name() + "::bigint" : "c." + column.name();
                    try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM copied c"
                            + " FULL JOIN (SELECT * FROM training_data.training_events WHERE agent_id = "
                            + quote(agent) + ") e ON e.event_id = c.event_id"
                            + " WHERE " + copiedValue + " IS DISTINCT FROM e." + column.name())) {
                        rows.next();
                        if (rows.getLong(1) != 0) {
                            differences.add(column.name() + " (" + rows.getLong(1) + " rows)");
                        }
                    }
                }
                assertThat(differences).as("columns whose copied value differs from the stored one").isEmpty();
            } finally {
                statement.execute("DROP TABLE copied");
            }
        }
    }

    private static String quote(String literal) {
        return "'" + literal.replace("'", "''") + "'";
    }
}
