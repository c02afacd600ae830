package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 5 (numbers and shapes): a record sent over HTTP is stored exactly as the same
 * record XADDed with the {@code data} encoding, digit for digit; numbers PostgreSQL cannot hold are
 * refused naming the record (the stream path dead-letters them as bad_value); an array inside the
 * array is not a record.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class IngestNumbersTest extends HostileSupport {

    @Test
    void httpIngestKeepsNumbersExactlyAsTheStreamPathDoes() {
        List<String> numbers = List.of("1E+2", "0.12345678901234567890", "12345678901234567890", "1.0", "-0",
                "1e-7", "100000000000000000000000000000.5", "2E-400");
        for (String number : numbers) {
            String agent = unique("numbers");
            String payload = "{\"n\":" + number + ",\"list\":[" + number + "]}";
            String http = agent + "-http";
            String stream = agent + "-stream";
            RawHttp.Response response = postJson("/api/v1/ingest/events", INGEST_TOKEN,
                    "{\"event_type\":\"num\",\"agent_id\":\"" + agent + "\",\"event_id\":\"" + http
                            + "\",\"payload\":" + payload + "}");
            assertThat(response.status()).as("%s: %s", number, response).isEqualTo(202);
            xadd(EVENTS, "data", "{\"event_type\":\"num\",\"agent_id\":\"" + agent + "\",\"event_id\":\"" + stream
                    + "\",\"payload\":" + payload + "}");
            awaitRows(2, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
            Map<String, Object> compared = query("SELECT h.payload::text AS http, s.payload::text AS stream,"
                    + " h.payload::text = s.payload::text AS same FROM training_data.training_events h,"
                    + " training_data.training_events s WHERE h.event_id = ? AND s.event_id = ?", http, stream).get(0);
            assertThat(compared.get("same")).as("payload of %s over HTTP %s, on the stream %s", number,
                    compared.get("http"), compared.get("stream")).isEqualTo(true);
        }
    }

    @Test
    void aNumberPostgresCannotHoldIsRefusedNamingTheRecord() throws Exception {
        for (String number : List.of("1e999999", "1e-999999", "-1e999999")) {
            RawHttp.Response response = postJson("/api/v1/ingest/events", INGEST_TOKEN,
                    "[{\"event_type\":\"ok\",\"agent_id\":\"a\"},{\"event_type\":\"num\",\"agent_id\":\"a\","
                            + "\"payload\":{\"n\":" + number + "}}]");
            assertJsonError(response, 400);
            JsonNode records = JSON.readTree(response.body()).path("records");
            assertThat(records.isArray()).as("per-record errors for %s: %s", number, response).isTrue();
            assertThat(records).as("%s", response).hasSize(1);
            assertThat(records.get(0).path("index").asInt(-1)).as("the record named").isEqualTo(1);
            assertThat(records.get(0).path("error").asText()).as("its reason").contains("payload");
        }
        // The stream path, for reference: the same record is dead-lettered as bad_value.
        String id = xadd(EVENTS, "data", "{\"event_type\":\"num\",\"agent_id\":\"a\",\"payload\":{\"n\":1e999999}}");
        assertThat(awaitDeadLetters(1, List.of(id)).get(0)).containsEntry("error_code", "bad_value");
    }

    @Test
    void anArrayInsideTheArrayIsNotARecord() throws Exception {
        for (String body : List.of("[[{\"event_type\":\"x\",\"agent_id\":\"a\"}]]",
                "[{\"event_type\":\"x\",\"agent_id\":\"a\"},[{\"event_type\":\"x\",\"agent_id\":\"a\"}]]",
                "[[{\"event_type\":\"x\",\"agent_id\":\"a\"}]]\n[{\"event_type\":\"x\",\"agent_id\":\"a\"}]")) {
            RawHttp.Response response = postJson("/api/v1/ingest/events", INGEST_TOKEN, body);
            assertJsonError(response, 400);
        }
    }
}
