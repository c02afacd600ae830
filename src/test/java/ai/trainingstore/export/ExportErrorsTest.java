package ai.trainingstore.export;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every bad export request is refused before any row is sent, with its status and a JSON
 * {@code {"error": ...}} that names the problem (contract section 4): never a silent full export.
 */
@QuarkusTest
class ExportErrorsTest extends ExportTestSupport {

    /** The request's answer: status and JSON error, its message returned. */
    private static String refused(Response response, int status) {
        assertThat(response.statusCode()).as("status; body: %s", response.asString()).isEqualTo(status);
        assertThat(mediaType(response.contentType())).as("errors are JSON").isEqualTo("application/json");
        JsonPath json = response.jsonPath();
        String error = json.getString("error");
        assertThat(error).as("the error message").isNotBlank();
        assertThat(json.getMap("$")).as("only the error").containsOnlyKeys("error");
        return error;
    }

    private static String refused(int status, Kind kind, String... namesAndValues) {
        return refused(get(kind, params(namesAndValues)), status);
    }

    @Test
    void anUnknownKindIs404AndListsTheKinds() {
        for (String kind : List.of("event", "Events", "training_events", "dead-letter")) {
            String error = refused(export().get("/api/v1/export/" + kind), 404);
            assertThat(error).as(kind).contains("'" + kind + "'")
                    .contains("events", "tasks", "tool_executions", "workflows", "messages");
        }
    }

    @Test
    void anUnknownParameterIs400NamingItAndTheAllowedColumns() {
        String error = refused(400, Kind.EVENT, "colour", "red");
        assertThat(error).contains("colour").contains(filterableColumns(Kind.EVENT));
        error = refused(400, Kind.MESSAGE, "Format", "csv");
        assertThat(error).as("parameter names are case-sensitive").contains("'Format'")
                .contains(filterableColumns(Kind.MESSAGE));
        error = refused(400, Kind.TASK, "agent_id", "a", "status ", "x");
        assertThat(error).contains("'status '");
    }

    @Test
    void aFilterOnAColumnThatIsNotATextColumnIs400() {
        for (String column : List.of("payload", "attributes", "occurred_at", "ingested_at", "stream_entry_id",
                "version", "nonexistent_column")) {
            String error = refused(400, Kind.EVENT, "agent_id", "a", column, "x");
            assertThat(error).as(column).contains("'" + column + "'").contains(filterableColumns(Kind.EVENT));
        }
        assertThat(refused(400, Kind.TOOL_EXECUTION, "duration_ms", "5")).contains("'duration_ms'");
        assertThat(refused(400, Kind.MESSAGE, "seq", "1")).contains("'seq'");
        assertThat(refused(400, Kind.WORKFLOW, "agent_ids", "[]")).contains("'agent_ids'");
        assertThat(refused(400, Kind.TASK, "first_occurred_at", "2026-01-01")).contains("'first_occurred_at'");
        assertThat(refused(400, Kind.EVENT, "agent_id;DROP TABLE x", "1")).contains("agent_id;DROP TABLE x");
    }

    @Test
    void aBadDateIs400NamingTheParameterAndTheValue() {
        for (String parameter : List.of("from", "to", "start_date", "end_date")) {
            for (String value : List.of("yesterday", "2026-13-01", "2026-02-30", "2026-04-01T10:00:00",
                    "2026-04-01 10:00:00Z", "1767225600123", "", "2026-4-1")) {
                String error = refused(400, Kind.EVENT, parameter, value);
                assertThat(error).as("%s=%s", parameter, value).contains("'" + parameter + "'")
                        .contains("'" + value + "'");
            }
        }
    }

    @Test
    void fromNotBeforeToIs400() {
        assertThat(refused(400, Kind.EVENT, "from", "2026-04-02T00:00:00Z", "to", "2026-04-01T00:00:00Z"))
                .contains("before");
        assertThat(refused(400, Kind.EVENT, "from", "2026-04-01T00:00:00Z", "to", "2026-04-01T00:00:00Z"))
                .as("an empty range").contains("before");
        assertThat(refused(400, Kind.EVENT, "start_date", "2026-04-02", "end_date", "2026-04-01"))
                .contains("before");
        assertThat(refused(400, Kind.EVENT, "from", "2026-04-01T02:00:00+02:00", "to", "2026-04-01T00:00:00Z"))
                .as("the same instant in two offsets").contains("before");
    }

    @Test
    void anUnknownFormatIs400NamingTheFormats() {
        for (String format : List.of("xml", "JSONL", "CSV", "ndjson", "json", "")) {
            assertThat(refused(400, Kind.EVENT, "format", format)).as(format).contains("'" + format + "'")
                    .contains("jsonl", "csv");
        }
    }

    @Test
    void aBadLimitIs400() {
        for (String limit : List.of("-1", "abc", "1.5", "", " 1", "1e3", "99999999999999999999")) {
            assertThat(refused(400, Kind.EVENT, "limit", limit)).as("limit=%s", limit).contains("limit")
                    .contains("'" + limit + "'");
        }
    }

    @Test
    void aBadAfterCursorIs400() {
        for (String after : List.of("2026-01-01T00:00:00Z", "|evt-1", "2026-01-01T00:00:00Z|", "yesterday|evt-1",
                "2026-01-01|evt-1", "2026-01-01T00:00:00|evt-1", "", "evt-1|2026-01-01T00:00:00Z")) {
            assertThat(refused(400, Kind.EVENT, "after", after)).as("after=%s", after).contains("after")
                    .contains("'" + after + "'");
        }
    }

    @Test
    void aParameterGivenTwiceWhereOnlyOneIsAllowedIs400() {
        assertThat(refused(400, Kind.EVENT, "format", "csv", "format", "csv")).contains("'format'").contains("2 times");
        assertThat(refused(400, Kind.EVENT, "limit", "1", "limit", "2")).contains("'limit'");
        assertThat(refused(400, Kind.EVENT, "from", "2026-01-01", "from", "2026-01-02")).contains("'from'");
        assertThat(refused(400, Kind.EVENT, "to", "2026-01-01", "to", "2026-01-02")).contains("'to'");
        assertThat(refused(400, Kind.EVENT, "after", "2026-01-01T00:00:00Z|a", "after", "2026-01-01T00:00:00Z|b"))
                .contains("'after'");
        assertThat(refused(400, Kind.EVENT, "from", "2026-01-01", "start_date", "2026-01-01"))
                .as("a parameter and its alias").contains("'from'").contains("'start_date'");
        assertThat(refused(400, Kind.EVENT, "to", "2026-01-02", "end_date", "2026-01-02"))
                .contains("'to'").contains("'end_date'");
    }

    // ---- authentication ----

    private static RequestSpecification anExportRequest(RequestSpecification request) {
        return request.queryParam("agent_id", unique("nobody")).queryParam("limit", 1);
    }

    @Test
    void withoutATokenTheAnswerIs401() {
        String error = refused(anExportRequest(given()).get(exportPath(Kind.EVENT)), 401);
        assertThat(error).contains("Bearer");
        Response response = anExportRequest(given()).get(exportPath(Kind.EVENT));
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
    }

    @Test
    void withAnUnknownTokenTheAnswerIs401() {
        refused(anExportRequest(given().auth().oauth2("wrong-token")).get(exportPath(Kind.EVENT)), 401);
        refused(anExportRequest(given().header("Authorization", "Basic dGVzdDp0ZXN0")).get(exportPath(Kind.EVENT)),
                401);
        refused(anExportRequest(given().header("Authorization", "Bearer " + EXPORT_TOKEN + "x"))
                .get(exportPath(Kind.EVENT)), 401);
    }

    @Test
    void aTokenWithoutTheExportScopeGets403() {
        String error = refused(anExportRequest(given().auth().oauth2(INGEST_TOKEN)).get(exportPath(Kind.EVENT)), 403);
        assertThat(error).contains("export");
    }

    @Test
    void aTokenWithBothScopesMayExport() {
        anExportRequest(given().auth().oauth2(ALL_TOKEN)).get(exportPath(Kind.EVENT)).then().statusCode(200);
    }

    @Test
    void authenticationIsCheckedBeforeTheParameters() {
        refused(given().queryParam("colour", "red").get(exportPath(Kind.EVENT)), 401);
        refused(given().auth().oauth2(INGEST_TOKEN).queryParam("limit", "-1").get(exportPath(Kind.EVENT)), 403);
    }
}
