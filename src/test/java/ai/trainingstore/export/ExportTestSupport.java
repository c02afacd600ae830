package ai.trainingstore.export;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * What the export tests share: requests with the export token, the rows PostgreSQL holds in the
 * form an export must show them (worked out from the database's own catalogue and {@code to_char},
 * not from the exporter's code), and readers for JSONL and CSV bodies.
 */
abstract class ExportTestSupport extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";
    static final String ALL_TOKEN = "test-all-token";

    static final String JSONL_TYPE = "application/x-ndjson";
    static final String CSV_TYPE = "text/csv";

    /** Exactly how every exported timestamp looks: UTC, six fraction digits, Z. */
    static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z");

    /** The merge state of merged kinds, which exports leave out. */
    static final List<String> INTERNAL_COLUMNS = List.of("version", "field_versions", "attribute_versions");

    /** A column of a table as PostgreSQL describes it. */
    record Column(String name, String type) {
        boolean isText() {
            return type.equals("text");
        }

        boolean isJson() {
            return type.equals("jsonb");
        }

        boolean isInteger() {
            return type.equals("bigint");
        }

        boolean isTimestamp() {
            return type.equals("timestamp with time zone");
        }

        boolean isNumber() {
            return type.equals("double precision");
        }
    }

    /**
     * The shortest exact decimal of a double: the fewest significant digits that read back as the
     * same double (the nearest such decimal), worked out here by rounding the double's exact value
     * at 2, 3, ... 17 digits, not by the exporter's formatter. From two digits, as Java writes
     * {@code d.dE±n} (its Double.toString since Java 19, and Jackson's Schubfach): this differs from
     * starting at one digit only for the smallest subnormals ({@code 4.9E-324}, not {@code 5E-324});
     * for every other double the one-digit decimal, when it reads back, equals the two-digit one.
     */
    static BigDecimal shortestDecimal(double value) {
        BigDecimal exact = new BigDecimal(value);
        for (int digits = 2; digits <= 17; digits++) {
            BigDecimal rounded = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == value) {
                return rounded.stripTrailingZeros();
            }
        }
        throw new AssertionError("17 digits always suffice for a double: " + value);
    }

    /** A number's text reduced to its value, so that {@code -3.0}, {@code -3} and {@code -3e0} compare equal. */
    static String canonicalNumber(String text) {
        return text == null ? null : new BigDecimal(text).stripTrailingZeros().toString();
    }

    private static final Map<Kind, List<Column>> COLUMNS = new ConcurrentHashMap<>();

    /** The kind's name in the export URL. */
    static String urlName(Kind kind) {
        return kind.urlName();
    }

    static String exportPath(Kind kind) {
        return "/api/v1/export/" + urlName(kind);
    }

    /** The columns an export of the kind must have: the table's, without the merge state. */
    List<Column> exportedColumns(Kind kind) {
        return COLUMNS.computeIfAbsent(kind, k -> {
            String table = k.table().substring(k.table().indexOf('.') + 1);
            List<Column> columns = new ArrayList<>();
            for (Map<String, Object> row : query("SELECT column_name, data_type FROM information_schema.columns"
                    + " WHERE table_schema = 'training_data' AND table_name = ? ORDER BY ordinal_position", table)) {
                String name = (String) row.get("column_name");
                if (!INTERNAL_COLUMNS.contains(name)) {
                    columns.add(new Column(name, (String) row.get("data_type")));
                }
            }
            assertThat(columns).as("columns of %s", table).isNotEmpty();
            return List.copyOf(columns);
        });
    }

    List<String> exportedColumnNames(Kind kind) {
        return exportedColumns(kind).stream().map(Column::name).toList();
    }

    /** The text columns of the kind a filter may name: its text fields, not the store's stream_entry_id. */
    List<String> filterableColumns(Kind kind) {
        return exportedColumns(kind).stream().filter(Column::isText).map(Column::name)
                .filter(name -> !name.equals("stream_entry_id")).toList();
    }

    /**
     * The stored rows matching the condition, in export order, each value as the export must show
     * it: text as is, JSON as its text, integers as Long, numbers as Double, timestamps formatted by
     * PostgreSQL in UTC with microseconds.
     */
    List<Map<String, Object>> expectedRows(Kind kind, String condition, Object... parameters) {
        StringBuilder select = new StringBuilder("SELECT ");
        List<Column> columns = exportedColumns(kind);
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            select.append(i == 0 ? "" : ", ");
            if (column.isJson()) {
                select.append(column.name()).append("::text AS ").append(column.name());
            } else if (column.isTimestamp()) {
                select.append("to_char(").append(column.name())
                        .append(" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS ").append(column.name());
            } else {
                select.append(column.name());
            }
        }
        select.append(" FROM ").append(kind.table()).append(" WHERE ").append(condition)
                .append(" ORDER BY occurred_at, ").append(kind.identity());
        return query(select.toString(), parameters);
    }

    /** The identities of the stored rows matching the condition, in export order. */
    List<String> expectedIdentities(Kind kind, String condition, Object... parameters) {
        return query("SELECT " + kind.identity() + " AS id FROM " + kind.table() + " WHERE " + condition
                + " ORDER BY occurred_at, " + kind.identity(), parameters).stream()
                .map(row -> (String) row.get("id")).toList();
    }

    /** A stored row as its JSONL object must be (numbers canonical, as {@link #canonical} makes them). */
    ObjectNode asJsonl(Kind kind, Map<String, Object> row) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (Column column : exportedColumns(kind)) {
            Object value = row.get(column.name());
            if (value == null) {
                node.set(column.name(), NullNode.getInstance());
            } else if (column.isJson()) {
                node.set(column.name(), json((String) value));
            } else if (column.isInteger()) {
                node.set(column.name(), canonical(JsonNodeFactory.instance.numberNode(
                        new BigDecimal(((Number) value).longValue()))));
            } else if (column.isNumber()) {
                node.set(column.name(), canonical(JsonNodeFactory.instance.numberNode(
                        shortestDecimal(((Number) value).doubleValue()))));
            } else {
                node.set(column.name(), TextNode.valueOf(value.toString()));
            }
        }
        return node;
    }

    /**
     * A stored row as its CSV record must be: JSON as compact text, null as null (an unquoted empty
     * field), a number as its shortest exact decimal in {@link #canonicalNumber} form (compare it
     * with the exported text put in the same form).
     */
    List<String> asCsv(Kind kind, Map<String, Object> row) {
        List<String> record = new ArrayList<>();
        for (Column column : exportedColumns(kind)) {
            Object value = row.get(column.name());
            record.add(value == null ? null : column.isJson() ? compact((String) value)
                    : column.isNumber() ? canonicalNumber(shortestDecimal(((Number) value).doubleValue()).toString())
                    : value.toString());
        }
        return record;
    }

    /**
     * JSON text without the whitespace between tokens (PostgreSQL prints jsonb with a space after
     * ':' and ','); strings are left exactly as they are.
     */
    static String compact(String json) {
        StringBuilder out = new StringBuilder(json.length());
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\') {
                    out.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Waits until the entries are acknowledged (so committed), and checks none was dead-lettered. */
    void awaitStored(String stream, List<String> entryIds) {
        awaitAcknowledged(stream, entryIds);
        assertThat(deadLetters(entryIds)).as("dead letters among the published entries").isEmpty();
    }

    // ---- Requests ----

    /** A request with the export token. */
    static RequestSpecification export() {
        return given().auth().oauth2(EXPORT_TOKEN);
    }

    /** Query parameters as name/value pairs; a name may come more than once. */
    static Map<String, List<String>> params(String... namesAndValues) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            params.computeIfAbsent(namesAndValues[i], name -> new ArrayList<>()).add(namesAndValues[i + 1]);
        }
        return params;
    }

    /** GET of an export with these parameters (URL-encoded by REST Assured). */
    static Response get(Kind kind, Map<String, List<String>> params) {
        RequestSpecification request = export();
        params.forEach((name, values) -> request.queryParam(name, values));
        return request.get(exportPath(kind));
    }

    /** The body of a successful export, checking its status and media type. */
    static String body(Kind kind, String format, String... namesAndValues) {
        Map<String, List<String>> params = params(namesAndValues);
        if (format != null) {
            params.put("format", List.of(format));
        }
        Response response = get(kind, params);
        assertThat(response.statusCode()).as("status of export %s %s: %s", urlName(kind), params,
                response.asString()).isEqualTo(200);
        assertThat(mediaType(response.contentType())).as("media type")
                .isEqualTo("csv".equals(format) ? CSV_TYPE : JSONL_TYPE);
        return new String(response.asByteArray(), StandardCharsets.UTF_8);
    }

    static String jsonlBody(Kind kind, String... namesAndValues) {
        return body(kind, null, namesAndValues);
    }

    static String csvBody(Kind kind, String... namesAndValues) {
        return body(kind, "csv", namesAndValues);
    }

    static String mediaType(String contentType) {
        return contentType == null ? null : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    }

    // ---- Raw HTTP (no automatic decompression, bodies as streams) ----

    /** An HTTP/1.1 client that neither adds Accept-Encoding nor decompresses anything. */
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    /** The URI of an export with these parameters, each name and value URL-encoded. */
    static URI exportUri(Kind kind, String... namesAndValues) {
        StringBuilder uri = new StringBuilder("http://localhost:").append(RestAssured.port)
                .append(exportPath(kind));
        for (int i = 0; i < namesAndValues.length; i += 2) {
            uri.append(i == 0 ? '?' : '&').append(urlEncode(namesAndValues[i])).append('=')
                    .append(urlEncode(namesAndValues[i + 1]));
        }
        return URI.create(uri.toString());
    }

    static String urlEncode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A GET of an export with the export token and, unless null, an Accept-Encoding header. */
    static HttpRequest rawRequest(String acceptEncoding, Kind kind, String... namesAndValues) {
        HttpRequest.Builder request = HttpRequest.newBuilder(exportUri(kind, namesAndValues))
                .header("Authorization", "Bearer " + EXPORT_TOKEN)
                .timeout(Duration.ofSeconds(60));
        if (acceptEncoding != null) {
            request.header("Accept-Encoding", acceptEncoding);
        }
        return request.GET().build();
    }

    /** The whole response, its body as the bytes sent. */
    static HttpResponse<byte[]> rawGet(String acceptEncoding, Kind kind, String... namesAndValues) {
        try {
            return HTTP.send(rawRequest(acceptEncoding, kind, namesAndValues),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- Reading bodies ----

    /** The lines of a JSONL body: each one ends with '\n' and is a JSON object. */
    static List<String> jsonlLines(String body) {
        if (body.isEmpty()) {
            return List.of();
        }
        assertThat(body).as("a JSONL body ends with a newline").endsWith("\n");
        List<String> lines = List.of(body.substring(0, body.length() - 1).split("\n", -1));
        for (String line : lines) {
            assertThat(parse(line).isObject()).as("line is a JSON object: %s", line).isTrue();
        }
        return lines;
    }

    /** The rows of a JSONL body, as parsed (numbers exact). */
    static List<JsonNode> jsonlRows(String body) {
        return jsonlLines(body).stream().map(ExportTestSupport::parse).toList();
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("Not JSON: " + json, e);
        }
    }

    static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The records of a CSV body, header first, read by Jackson's CSV parser: a quoted empty field
     * is an empty string, an unquoted empty field null.
     */
    static List<List<String>> csvRecords(String body) {
        CsvMapper mapper = new CsvMapper();
        try (MappingIterator<List<String>> records = mapper.readerForListOf(String.class)
                .with(CsvSchema.emptySchema())
                .with(CsvParser.Feature.WRAP_AS_ARRAY)
                .with(CsvParser.Feature.EMPTY_UNQUOTED_STRING_AS_NULL)
                .readValues(body)) {
            List<List<String>> result = new ArrayList<>();
            while (records.hasNext()) {
                result.add(records.next());
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CSV records after the header, checking the header is the kind's column names. */
    List<List<String>> csvRows(Kind kind, String body) {
        List<List<String>> records = csvRecords(body);
        assertThat(records).as("a CSV export starts with its header row").isNotEmpty();
        assertThat(records.get(0)).as("CSV header").isEqualTo(recordKind(kind).exportedColumns().stream()
                .map(ai.trainingstore.kind.Column::name).toList());
        return records.subList(1, records.size());
    }

    /** The identity column of each JSONL row. */
    static List<String> identities(Kind kind, String jsonlBody) {
        return jsonlRows(jsonlBody).stream().map(row -> row.get(kind.identity()).asText()).toList();
    }

    static ai.trainingstore.kind.RecordKind recordKind(Kind kind) {
        return kind.recordKind();
    }
}
