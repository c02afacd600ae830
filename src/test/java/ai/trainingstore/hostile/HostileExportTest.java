package ai.trainingstore.hostile;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile values for every parameter of {@code GET /api/v1/export/{kind}}, for every kind: each
 * property sends {@link Hostile#TRIES} generated requests (the kind cycles with the try) and every
 * answer must be 2xx or 4xx within the timeout; a 4xx is {@code application/json} with a non-empty
 * {@code "error"}; a 200 export ends with its final chunk and parses. After each property the
 * service must still be whole (five exports in a row, no Redis connection in MULTI, heap bounded).
 *
 * <p>Generated with a seeded {@link java.util.Random} in JUnit dynamic tests rather than with jqwik:
 * jqwik is a JUnit platform engine of its own, and a {@code @QuarkusTest} class is loaded by
 * Quarkus' class loader and started by the Jupiter extension only, so jqwik neither discovers its
 * {@code @Property} methods (tried: they do not run) nor could it reach the started application.
 */
@QuarkusTest
@TestProfile(HostileSupport.FreshApplication.class)
class HostileExportTest extends HostileSupport {

    private static final List<String> OWN = List.of("format", "from", "to", "start_date", "end_date", "limit",
            "after");

    /** One generated request: the family of its hostile part, its target and extra headers. */
    record Request(String family, String target, Map<String, String> headers) {
    }

    interface Generator {
        Request request(Hostile hostile, String kind);
    }

    record Property(String name, Generator generator) {
    }

    private static String base(String kind) {
        return "/api/v1/export/" + kind + "?" + seedColumn(kind) + "=" + pct(SEED);
    }

    private static Property parameter(String parameter, java.util.function.Function<Hostile, Hostile.Value> values) {
        return new Property("export " + parameter, (hostile, kind) -> {
            Hostile.Value value = values.apply(hostile);
            return new Request(value.family(), base(kind) + "&" + parameter + "=" + value.encoded(), Map.of());
        });
    }

    static List<Property> properties() {
        List<Property> properties = new ArrayList<>();
        properties.add(parameter("format", hostile -> hostile.chance(0.3)
                ? new Hostile.Value("format name", pct(hostile.pick(List.of("jsonl", "csv", "JSONL", "parquet", "json",
                "ndjson", "csv ", "csv\u0000", "jsonl,csv", "c%73v"))))
                : hostile.value()));
        properties.add(parameter("limit", Hostile::numberValue));
        properties.add(parameter("after", Hostile::cursorValue));
        properties.add(new Property("export filters (every text column)", new Generator() {
            private int turn;

            public Request request(Hostile hostile, String kind) {
                List<String> columns = filterColumns(kind);
                String column = columns.get(turn++ / KINDS.size() % columns.size());
                Hostile.Value value = hostile.textValue();
                return new Request(value.family() + " in " + column, base(kind) + "&" + column + "="
                        + value.encoded(), Map.of());
            }
        }));
        properties.add(new Property("export unknown parameters", (hostile, kind) -> {
            List<String> known = new ArrayList<>(OWN);
            known.addAll(filterColumns(kind));
            Hostile.Value value = hostile.value();
            String name = hostile.parameterName(known);
            return new Request("unknown name, " + value.family(), base(kind) + "&" + name + "=" + value.encoded(),
                    Map.of());
        }));
        properties.add(new Property("export repeated parameters", (hostile, kind) -> {
            List<String> names = new ArrayList<>(OWN);
            names.addAll(filterColumns(kind));
            String name = hostile.pick(names);
            int times = 2 + hostile.random.nextInt(5);
            Hostile.Value first = hostile.value();
            StringBuilder target = new StringBuilder(base(kind));
            for (int i = 0; i < times; i++) {
                target.append('&').append(name).append('=')
                        .append(hostile.chance(0.5) ? first.encoded() : hostile.value().encoded());
            }
            return new Request("repeated " + (OWN.contains(name) ? name : "filter"), target.toString(), Map.of());
        }));
        properties.add(new Property("export query shapes", (hostile, kind) -> {
            // After the seed filter, so that a shape the service takes exports a few rows, not a whole table.
            String shape = hostile.pick(List.of("&", "&&&", "&=", "&=x", "&from", "&from&to", "&limit", "&;",
                    "&a=b=c", "&limit=1;limit=2", "&format=csv&&limit=1", "?limit=1", "&limit=1#frag", "&&limit=1&",
                    "&limit=1&format", "&after", "&" + seedColumn(kind), "&" + seedColumn(kind) + "=",
                    "&%3D=%3D", "&&=&&"));
            String target = hostile.chance(0.1) ? "/api/v1/export/" + kind + hostile.pick(List.of("?limit=2",
                    "??limit=1", "?&limit=1", "?limit=1&", "?=&limit=1")) : base(kind) + shape;
            return new Request("query shape", target, Map.of());
        }));
        // The bounds come late: on a service whose slots leak on a bad bound, the properties
        // before them still see real answers, not 429.
        for (String bound : List.of("from", "to", "start_date", "end_date")) {
            properties.add(parameter(bound, Hostile::dateValue));
        }
        properties.add(new Property("export combined parameters and encodings", (hostile, kind) -> {
            StringBuilder target = new StringBuilder(base(kind));
            int count = 1 + hostile.random.nextInt(4);
            List<String> families = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = hostile.pick(OWN);
                Hostile.Value value = switch (name) {
                    case "from", "to", "start_date", "end_date" -> hostile.dateValue();
                    case "limit" -> hostile.numberValue();
                    case "after" -> hostile.cursorValue();
                    default -> hostile.chance(0.5) ? new Hostile.Value("format", hostile.pick(List.of("csv", "jsonl")))
                            : hostile.value();
                };
                families.add(name);
                target.append('&').append(name).append('=').append(value.encoded());
            }
            String encoding = hostile.pick(List.of("gzip", "gzip", "identity", "gzip;q=0", "gzip;q=abc", "*",
                    "br, gzip;q=0.5", "x".repeat(5_000), "gzip, gzip, gzip", "\u00e9"));
            return new Request(String.join("+", families) + ", Accept-Encoding", target.toString(),
                    Map.of("Accept-Encoding", encoding.replaceAll("[^\\x20-\\x7e]", "?")));
        }));
        properties.add(new Property("export kind path segment", (hostile, kind) -> {
            String segment = hostile.chance(0.4) ? hostile.pick(List.of("EVENTS", "event", "events%00", "events%2F",
                    "events%20", "%65vents", "..", "%2e%2e", "..%2Fstats", "events;x", "events.csv", "dead-letter",
                    "training_events", "%F0%9F%98%80", "a".repeat(5_000), "events%ED%A0%80", "%zz"))
                    : hostile.value().encoded();
            return new Request("kind", "/api/v1/export/" + segment + "?limit=1", Map.of());
        }));
        return properties;
    }

    @TestFactory
    Stream<DynamicContainer> everyParameterOfEveryKind() {
        seedRows();
        return properties().stream().map(property -> dynamicContainer(property.name(), Stream.of(
                dynamicTest(Hostile.TRIES + " hostile requests", () -> run(property)),
                dynamicTest("the service is still whole", HostileSupport::assertServiceWhole))));
    }

    private static void run(Property property) {
        Hostile hostile = new Hostile(property.name());
        PropertyRun run = new PropertyRun(property.name());
        for (int i = 0; i < Hostile.TRIES; i++) {
            String kind = KINDS.get(i % KINDS.size());
            Request request = property.generator().request(hostile, kind);
            Map<String, String> headers = auth(EXPORT_TOKEN);
            headers.putAll(request.headers());
            if (!request.headers().containsKey("Accept-Encoding") && hostile.chance(0.25)) {
                headers.put("Accept-Encoding", "gzip");
            }
            RawHttp.Response response = http().get(request.target(), headers, REQUEST_TIMEOUT);
            run.record(request.family(), request.target(), response, problem(response, true, request.target()));
        }
        run.verify();
    }

    @AfterAll
    static void wholeAtTheEnd() {
        assertServiceWhole();
    }

    static String pct(String text) {
        return HostileSupport.pct(text);
    }
}
