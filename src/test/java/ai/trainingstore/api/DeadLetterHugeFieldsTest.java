package ai.trainingstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 finding 3: dead letters kept because they were too large hold fields of any size. With
 * 16 of 16 MB on the dead-letter stream, {@code /api/v1/stats} and {@code /api/v1/dead-letters}
 * answered 500 on every call (the count read every dead letter whole). Counts now come from Redis
 * without reading fields, the listing cuts every value in Redis (with a marker saying its size),
 * and replay answers a dead letter still over the entry limit with that reason, unread. The
 * assertions do not depend on the test's heap: the answers are 200 and cut.
 */
@QuarkusTest
class DeadLetterHugeFieldsTest extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";
    static final int HUGE = 16 * 1024 * 1024;
    static final int FIELD_BYTES = 65_536;

    private final List<String> created = new ArrayList<>();

    @AfterEach
    void deleteTheDeadLettersOfThisTest() {
        if (!created.isEmpty()) {
            streams().xdel(DEAD_LETTER, created.toArray(String[]::new));
        }
    }

    private String deadLetter(String sourceStream, String... fieldsAndValues) {
        String id = xadd(DEAD_LETTER, fieldsAndValues);
        created.add(id);
        return id;
    }

    @Test
    void statsAndListingAnswerWithSixteenDeadLettersOfSixteenMegabytes() {
        String huge = "x".repeat(HUGE);
        String first = null;
        for (int i = 0; i < 16; i++) {
            String id = deadLetter(EVENTS, "source_stream", EVENTS, "source_id", "1-" + i,
                    "error", "The entry is too large", "error_code", "too_large", "payload", huge);
            first = first == null ? id : first;
        }

        long started = System.nanoTime();
        JsonPath stats = given().auth().oauth2(EXPORT_TOKEN).get("/api/v1/stats").then().statusCode(200)
                .extract().jsonPath();
        long statsMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(stats.getLong("dead_letters")).as("the total counts them").isGreaterThanOrEqualTo(16);
        assertThat(stats.getLong("kinds.events.dead_letters")).as("counted under their source stream")
                .isGreaterThanOrEqualTo(16);
        started = System.nanoTime();
        given().auth().oauth2(EXPORT_TOKEN).get("/api/v1/stats").then().statusCode(200);
        long againMillis = (System.nanoTime() - started) / 1_000_000;

        started = System.nanoTime();
        String before = previousId(first);
        JsonPath page = given().auth().oauth2(EXPORT_TOKEN).queryParam("after", before).queryParam("limit", 100)
                .get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
        long listMillis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("16 x 16 MB dead letters: stats %d ms (recount), %d ms (again), listing %d ms%n",
                statsMillis, againMillis, listMillis);

        List<Map<String, Object>> listed = page.getList("dead_letters");
        assertThat(listed).as("the page stops on its bytes (1 MiB by default), not at 16 entries of 64 KiB")
                .hasSizeBetween(1, 16);
        Map<String, Object> one = listed.get(0);
        assertThat(one.get("id")).isEqualTo(first);
        assertThat(one.get("error_code")).isEqualTo("too_large");
        @SuppressWarnings("unchecked")
        Map<String, String> fields = (Map<String, String>) one.get("fields");
        String marker = "\u2026[cut: " + HUGE + " bytes]";
        assertThat(fields.get("payload")).endsWith(marker).hasSize(FIELD_BYTES + marker.length())
                .startsWith("xxxx");
        assertThat(one.get("cut")).isEqualTo(Map.of("payload", HUGE));
        if (listed.size() < 16) {
            assertThat(page.getString("next_after")).as("a page cut by bytes pages on")
                    .isEqualTo(listed.get(listed.size() - 1).get("id"));
        }
    }

    @Test
    void replayOfADeadLetterStillTooLargeAnswersItsReasonAndKeepsIt() {
        String id = deadLetter(EVENTS, "source_stream", EVENTS, "source_id", "1-99", "error", "too large",
                "error_code", "too_large", "event_type", "huge", "agent_id", unique("huge"), "payload",
                "y".repeat(HUGE));
        JsonPath answer = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("ids", List.of(id))).post("/api/v1/dead-letters/replay").then().statusCode(200)
                .extract().jsonPath();
        assertThat(answer.getList("replayed")).isEmpty();
        assertThat(answer.getString("not_replayed[0].id")).isEqualTo(id);
        assertThat(answer.getString("not_replayed[0].error")).contains("still").contains("16,777,")
                .contains("max-entry-bytes");
        assertThat(streams().xrange(DEAD_LETTER, io.quarkus.redis.datasource.stream.StreamRange.of(id, id)))
                .as("still a dead letter").hasSize(1);
    }

    @Test
    void replayUsesTheOriginalFieldsNotTheCutCopyShown() {
        // 200 KB: over the listing's 64 KiB, within the 1 MiB entry limit.
        String agent = unique("long-replay");
        String eventId = unique("long-event");
        String longText = "z".repeat(200_000);
        String id = deadLetter(EVENTS, "source_stream", EVENTS, "source_id", "1-7", "error", "was refused once",
                "error_code", "bad_field", "event_id", eventId, "event_type", "long", "agent_id", agent,
                "occurred_at", "2026-03-01T10:00:00Z", "payload", "{\"text\":\"" + longText + "\"}");
        JsonPath listed = given().auth().oauth2(EXPORT_TOKEN).queryParam("after", previousId(id))
                .queryParam("limit", 1).get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
        assertThat(listed.getString("dead_letters[0].fields.payload")).contains("[cut: 200011 bytes]");

        JsonPath answer = given().auth().oauth2(INGEST_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("ids", List.of(id))).post("/api/v1/dead-letters/replay").then().statusCode(200)
                .extract().jsonPath();
        assertThat(answer.getList("replayed")).as("replayed: %s", answer.prettify()).hasSize(1);
        List<Map<String, Object>> rows = awaitRows(1,
                "SELECT payload->>'text' AS text FROM training_data.training_events WHERE event_id = ?", eventId);
        assertThat((String) rows.get(0).get("text")).as("the original value, whole").isEqualTo(longText);
        created.remove(id);
    }

    @Test
    void aValueIsCutOnACharacterBoundary() {
        // 'é' is 2 bytes: 65,535 bytes of 'a' then 'é' would split it at 65,536.
        String value = "a".repeat(FIELD_BYTES - 1) + "\u00e9".repeat(10);
        String id = deadLetter(EVENTS, "source_stream", EVENTS, "source_id", "1-8", "error", "x",
                "error_code", "bad_field", "note", value);
        JsonPath listed = given().auth().oauth2(EXPORT_TOKEN).queryParam("after", previousId(id))
                .queryParam("limit", 1).get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
        assertThat(listed.getString("dead_letters[0].fields.note"))
                .isEqualTo("a".repeat(FIELD_BYTES - 1) + "\u2026[cut: " + (FIELD_BYTES + 19) + " bytes]");
    }

    /** The id just before this one, for an exclusive {@code after}. */
    static String previousId(String id) {
        String[] parts = id.split("-");
        long sequence = Long.parseLong(parts[1]);
        return sequence > 0 ? parts[0] + "-" + (sequence - 1) : (Long.parseLong(parts[0]) - 1) + "-99999";
    }
}
