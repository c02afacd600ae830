package ai.trainingstore.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.RestAssured;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the hostile-input and regression tests share: raw requests (every byte chosen by the test),
 * the rule every answer must follow (2xx or 4xx, never 5xx or silence; a 4xx is a JSON
 * {@code {"error": ...}}; an export that answers 200 ends with its final chunk), and the checks that
 * the service is still whole after hostile traffic: exports still get a slot, no pooled Redis
 * connection is left inside MULTI, and the heap is not holding on to request bodies.
 */
abstract class HostileSupport extends StoreTestSupport {

    /**
     * The test classes of this package share one application of their own, started apart from the
     * default-profile classes (Quarkus restarts on a profile change, and its class orderer runs the
     * classes of one profile back to back): a bug that breaks the service for good (an export slot
     * that leaks, a Redis connection left in MULTI) then fails the hostile class that caused it and
     * the hostile classes after it, never the rest of the suite. One profile, not one per class:
     * each extra profile is another boot (Flyway, consumer groups, first poll) on every CI run.
     * The heap baseline is still taken per class ({@link #heapAtStart}).
     */
    public static class FreshApplication implements io.quarkus.test.junit.QuarkusTestProfile {
    }

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";
    static final String ALL_TOKEN = "test-all-token";
    static final String ADMIN_TOKEN = "test-admin-token";

    /**
     * The kinds the service serves, found from the database catalogue (a table
     * {@code training_data.training_<kind>} per kind) and kept when {@code GET
     * /api/v1/export/<kind>?limit=0} answers 200; so a kind added later is covered without
     * this suite naming it, and the suite reads no production class.
     */
    static List<String> KINDS = List.of();

    /** Per kind: its text columns (the export filters) and its required text columns (NOT NULL, no default). */
    private static final Map<String, List<String>> TEXT_COLUMNS = new LinkedHashMap<>();
    private static final Map<String, List<String>> REQUIRED_COLUMNS = new LinkedHashMap<>();
    private static final Set<String> NOT_FIELDS = Set.of("stream_entry_id", "version");

    /** Longest any one request may take before it counts as a hang. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Used heap after a full collection may grow by less than this over what it was when the
     * class started (the application runs in the test JVM). Measured from the class's start, not
     * as an absolute figure, because the JVM also holds what earlier classes' applications left.
     */
    static final long HEAP_BOUND = 256L * 1024 * 1024;

    /** Used heap after GC when this class's first test started. */
    static long heapAtStart = -1;

    /** The class {@link #heapAtStart} was taken for (the classes share one application, so these statics). */
    private static Class<?> heapBaselineClass;

    /** Rows seeded once per run that the export properties read (filtered on, so bodies stay small). */
    static final String SEED = "hostile-seed-" + Long.toHexString(System.nanoTime());

    private static final AtomicBoolean SEEDED = new AtomicBoolean();

    /**
     * Reads what the service sends without Jackson's default limits (1,000 digits, 1,000 levels):
     * a stored number of 1,001 digits is valid JSON in an export, and must not count as a cut line.
     */
    static final com.fasterxml.jackson.databind.ObjectMapper LENIENT = com.fasterxml.jackson.databind.json.JsonMapper
            .builder(com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                            .maxNumberLength(Integer.MAX_VALUE)
                            .maxNestingDepth(Integer.MAX_VALUE)
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNameLength(Integer.MAX_VALUE)
                            .build())
                    .build())
            .build();

    /** The application's port; kept, because Quarkus resets REST Assured's before {@code @AfterAll} runs. */
    private static volatile int port = -1;

    static RawHttp http() {
        if (RestAssured.port > 0) {
            port = RestAssured.port;
        }
        return new RawHttp("localhost", port);
    }

    static Map<String, String> auth(String token) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        return headers;
    }

    static RawHttp.Response get(String target, String token) {
        return http().get(target, auth(token), REQUEST_TIMEOUT);
    }

    static RawHttp.Response post(String target, String token, String contentType, byte[] body) {
        Map<String, String> headers = auth(token);
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return http().send("POST", target, headers, body == null ? null : RawHttp.Body.of(body), REQUEST_TIMEOUT);
    }

    static RawHttp.Response postJson(String target, String token, String body) {
        return post(target, token, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    // ---- percent-encoding under the test's control ----

    /** Every byte of the text's UTF-8 encoding outside the unreserved set as %XX. */
    static String pct(String text) {
        return pctBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    static String pctBytes(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 3);
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    // ---- the rule every answer follows ----

    /**
     * Null when the answer follows the rule, else what is wrong, short enough to group answers by
     * (the first words name the class of failure).
     */
    static String problem(RawHttp.Response response, boolean isExport) {
        return problem(response, isExport, null);
    }

    /**
     * As above, for a request to {@code target}. One answer is allowed to be bare: a 400 to a
     * target that is not an RFC 3986 URI at all (a '%' not followed by two hex digits, say), which
     * Quarkus refuses before any code of the store runs (docs/http-api.md, "Hostile input").
     */
    static String problem(RawHttp.Response response, boolean isExport, String target) {
        if (target != null && response.answered() && response.status() == 400 && !isUri(target)) {
            return null;
        }
        if (!response.answered()) {
            return "no answer: " + response.failure();
        }
        if (response.bodyTimedOut()) {
            return "status " + response.status() + " but the body did not end within " + REQUEST_TIMEOUT.toSeconds()
                    + " s";
        }
        int status = response.status();
        if (status >= 500) {
            return "status " + status;
        }
        if (status < 200 || (status >= 300 && status < 400)) {
            return "status " + status + " is neither 2xx nor 4xx";
        }
        if (!response.complete()) {
            return "status " + status + " with a cut body (no final chunk or short Content-Length)";
        }
        if (status >= 400) {
            return errorBodyProblem(response);
        }
        if (isExport && ("application/x-ndjson".equals(response.mediaType()) || "text/csv".equals(response.mediaType()))) {
            return exportBodyProblem(response);
        }
        return null;
    }

    static boolean isUri(String target) {
        try {
            new java.net.URI(target);
            return true;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    /** Null when a 4xx has Content-Type application/json and a JSON object with a non-empty "error". */
    static String errorBodyProblem(RawHttp.Response response) {
        if (!"application/json".equals(response.mediaType())) {
            return "status " + response.status() + " with Content-Type " + response.header("content-type")
                    + " instead of application/json";
        }
        JsonNode body;
        try {
            body = LENIENT.readTree(response.body());
        } catch (IOException e) {
            return "status " + response.status() + " whose body is not JSON";
        }
        if (body == null || !body.isObject() || !body.path("error").isTextual() || body.path("error").asText().isBlank()) {
            return "status " + response.status() + " whose JSON has no non-empty \"error\" string";
        }
        return null;
    }

    /** Null when an export body is whole: gzip decodes to its end, JSONL lines are objects, CSV has its header. */
    static String exportBodyProblem(RawHttp.Response response) {
        byte[] bytes = response.body();
        if (response.bodyBytes() > bytes.length) {
            return null; // a large export: only its final chunk is checked, its bytes were not all kept
        }
        if ("gzip".equalsIgnoreCase(response.header("content-encoding"))) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                return "export 200 whose gzip stream does not decode to its end: " + e.getMessage();
            }
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if ("text/csv".equals(response.mediaType())) {
            return text.startsWith("\"") || text.contains("\r\n") ? null : "export 200 CSV without a header row";
        }
        if (!text.isEmpty() && !text.endsWith("\n")) {
            return "export 200 JSONL whose last line is unfinished";
        }
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (!LENIENT.readTree(line).isObject()) {
                    return "export 200 JSONL with a line that is not an object";
                }
            } catch (IOException e) {
                return "export 200 JSONL with a line that is not JSON";
            }
        }
        return null;
    }

    /** Asserts a 4xx JSON error with that status; returns its message. */
    static String assertJsonError(RawHttp.Response response, int status) {
        assertThat(response.answered()).as("an answer to the request: %s", response).isTrue();
        assertThat(response.status()).as("status; answer: %s", response).isEqualTo(status);
        assertThat(errorBodyProblem(response)).as("the error body; answer: %s, headers %s", response,
                response.headers()).isNull();
        try {
            return LENIENT.readTree(response.body()).get("error").asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---- the service is still whole ----

    /** The paths of five ordinary exports, each of which must answer 200 with a complete body. */
    static final List<String> NORMAL_EXPORTS = List.of(
            "/api/v1/export/events?limit=50",
            "/api/v1/export/events?format=csv&limit=50",
            "/api/v1/export/tasks?limit=20",
            "/api/v1/export/messages?from=2000-01-01&limit=20",
            "/api/v1/export/events?limit=5&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z");

    /** Five exports one after another, each 200 and complete: no export slot has leaked. */
    static void assertExportsStillWork() {
        for (String path : NORMAL_EXPORTS) {
            RawHttp.Response response = get(path, EXPORT_TOKEN);
            assertThat(response.status()).as("status of the normal export %s (a leaked slot answers 429): %s",
                    path, response).isEqualTo(200);
            assertThat(problem(response, true)).as("the normal export %s", path).isNull();
        }
        // And with gzip, which has its own trailer.
        Map<String, String> gzip = auth(EXPORT_TOKEN);
        gzip.put("Accept-Encoding", "gzip");
        RawHttp.Response zipped = http().get("/api/v1/export/events?limit=50", gzip, REQUEST_TIMEOUT);
        assertThat(zipped.status()).as("gzip export: %s", zipped).isEqualTo(200);
        assertThat(problem(zipped, true)).as("gzip export").isNull();
    }

    /**
     * No connection of this JVM (the application's Redis pool) stays inside MULTI (flag {@code x}
     * in CLIENT LIST). A transaction in progress is there for a moment only, so a client counts
     * when it is still in MULTI after a few seconds.
     */
    static void assertNoRedisClientInMulti() {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(ownClientsInMulti()).as("this JVM's Redis connections inside MULTI (flags=...x...)")
                        .isEmpty());
    }

    static List<RedisWire.Client> ownClientsInMulti() {
        Set<Integer> own = RedisWire.ownRedisPorts();
        try (RedisWire wire = new RedisWire()) {
            return wire.clients().stream()
                    .filter(RedisWire.Client::inMulti)
                    .filter(client -> own.isEmpty() || own.contains(client.port()))
                    .toList();
        }
    }

    /**
     * Closes this JVM's Redis connections left inside MULTI, so that one failed test does not
     * poison the pool for the tests after it (the pool replaces a closed connection).
     */
    static void closeOwnClientsInMulti() {
        try (RedisWire wire = new RedisWire()) {
            for (RedisWire.Client client : ownClientsInMulti()) {
                wire.call("CLIENT", "KILL", "ID", client.id());
            }
        }
    }

    /** Used heap right after a full collection. */
    static long usedHeapAfterGc() {
        System.gc(); // a full collection with G1: one is enough for a used-heap reading
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static void assertHeapBounded() {
        long used = usedHeapAfterGc();
        assertThat(used - heapAtStart).as("growth of the heap used after GC, MiB: %d (now %d, at the class's start %d)",
                (used - heapAtStart) >> 20, used >> 20, heapAtStart >> 20).isLessThan(HEAP_BOUND);
    }

    /** All three: slots, Redis connections, heap; and the other endpoints still answer. */
    static void assertServiceWhole() {
        assertExportsStillWork();
        assertNoRedisClientInMulti();
        assertHeapBounded();
        for (String path : List.of("/api/v1/stats", "/api/v1/dead-letters?limit=5")) {
            RawHttp.Response response = get(path, EXPORT_TOKEN);
            assertThat(response.status()).as("%s: %s", path, response).isEqualTo(200);
        }
    }

    // ---- seeded rows ----

    /** The text columns of a kind that exports filter on. */
    static List<String> filterColumns(String kind) {
        return TEXT_COLUMNS.getOrDefault(kind, List.of());
    }

    /** The text fields a record of the kind must have. */
    static List<String> requiredColumns(String kind) {
        return REQUIRED_COLUMNS.getOrDefault(kind, List.of());
    }

    /** Reads the kinds and their columns once per run (see {@link #KINDS}). */
    @BeforeEach
    void readCatalogue() {
        synchronized (TEXT_COLUMNS) {
            if (heapBaselineClass != getClass()) {
                heapBaselineClass = getClass();
                heapAtStart = usedHeapAfterGc();
            }
            if (!KINDS.isEmpty()) {
                return;
            }
            for (Map<String, Object> column : query("SELECT table_name, column_name, is_nullable, column_default"
                    + " FROM information_schema.columns WHERE table_schema = 'training_data' AND table_name LIKE"
                    + " 'training\\_%' AND data_type = 'text' ORDER BY table_name, ordinal_position")) {
                String kind = ((String) column.get("table_name")).substring("training_".length());
                String name = (String) column.get("column_name");
                if (NOT_FIELDS.contains(name)) {
                    continue;
                }
                TEXT_COLUMNS.computeIfAbsent(kind, k -> new ArrayList<>()).add(name);
                if ("NO".equals(column.get("is_nullable")) && column.get("column_default") == null) {
                    REQUIRED_COLUMNS.computeIfAbsent(kind, k -> new ArrayList<>()).add(name);
                }
            }
            List<String> served = new ArrayList<>();
            for (String kind : TEXT_COLUMNS.keySet()) {
                if (get("/api/v1/export/" + kind + "?limit=0", EXPORT_TOKEN).status() == 200) {
                    served.add(kind);
                }
            }
            assertThat(served).as("kinds served (tables in training_data: %s)", TEXT_COLUMNS.keySet())
                    .contains("events", "tasks", "tool_executions", "workflows", "messages");
            KINDS = List.copyOf(served);
        }
    }

    /** The column the properties filter on to read only the seeded rows. */
    static String seedColumn(String kind) {
        return switch (kind) {
            case "workflows" -> "workflow_type";
            case "messages" -> "conversation_id";
            default -> "agent_id";
        };
    }

    /** Three rows of each kind, with awkward but valid content, stored once per run. */
    void seedRows() {
        if (!SEEDED.compareAndSet(false, true)) {
            return;
        }
        String text = "quote \" comma , newline \n tab \t emoji \uD83D\uDE00 rtl \u202Eabc\u202C bom \uFEFF";
        Map<String, List<Map<String, String>>> entries = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            String occurred = "2026-0" + (i + 1) + "-15T12:00:00." + (123456 + i) + "Z";
            String json = "{\"s\":\"" + text.replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t")
                    + "\",\"n\":1E+2,\"big\":12345678901234567890,\"nested\":[[{}]]}";
            add(entries, EVENTS, "event_type", "hostile", "agent_id", SEED, "event_id", SEED + "-e" + i,
                    "payload", json, "occurred_at", occurred, "note", text);
            add(entries, TASKS, "task_id", SEED + "-t" + i, "agent_id", SEED, "status", "running", "error", text,
                    "input", json, "occurred_at", occurred);
            add(entries, TOOL_EXECUTIONS, "execution_id", SEED + "-x" + i, "agent_id", SEED, "tool_name", "t",
                    "duration_ms", "9223372036854775807", "output_result", json, "occurred_at", occurred);
            add(entries, WORKFLOWS, "workflow_id", SEED + "-w" + i, "workflow_type", SEED, "phase", text,
                    "agent_ids", "[\"a\",\"" + SEED + "\"]", "occurred_at", occurred);
            add(entries, MESSAGES, "conversation_id", SEED, "role", "user", "content", text, "seq", "-" + i,
                    "message_id", SEED + "-m" + i, "occurred_at", occurred);
        }
        entries.forEach((stream, list) -> awaitAcknowledged(stream, xaddTogether(stream, list)));
    }

    private static void add(Map<String, List<Map<String, String>>> entries, String stream, String... fields) {
        entries.computeIfAbsent(stream, s -> new ArrayList<>()).add(fields(fields));
    }
}
