package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The conversations dataset as a stream (contract 6 and 4), on a large data set published once
 * per run: gzip is exactly the plain body; a client that hangs up ends the query's transaction at
 * once (seen in pg_stat_activity, counting only this JVM's backends) and gives its export slot
 * back; the slots are shared and capped; a slow client reading a dataset far larger than the
 * bound keeps the service's live heap flat while the cursor stays open; and the whole large
 * dataset streams to the end with every line valid.
 */
@QuarkusTest
class ConversationStreamingTest extends DatasetTestSupport {

    private static final Logger LOG = Logger.getLogger(ConversationStreamingTest.class);

    /**
     * Conversations of the large data set: 4 messages each (a call, its result), about 1.3 kB a
     * line. 70,000 (280,000 messages, ~70 MB of contents: the slow client below leaves more than the
     * heap bound unread) store in seconds on a 2-core machine; override with
     * -Ddataset.streaming.conversations=N.
     */
    private static final int CONVERSATIONS = Integer.getInteger("dataset.streaming.conversations", 70_000);
    private static final String P = unique("ds-stream") + "-";
    private static final String AGENT = P + "agent";
    private static final String TEXT = "lorem ipsum dolor sit amet ".repeat(12);

    /** Growth of the live heap allowed while a slow client holds a large dataset open. */
    private static final long HEAP_BOUND = 48L << 20;

    private static boolean published;

    /**
     * Stored straight into the table, as the consumers store these records: what this class tests
     * is the dataset's streaming, and publishing 400,000 messages through Redis made it the
     * slowest class of the suite (ingest at scale has its own tests and benchmarks).
     */
    private synchronized void large() {
        if (published) {
            return;
        }
        long start = System.nanoTime();
        int stored = executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role,"
                + " content, agent_id, tool_calls, tool_call_id, seq, attributes, occurred_at, stream_entry_id)"
                + " SELECT c || '-m' || m.seq, c, m.role, CASE m.seq WHEN 1 THEN 'question ' || i || ': ' || ?"
                + "   WHEN 2 THEN '' WHEN 3 THEN 'result ' || i || ': ' || ? ELSE 'answer ' || i || ': ' || ? END,"
                + " CASE WHEN m.seq <> 3 THEN ? END,"
                + " CASE WHEN m.seq = 2 THEN jsonb_build_array(jsonb_build_object('id', c || '-1', 'type', 'function',"
                + "   'function', jsonb_build_object('name', 'search', 'arguments',"
                + "   '{\"query\":\"item ' || i || '\",\"limit\":10}'))) END,"
                + " CASE WHEN m.seq = 3 THEN c || '-1' END, m.seq, '{}', now(), (i * 4 + m.seq) || '-0'"
                + " FROM generate_series(0, ? - 1) AS i, LATERAL (SELECT ? || lpad(i::text, 6, '0') AS c) AS id,"
                + " (VALUES (1, 'user'), (2, 'assistant'), (3, 'tool'), (4, 'assistant')) AS m(seq, role)",
                TEXT, TEXT, TEXT, AGENT, CONVERSATIONS, P);
        assertThat(stored).isEqualTo(CONVERSATIONS * 4);
        LOG.infof("Large dataset: %,d conversations (%,d messages) stored in %.1f s", CONVERSATIONS, stored,
                (System.nanoTime() - start) / 1e9);
        published = true;
    }

    @AfterAll
    static void deleteLargeDataSet() throws Exception {
        if (published) {
            var config = ConfigProvider.getConfig();
            try (var connection = java.sql.DriverManager.getConnection(
                    config.getValue("quarkus.datasource.jdbc.url", String.class),
                    config.getValue("quarkus.datasource.username", String.class),
                    config.getOptionalValue("quarkus.datasource.password", String.class).orElse(""));
                 var statement = connection.prepareStatement(
                         "DELETE FROM training_data.training_messages WHERE conversation_id LIKE ?")) {
                statement.setString(1, P + "%");
                statement.executeUpdate();
                vacuumMessages(connection);
            }
        }
    }

    /** The large data set, or its first lines; the limit also ends the scan right after it. */
    private static Params largeDataset(int limit, String... params) {
        return Params.of("after", P, "agent_id", AGENT, "limit", Integer.toString(limit)).with(params);
    }

    private static Params largeDataset() {
        return largeDataset(CONVERSATIONS);
    }

    private static HttpResponse<InputStream> start(Params params) {
        HttpResponse<InputStream> response = send(rawRequest(null, params), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        return response;
    }

    private static void close(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing is what matters
        }
    }

    private static byte[] gunzip(byte[] gzip) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("not a complete gzip stream", e);
        }
    }

    @Test
    void gzipIsExactlyThePlainDataset() {
        large();
        for (Params params : List.of(largeDataset(3000), largeDataset(2500, "format", "messages", "metadata", "true"))) {
            HttpResponse<byte[]> plain = send(rawRequest(null, params), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
            String text = new String(plain.body(), StandardCharsets.UTF_8);
            validateBody(text, params);
            assertThat(lines(text)).hasSize(Integer.parseInt(params.value("limit")));

            HttpResponse<byte[]> gzipped = send(rawRequest("gzip", params), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(gzipped.statusCode()).isEqualTo(200);
            assertThat(gzipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
            assertThat(mediaType(gzipped.headers().firstValue("Content-Type").orElse(null)))
                    .isEqualTo("application/x-ndjson");
            assertThat(gzipped.body()).startsWith((byte) 0x1f, (byte) 0x8b);
            assertThat(gzipped.body().length).as("compressed").isLessThan(plain.body().length / 4);
            assertThat(gunzip(gzipped.body())).as("decompressed").isEqualTo(plain.body());
        }
        HttpResponse<byte[]> empty = send(rawRequest("gzip", largeDataset(0)),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(empty.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gunzip(empty.body())).as("an empty dataset is still a complete gzip stream").isEmpty();
    }

    @Test
    void aClientThatDisconnectsEndsTheQueryAndGivesItsSlotBack() throws IOException {
        large();
        int max = ConfigProvider.getConfig().getOptionalValue("training-store.export.max-concurrent", Integer.class)
                .orElse(4);
        await().atMost(Duration.ofSeconds(10)).until(() -> openDatasetBackends() == 0);

        HttpResponse<InputStream> one = start(largeDataset());
        byte[] first = one.body().readNBytes(64 * 1024);
        assertThat(first).hasSize(64 * 1024);
        assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("{\"messages\":[");
        await().atMost(Duration.ofSeconds(10)).alias("the dataset waits for its client with the cursor open")
                .until(() -> openDatasetBackends() == 1);
        close(one);
        await().atMost(Duration.ofSeconds(5)).alias("the client left: no transaction left running the query")
                .until(() -> openDatasetBackends() == 0);

        // Every slot taken by clients that do not read, then they all hang up.
        List<HttpResponse<InputStream>> held = new ArrayList<>();
        try {
            for (int i = 0; i < max; i++) {
                held.add(start(largeDataset()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> openDatasetBackends() == max);
            HttpResponse<String> refused = send(rawRequest(null, largeDataset(1)),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as("over the cap: %s", refused.body()).isEqualTo(429);
            assertThat(parse(refused.body()).get("error").asText()).contains("max-concurrent");
        } finally {
            held.forEach(ConversationStreamingTest::close);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> openDatasetBackends() == 0);

        // The slots are back: five datasets in a row, then the cap at once.
        for (int i = 0; i < 5; i++) {
            assertThat(dataset(largeDataset(20))).as("dataset %d after the disconnects", i + 1).hasSize(20);
        }
        List<HttpResponse<InputStream>> again = new ArrayList<>();
        try {
            for (int i = 0; i < max; i++) {
                again.add(start(largeDataset()));
            }
        } finally {
            again.forEach(ConversationStreamingTest::close);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> openDatasetBackends() == 0);
    }

    @Test
    void aSlowClientKeepsTheLiveHeapFlatWhileTheCursorStaysOpen() throws Exception {
        large();
        await().atMost(Duration.ofSeconds(10)).until(() -> openDatasetBackends() == 0);
        long idle = liveHeap();

        HttpResponse<InputStream> response = start(largeDataset());
        InputStream body = response.body();
        long read = 0;
        long heapWhileReading;
        try {
            // 1 MB/s for 10 s: a fraction of the dataset, whose rest must wait in PostgreSQL, not in the heap.
            byte[] buffer = new byte[16 * 1024];
            long begin = System.nanoTime();
            while (System.nanoTime() - begin < 10_000_000_000L) {
                int n = body.read(buffer);
                assertThat(n).as("the dataset ended after %d bytes", read).isPositive();
                read += n;
                long due = begin + read * 1_000L; // 1 byte per microsecond = 1 MB/s
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            // The client pauses: a backend caught fetching the next chunk settles idle in its transaction.
            await().atMost(Duration.ofSeconds(5)).alias("the cursor is still open: the dataset is streamed, not buffered")
                    .until(() -> openDatasetBackends() == 1);
            heapWhileReading = liveHeap();
        } finally {
            body.close();
        }
        long total = count("SELECT sum(octet_length(content)) FROM training_data.training_messages"
                + " WHERE conversation_id LIKE ?", P + "%");
        LOG.infof("Slow client: read %,d bytes in 10 s of a dataset whose contents alone are %,d bytes; live heap"
                + " %,d MiB idle, %,d MiB while reading", read, total, idle >> 20, heapWhileReading >> 20);
        assertThat(total - read).as("what the client has not read (its contents alone) is larger than the bound")
                .isGreaterThan(HEAP_BOUND);
        assertThat(heapWhileReading - idle).as("live heap growth while a slow client reads (bytes)")
                .isLessThan(HEAP_BOUND);
        await().atMost(Duration.ofSeconds(5)).until(() -> openDatasetBackends() == 0);
    }

    @Test
    void theWholeLargeDatasetStreamsToItsEndWithEveryLineValid() throws IOException {
        large();
        Params params = largeDataset();
        HttpResponse<InputStream> response = start(params);
        long lines = 0;
        long bytes = 0;
        long begin = System.nanoTime();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8),
                1 << 16)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                OpenAiChatValidator.assertValid(line, params.shape(), false);
                lines++;
                bytes += line.length() + 1;
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        LOG.infof("Large dataset: %,d lines, %,d bytes in %.1f s (%.0f lines/s, %.1f MB/s, validated as read)",
                lines, bytes, seconds, lines / seconds, bytes / seconds / 1e6);
        assertThat(lines).isEqualTo(CONVERSATIONS);
    }
}
