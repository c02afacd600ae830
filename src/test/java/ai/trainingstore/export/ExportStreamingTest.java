package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The streaming behaviour of exports (contract section 4), seen from a real HTTP client and from
 * PostgreSQL's pg_stat_activity: a client that hangs up ends the export's transaction at once;
 * the concurrent export cap answers 429 and frees its slots when clients leave; and an export cut
 * after its first byte is never a clean end of the HTTP body.
 */
@QuarkusTest
class ExportStreamingTest extends ExportTestSupport {

    /** Enough rows (about 1 kB each in JSONL) that an unread export cannot fit in the socket buffers. */
    private static final int ROWS = 20_000;
    private static final String PADDING = "x".repeat(700);

    /** Export backends of PostgreSQL inside their transaction, the export's cursor open. */
    private static final String OPEN_EXPORTS = "SELECT count(*) FROM pg_stat_activity"
            + " WHERE state LIKE 'idle in transaction%' AND query LIKE 'SELECT%training_events%'"
            + " AND pid <> pg_backend_pid()";

    private static String agent;

    /** Publishes the large export once per test run, in pipelined transactions of 1000 entries. */
    private synchronized String largeExportAgent() {
        if (agent == null) {
            String newAgent = unique("streaming-agent");
            for (int chunk = 0; chunk < ROWS / 1000; chunk++) {
                List<Map<String, String>> entries = new ArrayList<>(1000);
                for (int i = 0; i < 1000; i++) {
                    entries.add(fields("event_type", "streamed", "agent_id", newAgent,
                            "payload", "{\"n\": " + (chunk * 1000 + i) + ", \"padding\": \"" + PADDING + "\"}"));
                }
                xaddTogether(EVENTS, entries);
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                    count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", newAgent) == ROWS);
            agent = newAgent;
        }
        return agent;
    }

    private long openExports() {
        return count(OPEN_EXPORTS);
    }

    /** Starts the export of the large data set; returns once the headers are in, its body unread. */
    private HttpResponse<InputStream> startLargeExport() {
        try {
            HttpResponse<InputStream> response = HTTP.send(rawRequest(null, Kind.EVENT, "agent_id",
                    largeExportAgent()), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A small export that must succeed: the first rows of the large data set. */
    private void assertASmallExportWorks() {
        List<String> lines = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", largeExportAgent(), "limit", "5"));
        assertThat(lines).hasSize(5);
    }

    private static void close(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing is all that matters here
        }
    }

    @Test
    void aClientThatDisconnectsEndsTheExportsTransaction() throws IOException {
        largeExportAgent();
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);

        HttpResponse<InputStream> response = startLargeExport();
        byte[] first = response.body().readNBytes(64 * 1024);
        assertThat(first).hasSize(64 * 1024);
        assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("{\"event_type\":\"streamed\"");
        await().atMost(Duration.ofSeconds(10)).alias("the export waits for the client with its cursor open")
                .until(() -> openExports() == 1);

        response.body().close();

        await().atMost(Duration.ofSeconds(5)).alias("no transaction left running the export query")
                .until(() -> openExports() == 0);
        assertASmallExportWorks();
    }

    @Test
    void exportsBeyondTheConcurrentCapGet429UntilOneEnds() throws Exception {
        int max = ConfigProvider.getConfig().getOptionalValue("training-store.export.max-concurrent", Integer.class)
                .orElse(4);
        largeExportAgent();
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);

        double refusedBefore = metric("training_store_exports_refused_total");
        List<HttpResponse<InputStream>> held = new ArrayList<>();
        try {
            for (int i = 0; i < max; i++) {
                held.add(startLargeExport());
            }
            await().atMost(Duration.ofSeconds(10)).alias(max + " exports held open by clients that do not read")
                    .until(() -> openExports() == max);
            assertThat(metric("training_store_exports_running")).as("exports running, on /q/metrics").isEqualTo(max);

            HttpResponse<String> refused = HTTP.send(rawRequest(null, Kind.EVENT, "agent_id", largeExportAgent(),
                    "limit", "1"), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as("body: %s", refused.body()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).as("Retry-After").isPresent()
                    .get().satisfies(seconds -> assertThat(Integer.parseInt(seconds)).isPositive());
            assertThat(mediaType(refused.headers().firstValue("Content-Type").orElse(null)))
                    .isEqualTo("application/json");
            assertThat(parse(refused.body()).get("error").asText()).contains(Integer.toString(max))
                    .contains("max-concurrent");
            assertThat(openExports()).as("the refused export opened no transaction").isEqualTo(max);
            assertThat(metric("training_store_exports_refused_total")).as("429s counted for the alert")
                    .isEqualTo(refusedBefore + 1);
        } finally {
            held.forEach(ExportStreamingTest::close);
        }

        await().atMost(Duration.ofSeconds(10)).alias("an export is accepted again once the clients left")
                .until(() -> rawGet(null, Kind.EVENT, "agent_id", largeExportAgent(), "limit", "1").statusCode() == 200);
        await().atMost(Duration.ofSeconds(5)).until(() -> openExports() == 0);
        // Every slot is free again: as many exports as the cap at once.
        List<HttpResponse<InputStream>> again = new ArrayList<>();
        try {
            for (int i = 0; i < max; i++) {
                again.add(startLargeExport());
            }
        } finally {
            again.forEach(ExportStreamingTest::close);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openExports() == 0);
    }

    /** A series without labels, as /q/metrics shows it. */
    private static double metric(String name) {
        String metrics = io.restassured.RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith(name + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(name.length() + 1).trim().split(" ")[0]))
                .orElseThrow(() -> new AssertionError(name + " is not on /q/metrics"));
    }

    @Test
    void anExportCutByTheDatabaseIsNotACleanEndOfTheBody() throws Exception {
        largeExportAgent();
        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        long fullSize = count("SELECT sum(octet_length(payload::text)) FROM training_data.training_events"
                + " WHERE agent_id = ?", largeExportAgent());

        HttpResponse<InputStream> response = startLargeExport();
        InputStream body = response.body();
        try {
            long received = body.readNBytes(64 * 1024).length;
            await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 1);

            List<Map<String, Object>> terminated = query("SELECT pg_terminate_backend(pid) AS terminated"
                    + " FROM pg_stat_activity WHERE query LIKE 'SELECT%training_events%'"
                    + " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()");
            assertThat(terminated).as("the export's backend").hasSize(1);
            assertThat(terminated.get(0).get("terminated")).isEqualTo(true);

            // The slow client reads on: what was sent before the cut, then the body must fail.
            CompletableFuture<Long> rest = CompletableFuture.supplyAsync(() -> {
                try {
                    return body.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try {
                long more = rest.get(60, TimeUnit.SECONDS);
                throw new AssertionError("The export ended as a clean, complete HTTP body after " + (received + more)
                        + " bytes although its query was terminated (the payloads alone are " + fullSize
                        + " bytes): a client cannot tell the file is short.");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).as("how the client's read ends").isInstanceOf(UncheckedIOException.class);
                assertThat(e.getCause().getCause()).isInstanceOf(IOException.class)
                        .isNotInstanceOf(java.net.http.HttpTimeoutException.class);
            } catch (TimeoutException e) {
                throw new AssertionError("The export neither ended nor failed within 60 s after its query was"
                        + " terminated", e);
            }
        } finally {
            body.close();
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> openExports() == 0);
        assertASmallExportWorks();
    }
}
