package ai.trainingstore.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.record.DecodedRecord;
import ai.trainingstore.store.RecordWriter;
import ai.trainingstore.support.LocalServices;
import ai.trainingstore.support.StoreTestSupport;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jboss.logging.Logger;

/**
 * Issue 20, finding 4: the consumer's reads are bounded by bytes. Entries just under the entry
 * limit are read a few at a time, never more bytes in a batch than batch-bytes; an entry far over
 * the limit is dead-lettered from its length without being held whole; every path gives its bytes
 * back to the ingest budget.
 */
@QuarkusTest
@TestProfile(ByteBoundedReadsTest.SmallBatches.class)
class ByteBoundedReadsTest extends StoreTestSupport {

    private static final Logger LOG = Logger.getLogger(ByteBoundedReadsTest.class);

    static final long BATCH_BYTES = 3L * 1024 * 1024;
    static final long INGEST_BYTES = 6L * 1024 * 1024;
    static final int MAX_ENTRY_BYTES = 1_048_576;

    /** Batches of at most 3 MiB, 6 MiB for all the consumers, the default entry limit and idle wait. */
    public static class SmallBatches implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("training-store.memory.batch-bytes", Long.toString(BATCH_BYTES),
                    "training-store.memory.ingest-bytes", Long.toString(INGEST_BYTES),
                    "training-store.batch.block", "2s");
        }
    }

    @Inject
    IngestBudget budget;
    @Inject
    MeterRegistry registry;
    @Inject
    ReactiveRedisDataSource reactiveRedis;
    @Inject
    EntryParser parser;
    @Inject
    DeadLetters deadLetterStream;
    @Inject
    IngestMetrics metrics;
    @Inject
    StoreConfig config;

    @AfterEach
    void budgetIsBackToFull() {
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(budget.held()).as("bytes held once drained").isZero());
    }

    private DistributionSummary batchBytes(String stream) {
        return registry.find("training_store_batch_bytes").tag("stream", stream).summary();
    }

    /** An event of about {@code bytes} (field names and values). */
    private static Map<String, String> eventOf(String agent, int bytes) {
        Map<String, String> entry = new LinkedHashMap<>(fields("event_type", "large", "agent_id", agent));
        int overhead = "event_type".length() + "large".length() + "agent_id".length() + agent.length()
                + "payload".length() + "{\"text\":\"\"}".length();
        entry.put("payload", "{\"text\":\"" + "a".repeat(bytes - overhead) + "\"}");
        return entry;
    }

    @Test
    void entriesJustUnderTheLimitAreStoredInBatchesNeverOverTheGrant() {
        String agent = unique("just-under");
        DistributionSummary batches = batchBytes(EVENTS);
        long batchesBefore = batches.count();
        double bytesBefore = batches.totalAmount();
        int entrySize = MAX_ENTRY_BYTES - 8_000;
        AtomicLong mostHeld = new AtomicLong();

        for (int i = 0; i < 60; i++) {
            streams().xadd(EVENTS, eventOf(agent, entrySize));
        }
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
            mostHeld.accumulateAndGet(budget.held(), Math::max);
            return count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent) >= 60;
        });

        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", agent)).isEqualTo(60);
        assertThat(batches.totalAmount() - bytesBefore).as("bytes read").isGreaterThanOrEqualTo(60.0 * entrySize);
        // 3 such entries fit in 3 MiB: at least 20 batches, none of them over the grant.
        assertThat(batches.count() - batchesBefore).as("batches").isGreaterThanOrEqualTo(20);
        assertThat(batches.max()).as("largest batch, bytes").isLessThanOrEqualTo(BATCH_BYTES);
        assertThat(mostHeld.get()).as("most bytes held at once").isPositive().isLessThanOrEqualTo(INGEST_BYTES);
        assertThat(budget.capacity()).isEqualTo(INGEST_BYTES);
    }

    @Test
    void anEntryFarOverTheLimitIsDeadLetteredFromItsSizeWithoutBeingHeldWhole() {
        String agent = unique("around-huge");
        String before = xadd(EVENTS, "event_type", "before", "agent_id", agent);
        Map<String, String> huge = fields("event_type", "huge", "agent_id", agent, "payload",
                "{\"text\":\"" + "é".repeat(20_000_000) + "\"}");
        long hugeSize = 0;
        for (Map.Entry<String, String> field : huge.entrySet()) {
            hugeSize += field.getKey().getBytes(StandardCharsets.UTF_8).length
                    + field.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        String hugeId = streams().xadd(EVENTS, huge);
        huge = null;
        String after = xadd(EVENTS, "event_type", "after", "agent_id", agent);

        awaitRows(2, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        Map<String, String> deadLetter = awaitDeadLetters(1, List.of(hugeId)).get(0);

        assertThat(deadLetter).containsEntry("error_code", "too_large")
                .containsEntry(DeadLetters.CUT_FROM_BYTES, Long.toString(hugeSize))
                .containsEntry("event_type", "huge");
        assertThat(deadLetter.get("error")).contains(String.format("%,d bytes", hugeSize))
                .contains(String.format("%,d bytes", MAX_ENTRY_BYTES)).contains("max-entry-bytes");
        // Cut on a character boundary: the two-byte é is never split, so the text stays valid.
        assertThat(deadLetter.get("payload").getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(EntryReader.CUT_BYTES).isGreaterThan(EntryReader.CUT_BYTES - 2);
        assertThat(deadLetter.get("payload")).startsWith("{\"text\":\"éé").doesNotContain("\uFFFD");
        assertThat(storedEntryIds(agent)).containsExactlyInAnyOrder(before, after);
        assertThat(batchBytes(EVENTS).max()).as("largest batch, bytes").isLessThanOrEqualTo(BATCH_BYTES);
        await().atMost(TIMEOUT).until(() -> pendingIds(EVENTS).stream().noneMatch(hugeId::equals));
    }

    @Test
    void aCutDeadLetterCannotBeReplayed() {
        String hugeId = xadd(EVENTS, "event_type", "huge", "agent_id", unique("replay-cut"),
                "payload", "\"" + "b".repeat(2 * MAX_ENTRY_BYTES) + "\"");
        awaitDeadLetters(1, List.of(hugeId));
        String deadLetterId = streams().xrange(DEAD_LETTER, io.quarkus.redis.datasource.stream.StreamRange.of(hugeId, "+"))
                .stream().filter(message -> hugeId.equals(message.payload().get("source_id"))).findFirst().orElseThrow().id();
        io.restassured.RestAssured.given().auth().oauth2("test-all-token").contentType("application/json")
                .body("{\"ids\":[\"" + deadLetterId + "\"]}")
                .post("/api/v1/dead-letters/replay")
                .then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("cannot be replayed"));
        assertThat(deadLetters(List.of(hugeId))).as("still dead-lettered").hasSize(1);
    }

    @Test
    void everyPathGivesItsBytesBack() {
        String agent = unique("paths");
        List<String> ids = new ArrayList<>();
        ids.add(streams().xadd(EVENTS, eventOf(agent, 500_000)));
        ids.add(xadd(EVENTS, "agent_id", agent)); // no event_type: rejected
        ids.add(xadd(EVENTS, "event_type", "big", "agent_id", agent, "payload", "\"" + "c".repeat(3_000_000) + "\""));
        Map<String, byte[]> notUtf8 = new LinkedHashMap<>();
        notUtf8.put("event_type", "bad".getBytes(StandardCharsets.UTF_8));
        notUtf8.put("agent_id", new byte[] {(byte) 0xC3, (byte) 0x28});
        ids.add(redis.stream(String.class, String.class, byte[].class).xadd(EVENTS, notUtf8));
        ids.add(xadd(EVENTS, "event_type", "last", "agent_id", agent));
        awaitRows(2, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        awaitDeadLetters(3, ids);
        awaitAcknowledged(EVENTS, ids);

        // A read that fails: the group is gone (NOGROUP), the consumer creates it again and goes on.
        String feedbackId = unique("feedback");
        redis.execute("XGROUP", "DESTROY", FEEDBACK, GROUP);
        String feedbackEntry = streams().xadd(FEEDBACK, Kind.FEEDBACK.minimalEntry(feedbackId));
        awaitStoredRow(Kind.FEEDBACK, feedbackId);
        awaitAcknowledged(FEEDBACK, List.of(feedbackEntry));

        // Claimed from a replica that died holding it: claimed by id, then read by size.
        redis.execute("XCLAIM", EVENTS, GROUP, "dead-replica", "0", ids.get(0), "IDLE", "3600000", "FORCE", "JUSTID");
        try {
            awaitAcknowledged(EVENTS, List.of(ids.get(0)));
        } finally {
            streams().xgroupDelConsumer(EVENTS, GROUP, "dead-replica");
        }
        assertThat(storedEntryIds(agent)).containsExactlyInAnyOrder(ids.get(0), ids.get(4));
    }

    @Test
    void aBatchAbandonedAtShutdownGivesItsBytesBack() throws Exception {
        String stream = LocalServices.stream("shutdown-" + unique("s"));
        IngestBudget ownBudget = new IngestBudget(INGEST_BYTES, BATCH_BYTES, MAX_ENTRY_BYTES);
        RecordWriter outOfReach = new RecordWriter(null, null, config, registry) {
            @Override
            public Uni<Integer> write(RecordKind kind, List<DecodedRecord> records) {
                return Uni.createFrom().failure(new ConnectException("PostgreSQL out of reach (test)"));
            }
        };
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(streams().xadd(stream, eventOf(unique("shutdown"), 200_000)));
        }
        StreamConsumer consumer = new StreamConsumer(RecordKind.EVENTS, stream, GROUP, "shutdown-test", reactiveRedis,
                parser, outOfReach, deadLetterStream, metrics, ownBudget, config);
        try {
            consumer.start();
            await().atMost(TIMEOUT).until(() -> consumer.isRetrying() && ownBudget.held() > 0);
            assertThat(ownBudget.held()).as("held while the write is retried").isGreaterThanOrEqualTo(600_000);

            consumer.stop().get(30, TimeUnit.SECONDS);

            assertThat(ownBudget.held()).as("held after the stop").isZero();
            assertThat(pendingIds(stream)).as("left pending for another replica").containsExactlyElementsOf(ids);
        } finally {
            consumer.stop();
            redis.key().del(stream);
        }
    }

    /** Latency of one entry on a stream idle long enough for the consumer's poll to back off fully. */
    @Test
    void aSingleEntryOnAnIdleStreamIsStoredWithinTheIdleWait() {
        List<Long> latencies = new ArrayList<>();
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 3; i++) {
            // Idle for a random time past the full back-off, so the entry lands anywhere in a 2 s poll interval.
            Duration idle = Duration.ofMillis(5_000 + random.nextInt(3_000));
            await().pollDelay(idle).atMost(idle.plusSeconds(1)).until(() -> true);
            String agent = unique("idle");
            long start = System.nanoTime();
            streams().xadd(WORKFLOWS, Kind.WORKFLOW.minimalEntry(agent));
            awaitStoredRow(Kind.WORKFLOW, agent);
            latencies.add(Duration.ofNanos(System.nanoTime() - start).toMillis());
        }
        LOG.infof("Latency of one entry on an idle stream (batch.block 2s), ms: %s", latencies);
        assertThat(latencies).allSatisfy(ms -> assertThat(ms).isLessThan(2_000 + 1_500));
    }

    private List<String> storedEntryIds(String agent) {
        return query("SELECT stream_entry_id FROM training_data.training_events WHERE agent_id = ?", agent).stream()
                .map(row -> String.valueOf(row.get("stream_entry_id"))).toList();
    }
}
