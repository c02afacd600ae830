package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 4: client mistakes that were answered with 500 (or, for CSV, 200 with a header and
 * then a cut): each is a 400 with a JSON {@code {"error": ...}}, decided before the first byte of an
 * export, for JSONL and CSV alike.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class ClientMistakesTest extends HostileSupport {

    @BeforeEach
    void rows() {
        seedRows();
    }

    /** Query strings (already percent-encoded) that PostgreSQL cannot take. */
    private static final List<String> UNSTORABLE_QUERIES = List.of(
            "agent_id=a%00b",
            "after=2026-01-01T00:00:00Z%7Cx%00y",
            "to=%2B294277-01-01T00:00:00Z",
            "from=-4714-01-01T00:00:00Z",
            "from=%2B999999999-12-31T23:59:59.999999999Z",
            "to=%2B999999999-12-31T23:59:59.999999999Z",
            "after=%2B294277-01-01T00:00:00Z%7Cx",
            "start_date=-4714-01-01",
            "end_date=%2B294277-01-01");

    @Test
    void aValuePostgresCannotTakeIs400BeforeTheFirstByteInEveryFormat() {
        for (String format : List.of("jsonl", "csv")) {
            for (String kind : List.of("events", "tasks")) {
                for (String query : UNSTORABLE_QUERIES) {
                    String path = "/api/v1/export/" + kind + "?format=" + format + "&" + query;
                    RawHttp.Response response = get(path, EXPORT_TOKEN);
                    assertThat(response.status()).as("%s: %s", path, response).isEqualTo(400);
                    String error = assertJsonError(response, 400);
                    assertThat(error).as(path).isNotBlank();
                }
            }
        }
        assertExportsStillWork();
    }

    @Test
    void aNulInAFilterOfEveryKindIs400() {
        for (String kind : KINDS) {
            for (String column : filterColumns(kind)) {
                String path = "/api/v1/export/" + kind + "?format=csv&" + column + "=x%00";
                assertJsonError(get(path, EXPORT_TOKEN), 400);
            }
        }
    }

    @Test
    void aDeadLetterCursorBeyondAnyStreamIdIs400() {
        for (String after : List.of("99999999999999999999999-0", "0-99999999999999999999999",
                "18446744073709551616-0")) {
            String error = assertJsonError(get("/api/v1/dead-letters?after=" + after, EXPORT_TOKEN), 400);
            assertThat(error).as(after).contains("after");
        }
        // The largest id a stream can have: nothing comes after it (an empty page, or a 400; never a 500).
        RawHttp.Response largest = get("/api/v1/dead-letters?after=18446744073709551615-18446744073709551615",
                EXPORT_TOKEN);
        assertThat(problem(largest, false)).as("%s", largest).isNull();
    }

    @Test
    void anIngestBodyNestedTooDeepOrWithATooLongNumberIs400() {
        String deep = "{\"event_type\":\"deep\",\"agent_id\":\"a\",\"payload\":" + "[".repeat(1_001) + "]".repeat(1_001)
                + "}";
        assertJsonError(postJson("/api/v1/ingest/events", INGEST_TOKEN, deep), 400);
        assertJsonError(postJson("/api/v1/ingest/events", INGEST_TOKEN, "[".repeat(1_001) + "]".repeat(1_001)), 400);
        String longNumber = "{\"event_type\":\"num\",\"agent_id\":\"a\",\"payload\":{\"n\":" + "7".repeat(1_001) + "}}";
        assertJsonError(postJson("/api/v1/ingest/events", INGEST_TOKEN, longNumber), 400);
        String longFraction = "{\"event_type\":\"num\",\"agent_id\":\"a\",\"payload\":{\"n\":0." + "7".repeat(1_001)
                + "}}";
        assertJsonError(postJson("/api/v1/ingest/events", INGEST_TOKEN, longFraction), 400);
        String longName = "{\"event_type\":\"num\",\"agent_id\":\"a\",\"" + "k".repeat(60_000) + "\":1}";
        RawHttp.Response named = postJson("/api/v1/ingest/events", INGEST_TOKEN, longName);
        assertThat(problem(named, false)).as("a 60,000-character field name: %s", named).isNull();
    }

    @Test
    void aReplayWithIdsThatAreNotDeadLetterIdsIs400() {
        for (String body : List.of("{\"ids\":[\"\"]}", "{\"ids\":[{\"a\":1}]}", "{\"ids\":[1]}",
                "{\"ids\":[null]}", "{\"ids\":[[\"1-1\"]]}", "{\"ids\":[\"1-1\",true]}")) {
            String error = assertJsonError(postJson("/api/v1/dead-letters/replay", INGEST_TOKEN, body), 400);
            assertThat(error).as(body).contains("ids");
        }
    }
}
