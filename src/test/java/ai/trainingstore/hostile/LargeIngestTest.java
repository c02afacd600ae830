package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 2: an HTTP ingest of 10,000 records never answered (a StackOverflowError in a chain
 * of 10,000 Mutiny steps) and left a pooled Redis connection inside MULTI. Every record of a large
 * request must be added, answered with its entry id, and stored; no connection stays in MULTI.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class LargeIngestTest extends HostileSupport {

    private static final Duration LARGE_TIMEOUT = Duration.ofSeconds(30);

    @AfterEach
    void leaveNoConnectionInMulti() {
        // On the unfixed service the pool keeps a connection inside MULTI: close it so the tests
        // after this one are not failed by it (this test has already failed).
        closeOwnClientsInMulti();
    }

    private static String record(String agent, int i) {
        return "{\"event_type\":\"bulk\",\"agent_id\":\"" + agent + "\",\"event_id\":\"" + agent + "-" + i
                + "\",\"payload\":{\"i\":" + i + "}}";
    }

    private static byte[] ndjson(String agent, int count) {
        StringBuilder body = new StringBuilder(count * 100);
        for (int i = 0; i < count; i++) {
            body.append(record(agent, i)).append('\n');
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] array(String agent, int count) {
        StringBuilder body = new StringBuilder(count * 100).append('[');
        for (int i = 0; i < count; i++) {
            body.append(i == 0 ? "" : ",\n  ").append(record(agent, i));
        }
        return body.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    private void ingestsAndStoresAll(String agent, int count, byte[] body, String contentType) throws Exception {
        long before = streams().xlen(EVENTS);
        RawHttp.Response response = http().send("POST", "/api/v1/ingest/events",
                withType(contentType), RawHttp.Body.of(body), LARGE_TIMEOUT);
        assertThat(response.answered()).as("an answer to %,d records (%,d bytes) within %s: %s", count, body.length,
                LARGE_TIMEOUT, response).isTrue();
        assertThat(response.status()).as("status for %,d records: %s", count, response).isEqualTo(202);
        JsonNode answer = JSON.readTree(response.body());
        List<String> ids = new ArrayList<>();
        answer.get("entry_ids").forEach(id -> ids.add(id.asText()));
        assertThat(ids).as("entry ids").hasSize(count);
        Set<String> distinct = new HashSet<>(ids);
        assertThat(distinct).as("distinct entry ids").hasSize(count);
        assertThat(ids).isSortedAccordingTo(ENTRY_ID_ORDER);

        // In the stream: the entries are there (XLEN grew by at least that many; XRANGE over the ids).
        assertThat(streams().xlen(EVENTS) - before).as("XLEN growth").isGreaterThanOrEqualTo(count);
        long inRange = streams().xrange(EVENTS, io.quarkus.redis.datasource.stream.StreamRange.of(ids.get(0),
                ids.get(ids.size() - 1))).stream().filter(entry -> distinct.contains(entry.id())).count();
        assertThat(inRange).as("entries of the request in the stream (XRANGE)").isEqualTo(count);

        // Then stored, each once.
        await().atMost(Duration.ofSeconds(60)).until(() ->
                count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent) >= count);
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent))
                .isEqualTo(count);

        assertNoRedisClientInMulti();
        assertThat(get("/api/v1/stats", EXPORT_TOKEN).status()).as("stats afterwards").isEqualTo(200);
        assertThat(get("/api/v1/dead-letters?limit=5", EXPORT_TOKEN).status()).as("dead letters afterwards")
                .isEqualTo(200);
    }

    private static java.util.Map<String, String> withType(String contentType) {
        var headers = auth(INGEST_TOKEN);
        headers.put("Content-Type", contentType);
        return headers;
    }

    @Test
    void tenThousandRecordsAsNdjsonAreAddedAndStored() throws Exception {
        String agent = unique("bulk-ndjson");
        byte[] body = ndjson(agent, 10_000);
        assertThat(body.length).isBetween(500_000, 10_485_760);
        ingestsAndStoresAll(agent, 10_000, body, "application/x-ndjson");
    }

    @Test
    void tenThousandRecordsAsAJsonArrayAreAddedAndStored() throws Exception {
        String agent = unique("bulk-array");
        ingestsAndStoresAll(agent, 10_000, array(agent, 10_000), "application/json");
    }

    @Test
    void moreThanTheRecordLimitIs413AndAddsNothing() throws Exception {
        // training-store.ingest.max-records (10,000): one request is one pipelined MULTI/EXEC.
        String agent = unique("bulk-30k");
        RawHttp.Response response = post("/api/v1/ingest/events", INGEST_TOKEN, "application/x-ndjson",
                ndjson(agent, 30_000));
        assertThat(response.status()).as("%s", response).isEqualTo(413);
        assertThat(errorBodyProblem(response)).isNull();
        assertThat(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("max-records");
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent))
                .as("nothing added").isZero();
    }
}
