package ai.trainingstore.hostile;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile values for {@code GET /api/v1/dead-letters} (after, limit, unknown and repeated
 * parameters), the datasets' parameters, {@code GET /api/v1/stats} (which takes none), {@code POST
 * /api/v1/dead-letters/replay} (bodies and content types) and the {@code Authorization} header of
 * every endpoint. Same rule and same checks afterwards as {@link HostileExportTest}, whose javadoc
 * says why these are JUnit dynamic tests over a seeded generator rather than jqwik properties.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class HostileDeadLettersAndStatsTest extends HostileSupport {

    /** What one try sends. */
    record Request(String family, String method, String target, String token, String contentType, byte[] body,
                   Map<String, String> headers) {
        static Request get(String family, String target, String token) {
            return new Request(family, "GET", target, token, null, null, Map.of());
        }
    }

    record Property(String name, BiFunction<Hostile, Integer, Request> generator) {
    }

    /** One dataset parameter (or an unknown one) with a hostile value of a fitting family. */
    private static Request datasetRequest(Hostile hostile, String pathAndQuery, List<String> names) {
        String name = hostile.parameterName(names);
        Hostile.Value value = switch (name) {
            case "from", "to" -> hostile.dateValue();
            case "limit", "validation_fraction", "test_fraction", "max_tokens", "margin", "threshold", "near_threshold"
                    -> hostile.numberValue();
            case "min_score", "max_score" -> hostile.chance(0.5) ? hostile.value()
                    : new Hostile.Value("score " + hostile.numberValue().family(),
                            "correctness%3A" + hostile.numberValue().encoded());
            default -> hostile.value();
        };
        return Request.get(value.family(), pathAndQuery + "&" + name + "=" + value.encoded(), EXPORT_TOKEN);
    }

    static List<Property> properties() {
        return List.of(
                new Property("dead-letters after", (hostile, i) -> {
                    Hostile.Value value = hostile.entryIdValue();
                    return Request.get(value.family(), "/api/v1/dead-letters?limit=5&after=" + value.encoded(),
                            EXPORT_TOKEN);
                }),
                new Property("dead-letters limit", (hostile, i) -> {
                    Hostile.Value value = hostile.numberValue();
                    return Request.get(value.family(), "/api/v1/dead-letters?limit=" + value.encoded(), EXPORT_TOKEN);
                }),
                new Property("dead-letters unknown and repeated parameters", (hostile, i) -> {
                    Hostile.Value value = hostile.value();
                    String target = hostile.chance(0.5)
                            ? "/api/v1/dead-letters?" + hostile.parameterName(List.of("after", "limit")) + "="
                            + value.encoded()
                            : "/api/v1/dead-letters?" + hostile.pick(List.of("after", "limit")) + "=" + value.encoded()
                            + "&" + hostile.pick(List.of("after", "limit")) + "=" + hostile.value().encoded();
                    return Request.get(value.family(), target, EXPORT_TOKEN);
                }),
                // Every parameter of each dataset with a hostile value, on the lines (and the conversations'
                // summary); a filter that matches nothing keeps a valid request cheap.
                new Property("dataset parameters (conversations and summary)", (hostile, i) -> datasetRequest(hostile,
                        hostile.chance(0.5) ? "/api/v1/datasets/conversations?conversation_id=hostile-none"
                                : "/api/v1/datasets/conversations/summary?conversation_id=hostile-none",
                        List.of("format", "metadata", "from", "to", "conversation_id", "agent_id", "task_id",
                                "task_status", "has_tools", "min_score", "max_score", "limit", "after", "split",
                                "validation_fraction", "test_fraction", "split_seed", "redact", "max_tokens", "tokenizer",
                                "dedup", "near_threshold"))),
                new Property("dataset parameters (preferences and summary)", (hostile, i) -> datasetRequest(hostile,
                        (hostile.chance(0.5) ? "/api/v1/datasets/preferences" : "/api/v1/datasets/preferences/summary")
                                + "?conversation_id=hostile-none&score=reward",
                        List.of("format", "pairs", "score", "margin", "threshold", "metadata", "from", "to",
                                "conversation_id", "agent_id", "task_id", "task_status", "has_tools", "min_score",
                                "max_score", "limit", "after", "split", "validation_fraction", "test_fraction",
                                "split_seed", "redact", "max_tokens", "tokenizer", "dedup", "near_threshold"))),
                new Property("dataset parameters (trajectories)", (hostile, i) -> datasetRequest(hostile,
                        "/api/v1/datasets/trajectories?task_id=hostile-none",
                        List.of("from", "to", "task_id", "agent_id", "workflow_id", "task_type", "status", "min_score",
                                "max_score", "limit", "after", "split", "validation_fraction", "test_fraction",
                                "split_seed", "redact", "max_tokens", "tokenizer"))),
                new Property("analytics views and parameters", (hostile, i) -> {
                    Hostile.Value value = hostile.value();
                    String view = hostile.chance(0.2) ? value.encoded() : hostile.pick(List.of("agent_daily",
                            "tool_daily", "task_outcomes_daily", "feedback_daily"));
                    String name = hostile.parameterName(List.of("from", "to", "agent_id", "format"));
                    Hostile.Value parameter = name.equals("from") || name.equals("to") ? hostile.dateValue() : value;
                    return Request.get(parameter.family(), "/api/v1/analytics/" + view + "?agent_id=hostile-none&"
                            + name + "=" + parameter.encoded(), EXPORT_TOKEN);
                }),
                new Property("retention run parameters", (hostile, i) -> {
                    Hostile.Value value = hostile.value();
                    // Retention takes no parameter: every one is refused before anything runs.
                    return new Request(value.family(), "POST", "/api/v1/retention/run?"
                            + hostile.parameterName(List.of("kind", "x")) + "=" + value.encoded(), ADMIN_TOKEN,
                            null, null, Map.of());
                }),
                new Property("redact on row exports", (hostile, i) -> {
                    Hostile.Value value = hostile.value();
                    return Request.get(value.family(), "/api/v1/export/" + hostile.pick(List.of("events", "messages",
                            "tasks")) + "?limit=1&format=" + hostile.pick(List.of("jsonl", "csv", "parquet"))
                            + "&redact=" + value.encoded(), EXPORT_TOKEN);
                }),
                new Property("stats parameters", (hostile, i) -> {
                    Hostile.Value value = hostile.value();
                    return Request.get(value.family(), "/api/v1/stats?" + hostile.parameterName(List.of("kind", "x"))
                            + "=" + value.encoded(), i % 2 == 0 ? EXPORT_TOKEN : INGEST_TOKEN);
                }),
                new Property("replay bodies", (hostile, i) -> {
                    String family;
                    String body;
                    switch (hostile.random.nextInt(5)) {
                        case 0 -> {
                            family = "ids of any type";
                            StringBuilder ids = new StringBuilder("{\"ids\":[");
                            int n = hostile.random.nextInt(4);
                            for (int k = 0; k < n; k++) {
                                ids.append(k == 0 ? "" : ",").append(hostile.jsonValue(1));
                            }
                            body = ids.append("]}").toString();
                        }
                        case 1 -> {
                            family = "ids that look like entry ids";
                            body = "{\"ids\":[\"" + Hostile.escape(java.net.URLDecoder.decode(
                                    hostile.entryIdValue().encoded().replace("+", "%2B"), StandardCharsets.UTF_8))
                                    + "\"]}";
                        }
                        case 2 -> {
                            family = "ids of another shape";
                            body = "{\"ids\":" + hostile.jsonValue(1) + "}";
                        }
                        case 3 -> {
                            family = "other JSON";
                            body = hostile.pick(List.of("{\"ids\":[\"1-1\"],\"ids\":[\"2-2\"]}", "{\"IDS\":[]}",
                                    "{\"ids\":[\"1-1\"],\"extra\":1}", "[]", "\"x\"", "0", "{", "}", "{\"ids\":",
                                    "\uFEFF{\"ids\":[]}", "{\"ids\":[]} trailing", "{\"ids\":[]}{\"ids\":[]}",
                                    "[".repeat(5_000), "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000)));
                        }
                        default -> {
                            family = "ids with hostile strings";
                            body = "{\"ids\":[" + hostile.jsonString() + "]}";
                        }
                    }
                    String contentType = hostile.pick(List.of("application/json", "application/json",
                            "application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded",
                            "multipart/form-data; boundary=x", "a/b/c", "*/*", "", "application/xml"));
                    return new Request(family + " (" + contentType + ")", "POST", "/api/v1/dead-letters/replay",
                            INGEST_TOKEN, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
                }),
                new Property("authorization headers of every endpoint", (hostile, i) -> {
                    String target = hostile.pick(List.of("/api/v1/export/events?limit=1", "/api/v1/stats",
                            "/api/v1/dead-letters?limit=1", "/api/v1/ingest/events", "/api/v1/dead-letters/replay",
                            "/api/v1/datasets/trajectories?limit=1"));
                    String header = hostile.pick(List.of("Bearer", "Bearer ", "bearer " + EXPORT_TOKEN,
                            "Bearer  " + EXPORT_TOKEN, "Bearer " + EXPORT_TOKEN + " x", "Basic " + EXPORT_TOKEN,
                            "Bearer " + "t".repeat(4_000), "Bearer " + EXPORT_TOKEN.substring(1), "Bearer %00",
                            "Bearer \u00e9", "Bearer\t" + EXPORT_TOKEN, "Token " + EXPORT_TOKEN, ",,,", "Bearer ,"));
                    boolean post = target.endsWith("events") || target.endsWith("replay");
                    return new Request("authorization", post ? "POST" : "GET", target, null, post ? "application/json"
                            : null, post ? "{}".getBytes(StandardCharsets.UTF_8) : null,
                            Map.of("Authorization", header.replaceAll("[^\\x09\\x20-\\x7e]", "?")));
                }));
    }

    @TestFactory
    Stream<DynamicContainer> everyParameterAndBody() {
        return properties().stream().map(property -> dynamicContainer(property.name(), Stream.of(
                dynamicTest(Hostile.TRIES + " hostile requests", () -> run(property)),
                dynamicTest("the service is still whole", HostileSupport::assertServiceWhole))));
    }

    private static void run(Property property) {
        Hostile hostile = new Hostile(property.name());
        PropertyRun run = new PropertyRun(property.name());
        for (int i = 0; i < Hostile.TRIES; i++) {
            Request request = property.generator().apply(hostile, i);
            Map<String, String> headers = auth(request.token());
            headers.putAll(request.headers());
            if (request.contentType() != null && !request.contentType().isEmpty()) {
                headers.put("Content-Type", request.contentType());
            }
            RawHttp.Response response = http().send(request.method(), request.target(), headers,
                    request.body() == null ? null : RawHttp.Body.of(request.body()), REQUEST_TIMEOUT);
            String shown = request.method() + " " + request.target()
                    + (request.body() == null ? "" : " " + new String(request.body(), StandardCharsets.UTF_8));
            run.record(request.family(), shown, response, problem(response, false, request.target()));
        }
        run.verify();
    }

    @AfterAll
    static void wholeAtTheEnd() {
        assertServiceWhole();
    }
}
