package ai.trainingstore.hostile;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile bodies for {@code POST /api/v1/ingest/{kind}}, for every kind: every field of a record
 * given hostile JSON values (NUL and lone surrogates as escapes, numbers PostgreSQL cannot hold,
 * deep nesting, wrong types, 100 KB strings, extreme occurred_at), hostile body shapes (empty, BOM,
 * nested arrays, NDJSON oddities, invalid UTF-8, raw control characters, UTF-16), hostile content
 * types and kind path segments. Same rule and checks afterwards as {@link HostileExportTest}, whose
 * javadoc says why these are JUnit dynamic tests over a seeded generator rather than jqwik
 * properties. Bodies stay small (at most 50 records): large requests are {@link LargeIngestTest}'s.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class HostileIngestTest extends HostileSupport {

    static final String AGENT = SEED + "-ingest";

    record Request(String family, String target, String contentType, byte[] body) {
    }

    record Property(String name, BiFunction<Hostile, Integer, Request> generator) {
    }

    /** A valid record of the kind, as JSON members, which a property then spoils. */
    static Map<String, String> validRecord(String kind, int i) {
        Map<String, String> record = new LinkedHashMap<>();
        for (String name : requiredColumns(kind)) {
            record.put(name, "\"" + (name.equals("role") ? "user" : name.equals("agent_id") ? AGENT
                    : SEED + "-" + name + "-" + i) + "\"");
        }
        return record;
    }

    static String object(Map<String, String> members) {
        StringBuilder json = new StringBuilder("{");
        members.forEach((name, value) -> json.append(json.length() == 1 ? "" : ",").append('"')
                .append(Hostile.escape(name)).append("\":").append(value));
        return json.append('}').toString();
    }

    static String occurredAt(Hostile hostile) {
        return hostile.oneOf(() -> "\"" + Hostile.escape(hostile.dateText()) + "\"",
                () -> hostile.pick(List.of("0", "-1", "253402300800000", "253402300799999", "9223372036854775807",
                        "1.5e12", "1767225600000.5", "\"1767225600000\"", "-9223372036854775808", "1e20")),
                () -> hostile.jsonValue(1));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static List<Property> properties() {
        return List.of(
                new Property("ingest every field of every kind", (hostile, i) -> {
                    String kind = KINDS.get(i % KINDS.size());
                    Map<String, String> record = validRecord(kind, i);
                    List<String> names = new ArrayList<>(filterColumns(kind));
                    names.addAll(List.of("payload", "input", "output", "metadata", "input_params", "output_result",
                            "state", "agent_ids", "tool_calls", "duration_ms", "seq", "value"));
                    names.add("occurred_at");
                    names.add("an_attribute");
                    String name = names.get(i / KINDS.size() % names.size());
                    String value = name.equals("occurred_at") ? occurredAt(hostile) : hostile.jsonValue(0);
                    record.put(name, value);
                    return new Request(kind + "." + name, "/api/v1/ingest/" + kind, "application/json",
                            Hostile.utf8(object(record)));
                }),
                new Property("ingest hostile attribute names and many fields", (hostile, i) -> {
                    String kind = KINDS.get(i % KINDS.size());
                    Map<String, String> record = validRecord(kind, i);
                    String family;
                    if (hostile.chance(0.2)) {
                        family = "many fields";
                        for (int k = 0; k < 1 + hostile.random.nextInt(5_000); k++) {
                            record.put("f" + k, Integer.toString(k));
                        }
                    } else {
                        family = "attribute name";
                        record.put(hostile.chance(0.2) ? "k".repeat(1 + hostile.random.nextInt(60_000))
                                : hostile.mixedText(), hostile.jsonValue(2));
                    }
                    return new Request(family, "/api/v1/ingest/" + kind, "application/json",
                            Hostile.utf8(object(record)));
                }),
                new Property("ingest body shapes", (hostile, i) -> {
                    String kind = KINDS.get(i % KINDS.size());
                    String one = object(validRecord(kind, i));
                    int shape = hostile.random.nextInt(14);
                    String family = "shape " + shape;
                    byte[] body = switch (shape) {
                        case 0 -> Hostile.utf8(hostile.pick(List.of("", " ", "\n\n", "null", "0", "\"x\"", "true",
                                "[]", "[[]]", "{}", "[{}]", "[null]", "[1,2]", "{", "[", "]", "}{", "\u0000")));
                        case 1 -> Hostile.utf8("\uFEFF" + one);
                        case 2 -> Hostile.utf8("[[" + one + "]]");
                        case 3 -> Hostile.utf8(one + "\n\n\r\n" + one + "\n");
                        case 4 -> Hostile.utf8(one + " trailing");
                        case 5 -> Hostile.utf8(one + one + "[" + one + "]");
                        case 6 -> {
                            StringBuilder many = new StringBuilder("[");
                            int n = 1 + hostile.random.nextInt(50);
                            for (int k = 0; k < n; k++) {
                                many.append(k == 0 ? "" : ",").append(hostile.chance(0.9) ? one : hostile.jsonValue(1));
                            }
                            yield Hostile.utf8(many.append("]").toString());
                        }
                        case 7 -> Hostile.utf8("[".repeat(hostile.pick(List.of(999, 1_001, 10_000, 100_000))));
                        case 8 -> concat(Hostile.utf8(one.substring(0, one.length() - 1) + ",\"s\":\"a"),
                                hostile.badBytes(), Hostile.utf8("b\"}"));
                        case 9 -> Hostile.utf8(one.substring(0, one.length() - 1) + ",\"s\":\"a" + (char) hostile.random
                                .nextInt(0x20) + "b\"}");
                        case 10 -> one.getBytes(hostile.pick(List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE,
                                StandardCharsets.ISO_8859_1)));
                        case 11 -> Hostile.utf8(hostile.pick(List.of("{'event_type':'x'}", "{event_type:\"x\"}",
                                "/* c */" + one, one + " // c", "[" + one + ",]", "{\"a\":NaN}", "{\"a\":Infinity}",
                                "{\"a\":01}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}")));
                        case 12 -> concat(hostile.badBytes(), Hostile.utf8(one));
                        default -> Hostile.utf8("[" + one + "," + "[".repeat(1_500) + "]".repeat(1_500) + "]");
                    };
                    return new Request(family, "/api/v1/ingest/" + kind, hostile.chance(0.5) ? "application/json"
                            : "application/x-ndjson", body);
                }),
                new Property("ingest content types", (hostile, i) -> {
                    String kind = KINDS.get(i % KINDS.size());
                    String contentType = hostile.pick(List.of("application/json; charset=utf-16",
                            "application/json; charset=nonsense", "text/plain", "application/x-www-form-urlencoded",
                            "multipart/form-data; boundary=x", "a/b/c", "*/*", "application/xml", ";;;", "json",
                            "application/octet-stream", "application/json; charset=\"utf-8\"; x=" + "y".repeat(2_000)));
                    return new Request(contentType, "/api/v1/ingest/" + kind, contentType,
                            Hostile.utf8(object(validRecord(kind, i))));
                }),
                new Property("ingest kind path segment", (hostile, i) -> {
                    String segment = hostile.chance(0.4) ? hostile.pick(List.of("EVENTS", "event", "events%00",
                            "events%2F", "%65vents", "..", "%2e%2e", "dead-letter", "%zz", "a".repeat(5_000),
                            "events%ED%A0%80", "events/extra"))
                            : hostile.value().encoded();
                    return new Request("kind", "/api/v1/ingest/" + segment, "application/json",
                            Hostile.utf8("{\"event_type\":\"x\",\"agent_id\":\"" + AGENT + "\"}"));
                }));
    }

    @TestFactory
    Stream<DynamicContainer> everyBodyOfEveryKind() {
        return properties().stream().map(property -> dynamicContainer(property.name(), Stream.of(
                dynamicTest(Hostile.TRIES + " hostile requests", () -> run(property)),
                dynamicTest("the service is still whole", HostileSupport::assertServiceWhole))));
    }

    private static void run(Property property) {
        Hostile hostile = new Hostile(property.name());
        PropertyRun run = new PropertyRun(property.name());
        for (int i = 0; i < Hostile.TRIES; i++) {
            Request request = property.generator().apply(hostile, i);
            RawHttp.Response response = post(request.target(), INGEST_TOKEN, request.contentType(), request.body());
            String shown = "POST " + request.target() + " (" + request.contentType() + ") "
                    + new String(request.body(), StandardCharsets.UTF_8);
            run.record(request.family(), shown, response, problem(response, false, request.target()));
        }
        run.verify();
    }

    @AfterAll
    static void wholeAtTheEnd() {
        assertServiceWhole();
    }
}
