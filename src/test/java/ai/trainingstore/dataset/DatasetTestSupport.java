package ai.trainingstore.dataset;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.OpenAiChatValidator.Shape;
import ai.trainingstore.support.LocalServices;
import ai.trainingstore.support.OwnSockets;
import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the dataset tests share: hand-made records published with XADD in either encoding (flat
 * fields, or one {@code data} document), waits until the store has committed them, requests of
 * the conversations dataset with the export token, and the checks every line must pass (the
 * independent {@link OpenAiChatValidator}).
 *
 * <p>Other test runs share the database, so every request names its own conversations
 * ({@code conversation_id=}) or starts after a prefix only this run uses, together with an agent
 * only this run uses.
 */
abstract class DatasetTestSupport extends StoreTestSupport {

    static final String EXPORT_TOKEN = "test-export-token";
    static final String INGEST_TOKEN = "test-ingest-token";
    static final String PATH = "/api/v1/datasets/conversations";
    static final String SUMMARY_PATH = PATH + "/summary";
    static final String FEEDBACK = LocalServices.stream("feedback");
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final Comparator<String> BYTEWISE = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    /** The two ways an agent publishes a record (contract section 2). */
    enum Encoding {
        /** Each field an entry field; JSON fields as JSON text. */
        FLAT,
        /** One entry field {@code data} holding the record as a JSON object. */
        DOCUMENT
    }

    // ---- Records ----

    /** One record to publish: its fields as JSON values (text, numbers, arrays, objects). */
    static final class Rec {
        final ObjectNode fields = NODES.objectNode();
        /** Fields holding a JSON value: sent as JSON text in the flat encoding, even a JSON string. */
        final Set<String> jsonFields = new HashSet<>();

        Rec put(String field, String value) {
            fields.put(field, value);
            return this;
        }

        Rec put(String field, long value) {
            fields.put(field, value);
            return this;
        }

        Rec put(String field, double value) {
            fields.put(field, value);
            return this;
        }

        Rec json(String field, JsonNode value) {
            fields.set(field, value);
            jsonFields.add(field);
            return this;
        }

        Rec json(String field, String jsonText) {
            return json(field, parse(jsonText));
        }

        // Message conveniences.
        Rec seq(long seq) {
            return put("seq", seq);
        }

        Rec id(String messageId) {
            return put("message_id", messageId);
        }

        Rec at(Instant occurredAt) {
            return put("occurred_at", occurredAt.toString());
        }

        Rec agent(String agentId) {
            return put("agent_id", agentId);
        }

        Rec task(String taskId) {
            return put("task_id", taskId);
        }

        Rec name(String name) {
            return put("name", name);
        }

        Rec answers(String toolCallId) {
            return put("tool_call_id", toolCallId);
        }

        Rec calls(JsonNode... calls) {
            ArrayNode array = NODES.arrayNode();
            Arrays.stream(calls).forEach(array::add);
            return json("tool_calls", array);
        }

        Rec tools(JsonNode... tools) {
            ArrayNode array = NODES.arrayNode();
            Arrays.stream(tools).forEach(array::add);
            return json("tools", array);
        }

        /** The flat entry: text and numbers as their text, JSON fields as JSON text. */
        Map<String, String> flat() {
            Map<String, String> entry = new LinkedHashMap<>();
            fields.properties().forEach(field -> entry.put(field.getKey(),
                    field.getValue().isTextual() && !jsonFields.contains(field.getKey()) ? field.getValue().textValue()
                            : field.getValue().toString()));
            return entry;
        }

        /** The document entry: one field {@code data}. */
        Map<String, String> document() {
            return Map.of("data", fields.toString());
        }

        Map<String, String> entry(Encoding encoding) {
            return encoding == Encoding.FLAT ? flat() : document();
        }
    }

    static Rec message(String conversationId, String role, String content) {
        return new Rec().put("conversation_id", conversationId).put("role", role).put("content", content);
    }

    /** An OpenAI tool call with its arguments as JSON text, exactly as given. */
    static ObjectNode call(String id, String function, String argumentsText) {
        ObjectNode call = NODES.objectNode().put("id", id).put("type", "function");
        call.putObject("function").put("name", function).put("arguments", argumentsText);
        return call;
    }

    /** A tool call with its arguments as a JSON object (some agents send them so). */
    static ObjectNode callWithObject(String id, String function, String argumentsObject) {
        ObjectNode call = NODES.objectNode().put("id", id).put("type", "function");
        call.putObject("function").put("name", function).set("arguments", parse(argumentsObject));
        return call;
    }

    /** A tool definition, OpenAI shape. */
    static ObjectNode tool(String function, String description, String parametersJson) {
        ObjectNode tool = NODES.objectNode().put("type", "function");
        ObjectNode definition = tool.putObject("function").put("name", function).put("description", description);
        definition.set("parameters", parse(parametersJson));
        return tool;
    }

    static Rec execution(String executionId, String toolName) {
        return new Rec().put("execution_id", executionId).put("agent_id", "dataset-test-agent").put("tool_name", toolName);
    }

    static Rec task(String taskId, String status, Instant occurredAt) {
        return new Rec().put("task_id", taskId).put("agent_id", "dataset-test-agent").put("status", status)
                .at(occurredAt);
    }

    static Rec feedback(String targetKind, String targetId, String name) {
        return new Rec().put("target_kind", targetKind).put("target_id", targetId).put("name", name);
    }

    // ---- Publishing ----

    /** Publishes the records to one stream in one MULTI/EXEC and waits until they are committed. */
    void publish(String stream, Encoding encoding, List<Rec> records) {
        List<String> ids = new ArrayList<>();
        for (int from = 0; from < records.size(); from += 1000) {
            ids.addAll(xaddTogether(stream, records.subList(from, Math.min(records.size(), from + 1000)).stream()
                    .map(record -> record.entry(encoding)).toList()));
        }
        awaitStoredEntries(stream, ids);
    }

    void publish(String stream, Encoding encoding, Rec... records) {
        publish(stream, encoding, List.of(records));
    }

    void publishMessages(Encoding encoding, List<Rec> records) {
        publish(MESSAGES, encoding, records);
    }

    void awaitStoredEntries(String stream, List<String> entryIds) {
        awaitAcknowledged(stream, entryIds);
        assertThat(deadLetters(entryIds)).as("dead letters among the published entries of %s", stream).isEmpty();
    }

    // ---- Requests ----

    /** Query parameters; a name may come more than once. */
    static final class Params {
        final List<String[]> pairs = new ArrayList<>();

        static Params of(String... namesAndValues) {
            Params params = new Params();
            for (int i = 0; i < namesAndValues.length; i += 2) {
                params.add(namesAndValues[i], namesAndValues[i + 1]);
            }
            return params;
        }

        static Params conversations(List<String> conversationIds) {
            return new Params().addAll("conversation_id", conversationIds);
        }

        Params add(String name, String value) {
            pairs.add(new String[] {name, value});
            return this;
        }

        Params addAll(String name, List<String> values) {
            values.forEach(value -> add(name, value));
            return this;
        }

        Params with(String... namesAndValues) {
            Params copy = new Params();
            copy.pairs.addAll(pairs);
            for (int i = 0; i < namesAndValues.length; i += 2) {
                copy.add(namesAndValues[i], namesAndValues[i + 1]);
            }
            return copy;
        }

        String value(String name) {
            return pairs.stream().filter(pair -> pair[0].equals(name)).map(pair -> pair[1]).findFirst().orElse(null);
        }

        Shape shape() {
            return "messages".equals(value("format")) ? Shape.MESSAGES : Shape.OPENAI;
        }

        boolean metadata() {
            return "true".equals(value("metadata"));
        }

        String query() {
            StringBuilder query = new StringBuilder();
            for (String[] pair : pairs) {
                query.append(query.length() == 0 ? "?" : "&").append(urlEncode(pair[0])).append('=')
                        .append(urlEncode(pair[1]));
            }
            return query.toString();
        }

        @Override
        public String toString() {
            return query();
        }
    }

    static String urlEncode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static RequestSpecification export() {
        return given().auth().oauth2(EXPORT_TOKEN).urlEncodingEnabled(false);
    }

    static Response get(String path, Params params) {
        return export().get(path + params.query());
    }

    /** The body of a successful dataset request, every line checked by the validator. */
    static String datasetBody(Params params) {
        Response response = get(PATH, params);
        assertThat(response.statusCode()).as("status of %s: %s", params, response.asString()).isEqualTo(200);
        assertThat(mediaType(response.contentType())).as("media type").isEqualTo("application/x-ndjson");
        String body = new String(response.asByteArray(), StandardCharsets.UTF_8);
        validateBody(body, params);
        return body;
    }

    /** The lines of a successful dataset request, parsed, each one checked by the validator. */
    static List<JsonNode> dataset(Params params) {
        return lines(datasetBody(params)).stream().map(DatasetTestSupport::parse).toList();
    }

    /**
     * Checks that the body is JSONL and every line is a valid fine-tuning line for the parameters;
     * every {@code format=messages} line is also rendered with an open model's kind of tool chat
     * template ({@link HermesChatTemplate}), so a line no trainer can render fails the test.
     */
    static void validateBody(String body, Params params) {
        for (String line : lines(body)) {
            OpenAiChatValidator.assertValid(line, params.shape(), params.metadata());
            if (params.shape() == Shape.MESSAGES) {
                HermesChatTemplate.render(line);
            }
        }
    }

    static List<String> lines(String body) {
        if (body.isEmpty()) {
            return List.of();
        }
        assertThat(body).as("a JSONL body ends with a newline").endsWith("\n");
        return List.of(body.substring(0, body.length() - 1).split("\n", -1));
    }

    static JsonNode summary(Params params) {
        Response response = get(SUMMARY_PATH, params);
        assertThat(response.statusCode()).as("status of summary %s: %s", params, response.asString()).isEqualTo(200);
        assertThat(mediaType(response.contentType())).isEqualTo("application/json");
        return parse(response.asString());
    }

    /** The conversation id of each line (asked with metadata=true). */
    static List<String> conversationIds(List<JsonNode> lines) {
        return lines.stream().map(line -> line.path("metadata").path("conversation_id").asText(null)).toList();
    }

    static String mediaType(String contentType) {
        return contentType == null ? null : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("Not JSON: " + json, e);
        }
    }

    /** JSON compared by value: numbers canonical, object keys in any order. */
    static JsonNode value(JsonNode node) {
        return canonical(node);
    }

    // ---- Raw HTTP: no automatic decompression, bodies as streams ----

    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    static URI uri(String path, Params params) {
        return URI.create("http://localhost:" + RestAssured.port + path + params.query());
    }

    static HttpRequest rawRequest(String acceptEncoding, Params params) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(PATH, params))
                .header("Authorization", "Bearer " + EXPORT_TOKEN)
                .timeout(Duration.ofSeconds(120));
        if (acceptEncoding != null) {
            request.header("Accept-Encoding", acceptEncoding);
        }
        return request.GET().build();
    }

    static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- The split, written from the contract's text alone ----

    /**
     * Contract 6.1: u = the first 8 bytes of SHA-256 of the UTF-8 text
     * {@code <split_seed>:<conversation_id>}, read as an unsigned big-endian integer, divided by
     * 2^64; {@code test} when u &lt; test_fraction, else {@code validation} when u &lt; test_fraction
     * + validation_fraction, else {@code train}. The fractions are taken as the decimals written in
     * the request; u is computed exactly (a 64-bit fraction has an exact decimal expansion).
     */
    static String referenceSplit(String conversationId, String validationFraction, String testFraction, String seed) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest((seed + ":" + conversationId)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        BigInteger first8 = BigInteger.ZERO;
        for (int i = 0; i < 8; i++) {
            first8 = first8.shiftLeft(8).or(BigInteger.valueOf(digest[i] & 0xff));
        }
        BigDecimal u = new BigDecimal(first8).divide(new BigDecimal(BigInteger.TWO.pow(64)), 70, RoundingMode.UNNECESSARY);
        BigDecimal test = new BigDecimal(testFraction);
        BigDecimal validation = new BigDecimal(validationFraction);
        if (u.compareTo(test) < 0) {
            return "test";
        }
        return u.compareTo(test.add(validation)) < 0 ? "validation" : "train";
    }

    // ---- Database ----

    /**
     * After a test deleted its large data set: the server may run without autovacuum (these
     * machines do), and the dead rows would otherwise stay in the shared table and its indexes,
     * slowing every later scan and skewing the planner's estimates. Plain VACUUM takes no lock
     * that blocks readers or writers.
     */
    static void vacuumMessages(java.sql.Connection connection) throws java.sql.SQLException {
        try (java.sql.Statement statement = connection.createStatement()) {
            statement.execute("VACUUM (ANALYZE) training_data.training_messages");
        }
    }

    // ---- Database: this JVM's backends ----

    /**
     * PostgreSQL backends of this JVM (found by the local ports of its own sockets to PostgreSQL)
     * that are inside a transaction running the conversations query: datasets whose cursor is
     * open. Other test runs on the machine have their own backends, which this never counts.
     */
    long openDatasetBackends() {
        return openBackends("SELECT m.conversation_id");
    }

    /** This JVM's connections idle in a transaction whose last query starts so: open cursors waiting for a client. */
    long openBackends(String queryStart) {
        Set<Integer> ports = OwnSockets.ownLocalPorts();
        return query("SELECT client_port FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"
                + " AND starts_with(query, ?) AND pid <> pg_backend_pid()", queryStart).stream()
                .map(row -> (Integer) row.get("client_port"))
                .filter(port -> port != null && ports.contains(port))
                .count();
    }

    /** Heap used after full collections: what the JVM (service and test) really holds. */
    static long liveHeap() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }
}
