package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@code Accept-Encoding: gzip} gets a gzip stream whose content is exactly the plain export, in
 * both formats, across several chunks of rows; without it, or with gzip refused, the body is
 * plain. Read with java.net.http, which does not decompress, so the bytes on the wire are seen.
 */
@QuarkusTest
class ExportGzipTest extends ExportTestSupport {

    /** More rows than one chunk of the exporter (1000 by default), so the gzip stream is flushed several times. */
    private static final int ROWS = 2500;

    private static String agent;

    private synchronized String agent() {
        if (agent == null) {
            String newAgent = unique("gzip-agent");
            for (int chunk = 0; chunk < ROWS / 500; chunk++) {
                List<Map<String, String>> entries = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    int n = chunk * 500 + i;
                    entries.add(fields("event_type", "gzipped", "agent_id", newAgent, "task_id", "task-" + n,
                            "workflow_id", "wf", "session_id", "s-" + n % 7, "payload",
                            "{\"n\": " + n + ", \"text\": \"row " + n + ", \\\"quoted\\\"\"}"));
                }
                awaitStored(EVENTS, xaddTogether(EVENTS, entries));
            }
            assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", newAgent))
                    .isEqualTo(ROWS);
            agent = newAgent;
        }
        return agent;
    }

    @Test
    void jsonlWithAcceptEncodingGzipIsTheGzipOfThePlainExport() {
        assertGzipIsThePlainExport("jsonl", JSONL_TYPE);
    }

    @Test
    void csvWithAcceptEncodingGzipIsTheGzipOfThePlainExport() {
        assertGzipIsThePlainExport("csv", CSV_TYPE);
    }

    private void assertGzipIsThePlainExport(String format, String mediaType) {
        String agent = agent();
        HttpResponse<byte[]> plain = rawGet(null, Kind.EVENT, "agent_id", agent, "format", format);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("Content-Encoding")).as("no Content-Encoding without gzip asked")
                .isEmpty();
        assertThat(mediaType(plain.headers().firstValue("Content-Type").orElse(null))).isEqualTo(mediaType);
        String text = new String(plain.body(), StandardCharsets.UTF_8);
        int rows = format.equals("csv") ? csvRecords(text).size() - 1 : jsonlLines(text).size();
        assertThat(rows).as("rows of the plain export").isEqualTo(ROWS);

        HttpResponse<byte[]> gzipped = rawGet("gzip", Kind.EVENT, "agent_id", agent, "format", format);
        assertThat(gzipped.statusCode()).isEqualTo(200);
        assertThat(gzipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(mediaType(gzipped.headers().firstValue("Content-Type").orElse(null))).isEqualTo(mediaType);
        assertThat(gzipped.body()).as("gzip magic number").startsWith((byte) 0x1f, (byte) 0x8b);
        assertThat(gzipped.body().length).as("compressed").isLessThan(plain.body().length);
        assertThat(gunzip(gzipped.body())).as("decompressed body").isEqualTo(plain.body());
    }

    @Test
    void anEmptyExportIsStillACompleteGzipStream() {
        String agent = agent();
        HttpResponse<byte[]> jsonl = rawGet("gzip", Kind.EVENT, "agent_id", agent, "limit", "0");
        assertThat(jsonl.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gunzip(jsonl.body())).isEmpty();
        HttpResponse<byte[]> csv = rawGet("gzip", Kind.EVENT, "agent_id", agent, "limit", "0", "format", "csv");
        assertThat(gunzip(csv.body())).isEqualTo(rawGet(null, Kind.EVENT, "agent_id", agent, "limit", "0",
                "format", "csv").body());
    }

    @Test
    void gzipIsUsedOnlyWhenTheClientAcceptsIt() {
        String agent = agent();
        byte[] plain = rawGet(null, Kind.EVENT, "agent_id", agent, "limit", "10").body();
        for (String accepted : List.of("gzip", "GZIP", "deflate, gzip;q=0.5", "br, gzip")) {
            HttpResponse<byte[]> response = rawGet(accepted, Kind.EVENT, "agent_id", agent, "limit", "10");
            assertThat(response.headers().firstValue("Content-Encoding")).as("Accept-Encoding: %s", accepted)
                    .hasValue("gzip");
            assertThat(gunzip(response.body())).as("Accept-Encoding: %s", accepted).isEqualTo(plain);
        }
        for (String refused : List.of("identity", "gzip;q=0", "gzip; q=0.0", "deflate")) {
            HttpResponse<byte[]> response = rawGet(refused, Kind.EVENT, "agent_id", agent, "limit", "10");
            assertThat(response.headers().firstValue("Content-Encoding")).as("Accept-Encoding: %s", refused)
                    .isEmpty();
            assertThat(response.body()).as("Accept-Encoding: %s", refused).isEqualTo(plain);
        }
    }

    /** Decompresses a whole gzip stream; a stream without its trailer fails here. */
    private static byte[] gunzip(byte[] gzip) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("not a complete gzip stream", e);
        }
    }
}
