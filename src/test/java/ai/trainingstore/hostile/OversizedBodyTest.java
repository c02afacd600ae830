package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 3: an ingest body was read whole (up to the 64 MiB hard cap) before its size was
 * compared with training-store.ingest.max-request-bytes (10 MiB), so twelve 60 MB uploads held
 * 720 MB of heap. The limit must be applied while the body is read: 413 with a JSON reason as soon
 * as the limit is passed, the heap bounded, and ingest working afterwards.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class OversizedBodyTest extends HostileSupport {

    private static final long LIMIT = 10_485_760;
    private static final long BIG = 60_000_000;

    private static RawHttp.Response upload(RawHttp.Body body, Duration timeout) {
        var headers = auth(INGEST_TOKEN);
        headers.put("Content-Type", "application/json");
        return http().send("POST", "/api/v1/ingest/events", headers, body, timeout);
    }

    @Test
    void aBodyJustOverTheLimitGets413WithAJsonReason() {
        for (RawHttp.Body body : List.of(
                RawHttp.Body.sized(LIMIT + 1, () -> GeneratedBody.eventOf(LIMIT + 1)),
                RawHttp.Body.chunked(() -> GeneratedBody.eventOf(LIMIT + 1)))) {
            String error = assertJsonError(upload(body, Duration.ofSeconds(30)), 413);
            assertThat(error).contains("max-request-bytes");
        }
    }

    @Test
    void theLimitIsDecidedWhileReadingNotAfterTheBodyEnds() {
        // 11 MiB are sent, then the client stops for 20 s with 49 MB still to come: a service that
        // counts while reading has answered by then; one that reads the whole body first has not.
        RawHttp.Response response = upload(RawHttp.Body.chunked(() -> GeneratedBody.eventOf(BIG, 11L << 20, 20_000)),
                Duration.ofSeconds(10));
        assertThat(response.answered()).as("413 before the body has ended: %s", response).isTrue();
        assertJsonError(response, 413);
        assertThat(response.bytesSent()).as("bytes the client had sent when answered").isLessThan(BIG);
    }

    @Test
    void twelveParallelSixtyMegabyteBodiesGet413AndTheHeapStaysBounded() throws Exception {
        long before = usedHeapAfterGc();
        AtomicBoolean uploading = new AtomicBoolean(true);
        AtomicLong peak = new AtomicLong(before);
        Thread sampler = new Thread(() -> {
            while (uploading.get()) {
                peak.accumulateAndGet(usedHeapAfterGc(), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.start();
        ExecutorService clients = Executors.newFixedThreadPool(12);
        List<Future<RawHttp.Response>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                boolean chunked = i % 2 == 0;
                RawHttp.Body body = chunked ? RawHttp.Body.chunked(() -> GeneratedBody.eventOf(BIG))
                        : RawHttp.Body.sized(BIG, () -> GeneratedBody.eventOf(BIG));
                answers.add(clients.submit(() -> upload(body, Duration.ofSeconds(90))));
            }
            for (Future<RawHttp.Response> answer : answers) {
                RawHttp.Response response = answer.get(120, TimeUnit.SECONDS);
                assertThat(response.status()).as("status of a 60 MB body: %s", response).isEqualTo(413);
                assertThat(errorBodyProblem(response)).as("413 body: %s", response).isNull();
            }
        } finally {
            uploading.set(false);
            sampler.join();
            clients.shutdownNow();
        }
        long after = usedHeapAfterGc();
        System.out.printf("[hostile] 12 x 60 MB uploads: heap after GC before %d MiB, peak while uploading %d MiB,"
                + " after %d MiB%n", before >> 20, peak.get() >> 20, after >> 20);
        assertThat(peak.get() - before).as("growth of the heap used after GC while 12 x 60 MB bodies were sent,"
                + " MiB: %d (peak %d, before %d)", (peak.get() - before) >> 20, peak.get() >> 20, before >> 20)
                .isLessThan(HEAP_BOUND);
        assertThat(after - before).as("growth of the heap used after GC once they were answered, MiB: %d",
                (after - before) >> 20).isLessThan(HEAP_BOUND);

        // And a normal ingest still works.
        String agent = unique("after-big");
        RawHttp.Response normal = postJson("/api/v1/ingest/events", INGEST_TOKEN,
                "{\"event_type\":\"small\",\"agent_id\":\"" + agent + "\"}");
        assertThat(normal.status()).as("a normal ingest afterwards: %s", normal).isEqualTo(202);
        awaitRows(1, "SELECT 1 FROM training_data.training_events WHERE agent_id = ?", agent);
    }
}
