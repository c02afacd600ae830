package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.OwnSockets;

import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * A Parquet export larger than many row groups (the test profile's row groups are 128 KiB): every
 * row comes back in order over several row groups; the first row groups reach the client while
 * the cursor is still open (the file is streamed, not built first); and an export cut by the
 * database after its first bytes is not a clean end of the body and is a file without footer
 * that DuckDB refuses. A client that pauses keeps the live heap flat.
 */
@QuarkusTest
class ParquetStreamingTest extends ParquetTestSupport {

    /** About 1 kB of incompressible payload a row: ~30 MB of Parquet, far more than socket buffers hold. */
    private static final int ROWS = 30_000;

    private static String agent;

    private synchronized String largeAgent() {
        if (agent == null) {
            String newAgent = unique("parquet-streaming-agent");
            Random random = new Random(42);
            byte[] noise = new byte[600];
            for (int chunk = 0; chunk < ROWS / 1000; chunk++) {
                List<Map<String, String>> entries = new ArrayList<>(1000);
                for (int i = 0; i < 1000; i++) {
                    random.nextBytes(noise);
                    entries.add(fields("event_type", "streamed", "agent_id", newAgent,
                            "payload", "{\"n\": " + (chunk * 1000 + i) + ", \"noise\": \""
                                    + Base64.getEncoder().encodeToString(noise) + "\"}"));
                }
                xaddTogether(EVENTS, entries);
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                    count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", newAgent) == ROWS);
            agent = newAgent;
        }
        return agent;
    }

    @Test
    void manyRowGroupsHoldEveryRowInExportOrder() throws SQLException {
        String scope = largeAgent();
        Path file = parquet(Kind.EVENT, "agent_id", scope);
        List<Long> rowGroups = DuckDbParquet.rowGroupSizes(file);
        assertThat(rowGroups).as("row groups of %,d bytes each at most", 131072).hasSizeGreaterThan(10);
        assertThat(rowGroups.stream().mapToLong(Long::longValue).sum()).isEqualTo(ROWS);
        assertThat(parquetRows(Kind.EVENT, file)).as("every row, field by field, in order")
                .isEqualTo(expectedParquetRows(Kind.EVENT, "agent_id = ?", scope));
    }

    @Test
    void theFirstRowGroupsReachTheClientWhileTheCursorIsStillOpen() throws IOException {
        String scope = largeAgent();
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        HttpResponse<InputStream> response = start(scope);
        try {
            byte[] first = response.body().readNBytes(1 << 20);
            assertThat(first).hasSize(1 << 20);
            assertThat(Arrays.copyOf(first, 4)).isEqualTo(MAGIC);
            await().atMost(Duration.ofSeconds(10)).alias("the export waits for the client with its cursor open")
                    .until(() -> openExports() == 1);
        } finally {
            response.body().close();
        }
        await().atMost(Duration.ofSeconds(5)).alias("the client left: the export's transaction ended")
                .until(() -> openExports() == 0);
    }

    @Test
    void aClientThatPausesKeepsTheLiveHeapFlat() throws Exception {
        String scope = largeAgent();
        // A first export loads the writer's classes and caches, which are not the export's memory.
        assertThat(parquetRows(Kind.EVENT, parquet(Kind.EVENT, "agent_id", scope, "limit", "2000"))).hasSize(2000);
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        long idle = liveHeap();
        long heapWhilePaused;
        // A plain socket with a small receive buffer: nothing on the client's side holds what the
        // service has not yet been able to send (an HTTP client library may read ahead into the heap).
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new java.net.InetSocketAddress("localhost", io.restassured.RestAssured.port), 10_000);
            String target = exportUri(Kind.EVENT, "agent_id", scope, "format", "parquet").getRawPath() + "?"
                    + exportUri(Kind.EVENT, "agent_id", scope, "format", "parquet").getRawQuery();
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + EXPORT_TOKEN + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] first = socket.getInputStream().readNBytes(1 << 20);
            assertThat(new String(first, 0, 12, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 1);
            // The least of three, a second apart: the histogram is exact, but a buffer in flight at that
            // instant (a chunk being fetched or encoded) is not what the export holds.
            heapWhilePaused = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                heapWhilePaused = Math.min(heapWhilePaused, liveHeap());
                Thread.sleep(1000);
            }
        }
        long unread = count("SELECT sum(octet_length(payload::text)) FROM training_data.training_events"
                + " WHERE agent_id = ?", scope) - (1 << 20);
        assertThat(unread).as("what the client has not read is larger than the bound").isGreaterThan(HEAP_BOUND);
        org.jboss.logging.Logger.getLogger(ParquetStreamingTest.class).infof("Paused client: live heap %,d MiB idle,"
                + " %,d MiB while paused, %,d bytes of payload unread", idle >> 20, heapWhilePaused >> 20, unread);
        assertThat(heapWhilePaused - idle).as("live heap growth while the client pauses (bytes)").isLessThan(HEAP_BOUND);
        await().atMost(Duration.ofSeconds(5)).until(() -> openExports() == 0);
    }

    /**
     * Growth allowed: the row group (128 KiB here) with the column writers' page and dictionary
     * buffers, two chunks of rows (cursor and encoder); about 4 MB was seen. An export that built
     * the file first would hold all of it (over 23 MB unread here).
     */
    private static final long HEAP_BOUND = 16L << 20;

    /**
     * Bytes of the live objects of this JVM (service and test), counted by a class histogram
     * (jcmd), which runs a full collection first: exact, where the heap's "used" after
     * System.gc() varies by tens of MiB with the collector's regions.
     */
    private static long liveHeap() throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        List<String> lines = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .lines().toList();
        assertThat(jcmd.waitFor(60, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
        String total = lines.stream().filter(line -> line.startsWith("Total")).findFirst()
                .orElseThrow(() -> new AssertionError("no Total in the class histogram: " + lines));
        String[] columns = total.trim().split("\\s+");
        return Long.parseLong(columns[2]);
    }

    @Test
    void anExportCutByTheDatabaseHasNoFooterAndDuckDbRefusesIt() throws Exception {
        String scope = largeAgent();
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        HttpResponse<InputStream> response = start(scope);
        InputStream body = response.body();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try {
            received.write(body.readNBytes(256 * 1024));
            await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 1);
            assertThat(terminateOpenExports()).as("the export's backend terminated").isEqualTo(1);

            CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> {
                try {
                    body.transferTo(received);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try {
                rest.get(60, TimeUnit.SECONDS);
                throw new AssertionError("The Parquet export ended as a clean HTTP body after " + received.size()
                        + " bytes although its query was terminated");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).as("how the client's read ends").isInstanceOf(UncheckedIOException.class);
            } catch (TimeoutException e) {
                throw new AssertionError("The export neither ended nor failed within 60 s after the cut", e);
            }
        } finally {
            body.close();
        }

        byte[] cut = received.toByteArray();
        assertThat(cut.length).as("bytes received before the cut").isGreaterThanOrEqualTo(256 * 1024);
        assertThat(Arrays.copyOf(cut, 4)).isEqualTo(MAGIC);
        assertThat(Arrays.copyOfRange(cut, cut.length - 4, cut.length)).as("no footer at the end").isNotEqualTo(MAGIC);
        Path file = save(cut);
        Assertions.assertThatThrownBy(() -> DuckDbParquet.query("SELECT count(*) FROM read_parquet('" + file + "')"))
                .as("DuckDB refuses the cut file").isInstanceOf(SQLException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        assertThat(parquetRows(Kind.EVENT, parquet(Kind.EVENT, "agent_id", scope, "limit", "3")))
                .as("the next export works").hasSize(3);
    }

    private HttpResponse<InputStream> start(String scope) {
        try {
            HttpResponse<InputStream> response = HTTP.send(rawRequest(null, Kind.EVENT, "agent_id", scope,
                    "format", "parquet"), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue(PARQUET_TYPE);
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- this JVM's export backends (other test runs share the database) ----

    private static final String OPEN_EXPORTS = "SELECT pid, client_port FROM pg_stat_activity"
            + " WHERE state LIKE 'idle in transaction%' AND query LIKE 'SELECT%training_events%'"
            + " AND pid <> pg_backend_pid()";

    /**
     * Any state: between two fetches the export's backend is idle in its transaction, but while it
     * fills the socket it is active, and it must be cut either way (CI once caught it active).
     */
    private static final String EXPORTS_IN_TRANSACTION = "SELECT pid, client_port FROM pg_stat_activity"
            + " WHERE xact_start IS NOT NULL AND query LIKE 'SELECT%training_events%' AND pid <> pg_backend_pid()";

    private List<Integer> ownOpenExportPids() {
        return ownPids(OPEN_EXPORTS);
    }

    private List<Integer> ownPids(String backends) {
        Set<Integer> ports = OwnSockets.ownLocalPorts();
        return query(backends).stream()
                .filter(row -> row.get("client_port") != null && ports.contains((Integer) row.get("client_port")))
                .map(row -> (Integer) row.get("pid")).toList();
    }

    private long openExports() {
        return ownOpenExportPids().size();
    }

    private int terminateOpenExports() {
        int terminated = 0;
        for (int pid : ownPids(EXPORTS_IN_TRANSACTION)) {
            if (Boolean.TRUE.equals(query("SELECT pg_terminate_backend(?) AS t", pid).get(0).get("t"))) {
                terminated++;
            }
        }
        return terminated;
    }
}
