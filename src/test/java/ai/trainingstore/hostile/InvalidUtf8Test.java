package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 5 (encoding): bytes that are not UTF-8 are refused, not silently replaced with
 * U+FFFD: an ingest body gets 400 saying so; a stream entry is dead-lettered as bad_value, and the
 * entries after it are stored as usual.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class InvalidUtf8Test extends HostileSupport {

    private static byte[] concat(String before, byte[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(raw);
        out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @Test
    void anIngestBodyThatIsNotUtf8Is400SayingSo() {
        String agent = unique("bad-utf8");
        for (byte[] raw : List.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF},
                new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})) {
            byte[] body = concat("{\"event_type\":\"utf8\",\"agent_id\":\"" + agent + "\",\"payload\":{\"s\":\"a", raw,
                    "b\"}}");
            RawHttp.Response response = post("/api/v1/ingest/events", INGEST_TOKEN, "application/json", body);
            String error = assertJsonError(response, 400);
            assertThat(error).as("reason for bytes %s", java.util.HexFormat.of().formatHex(raw)).contains("UTF-8");
        }
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent))
                .as("nothing stored").isZero();
    }

    @Test
    void aStreamEntryThatIsNotUtf8IsDeadLetteredAndTheNextOneStored() {
        String agent = unique("bad-utf8-stream");
        String badId;
        String goodId;
        try (RedisWire wire = new RedisWire()) {
            badId = wire.text("XADD", EVENTS, "*", "event_type", "utf8", "agent_id", agent, "note",
                    new byte[] {'a', (byte) 0xC3, 0x28, 'b'});
            goodId = wire.text("XADD", EVENTS, "*", "event_type", "utf8", "agent_id", agent + "-good");
        }
        // The good entry after it is stored, and both are acknowledged: by then the bad one is dead-lettered.
        awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent + "-good");
        awaitAcknowledged(EVENTS, List.of(badId, goodId));
        assertThat(query("SELECT attributes->>'note' AS note FROM training_data.training_events WHERE agent_id = ?",
                agent)).as("the bad entry must not be stored (U+FFFD in place of"
                + " the bytes)").isEmpty();
        List<Map<String, String>> deadLetters = deadLetters(List.of(badId));
        assertThat(deadLetters).as("dead letters of the entry that is not UTF-8").hasSize(1);
        assertThat(deadLetters.get(0)).containsEntry("error_code", "bad_value");
        assertThat(deadLetters.get(0).get("error")).contains("UTF-8");
    }

    @Test
    void aDataDocumentThatIsNotUtf8IsDeadLettered() {
        String agent = unique("bad-utf8-data");
        String badId;
        try (RedisWire wire = new RedisWire()) {
            badId = wire.text("XADD", EVENTS, "*", "data", concat("{\"event_type\":\"utf8\",\"agent_id\":\"" + agent
                    + "\",\"payload\":\"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"));
        }
        awaitAcknowledged(EVENTS, List.of(badId));
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent))
                .as("the document that is not UTF-8 must not be stored").isZero();
        List<Map<String, String>> deadLetters = deadLetters(List.of(badId));
        assertThat(deadLetters).as("dead letters of the document that is not UTF-8").hasSize(1);
        assertThat(deadLetters.get(0)).containsEntry("error_code", "bad_value");
        assertThat(deadLetters.get(0).get("error")).contains("UTF-8");
    }
}
