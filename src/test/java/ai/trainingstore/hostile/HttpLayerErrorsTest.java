package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, bug 5 (errors below the REST resources): what the HTTP server refuses by itself (a URI
 * or headers over its limits, a body over the hard cap, a query that does not percent-decode) is
 * answered like every other error, {@code Content-Type: application/json} and {@code {"error": ...}}.
 * Ingest and replay consume any media type, yet a Content-Type that does not parse as one (or, for
 * replay, one its JSON reader cannot take) is refused with 415 by the REST layer before the
 * resource: that 415 is covered here too.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class HttpLayerErrorsTest extends HostileSupport {

    @Test
    void aUriOverTheLimitIs414WithAJsonError() {
        // Over 8 KB, well over: the service may allow somewhat more than 8 KB, but not 20 KB.
        for (int length : List.of(20_000, 100_000)) {
            String path = "/api/v1/export/events?agent_id=" + "a".repeat(length);
            assertJsonError(get(path, EXPORT_TOKEN), 414);
        }
    }

    @Test
    void aLongButAllowedUriIsAnsweredNormally() {
        RawHttp.Response response = get("/api/v1/export/events?limit=1&agent_id=" + "a".repeat(3_000), EXPORT_TOKEN);
        assertThat(problem(response, true)).as("%s", response).isNull();
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    void headersOverTheLimitAre431WithAJsonError() {
        var headers = auth(EXPORT_TOKEN);
        headers.put("X-Padding", "p".repeat(40_000));
        assertJsonError(http().get("/api/v1/export/events?limit=1", headers, REQUEST_TIMEOUT), 431);
        var many = auth(EXPORT_TOKEN);
        for (int i = 0; i < 400; i++) {
            many.put("X-Many-" + i, "v".repeat(100));
        }
        assertJsonError(http().get("/api/v1/stats", many, REQUEST_TIMEOUT), 431);
    }

    @Test
    void aBodyOverTheHardCapIs413WithAJsonError() {
        long overCap = 64L * 1024 * 1024 + 1;
        for (String path : List.of("/api/v1/ingest/events", "/api/v1/dead-letters/replay")) {
            for (boolean chunked : List.of(false, true)) {
                var headers = auth(INGEST_TOKEN);
                headers.put("Content-Type", "application/json");
                RawHttp.Body body = chunked ? RawHttp.Body.chunked(() -> GeneratedBody.eventOf(overCap))
                        : RawHttp.Body.sized(overCap, () -> GeneratedBody.eventOf(overCap));
                RawHttp.Response response = http().send("POST", path, headers, body, Duration.ofSeconds(60));
                assertJsonError(response, 413);
            }
        }
    }

    @Test
    void aContentTypeThatIsNotAMediaTypeIsRefusedWithAJsonError() {
        // The REST layer answers 415 (before the resource) for a Content-Type that does not parse;
        // 415 or 400, the answer is a JSON error.
        byte[] record = "{\"event_type\":\"x\",\"agent_id\":\"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] ids = "{\"ids\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (String contentType : List.of("json", "a/b/c", ";;;")) {
            for (String path : List.of("/api/v1/ingest/events", "/api/v1/dead-letters/replay")) {
                RawHttp.Response response = post(path, INGEST_TOKEN, contentType, path.contains("ingest") ? record : ids);
                assertThat(response.status()).as("%s with Content-Type '%s': %s", path, contentType, response)
                        .isIn(400, 415);
                assertJsonError(response, response.status());
            }
        }
    }

    @Test
    void aBodyTheJsonReaderRefusesBeforeTheResourceIs400WithAJsonError() {
        // Replay's body is read by the REST layer's JSON reader, which refuses these before the resource runs.
        for (String body : List.of("{\"ids\":" + "[".repeat(5_000), "{\"ids\":[\"1-1\"]", "{\"ids\":[01]}")) {
            assertJsonError(postJson("/api/v1/dead-letters/replay", INGEST_TOKEN, body), 400);
        }
    }

    @Test
    void aMalformedPercentEncodingIs400() {
        // Valid URIs whose query does not decode as UTF-8: the store's own check, a JSON error.
        for (String path : List.of("/api/v1/export/events?agent_id=%C3%28", "/api/v1/export/events?agent_id=%FF",
                "/api/v1/stats?x=%C3")) {
            String token = path.contains("stats") ? ALL_TOKEN : EXPORT_TOKEN;
            assertJsonError(get(path, token), 400);
        }
        // Not URIs at all ('%' without two hex digits): Quarkus answers 400 before the store runs, bare
        // (docs/http-api.md, "Hostile input"); never a 5xx, and the service goes on.
        for (String path : List.of("/api/v1/export/events?agent_id=%zz", "/api/v1/export/events?agent_id=%",
                "/api/v1/export/events?agent_id=a%2", "/api/v1/export/events?%zz=1",
                "/api/v1/dead-letters?after=%zz", "/api/v1/stats?x=%zz", "/api/v1/export/%zz", "/api/v1/export/%")) {
            RawHttp.Response response = get(path, path.contains("stats") ? ALL_TOKEN : EXPORT_TOKEN);
            assertThat(response.status()).as("%s: %s", path, response).isEqualTo(400);
            assertThat(HostileSupport.isUri(path)).as("%s is not a URI", path).isFalse();
        }
        assertServiceWhole();
    }
}
