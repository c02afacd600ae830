package ai.trainingstore.export;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 finding 6, contract section 7: the gaps forced redaction had. (b) string values under
 * keys named {@code name}, {@code id} or {@code type} deep inside tool-call arguments and tool
 * definitions were kept; (c) an address written {@code \u0040} inside JSON text was missed; (a)
 * the dead-letter listing showed fields and error texts in clear. Each through the HTTP API: row
 * exports (JSONL, CSV, Parquet), the conversations dataset (both formats) and the dead-letter
 * listing. Subclasses say how redaction is asked for: by the operator, or by the request.
 */
abstract class RedactionGapsSupport extends ParquetTestSupport {

    static final String EMAIL = "dana@example.com";
    static final String PHONE = "+1-415-555-0100";
    static final String IP = "203.0.113.9";
    static final String CARD = "4111 1111 1111 1111";
    /** Every address in the data is at this domain, so no clear value may contain it. */
    static final String DOMAIN = "example.com";
    static final List<String> CLEAR = List.of(DOMAIN, "415-555", IP, CARD, "4111111111111111", "hunter2");

    /** The request's own parameters: {@code redact=all}, or none when the operator forces it. */
    abstract List<String> redactParameter();

    private String agent;
    private String conversation;

    @BeforeEach
    void publish() {
        agent = unique("gaps-agent");
        conversation = unique("gaps-conv");
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"finds hosts\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{"
                + "\"name\":{\"type\":\"string\",\"default\":\"" + EMAIL + "\"},"
                + "\"id\":{\"type\":\"string\",\"enum\":[\"" + PHONE + "\"]},"
                + "\"type\":{\"type\":\"string\",\"default\":\"" + IP + "\"}}}}}]";
        // Arguments as an object whose keys are called name, id and type; and as JSON text with an
        // escaped at sign, which stays escaped in storage (it is text inside a JSON string).
        String calls = "[{\"id\":\"call_keep\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":"
                + "{\"name\":\"" + EMAIL + "\",\"id\":\"" + CARD + "\",\"type\":\"" + IP + "\",\"deeper\":{\"name\":\""
                + PHONE + "\"}}}},"
                + "{\"id\":\"call_escaped\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":"
                + "\"{\\\"to\\\":\\\"bob\\\\u0040" + DOMAIN + "\\\"}\"}}]";
        List<String> entries = new ArrayList<>();
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "system", "content", "You look up hosts.",
                "agent_id", agent, "seq", "1", "tools", tools));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "user",
                "content", "{\"owner\":\"carol\\u0040" + DOMAIN + "\"}", "agent_id", agent, "seq", "2"));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "",
                "agent_id", agent, "seq", "3", "tool_calls", calls));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "tool", "content", "found",
                "tool_call_id", "call_keep", "agent_id", agent, "seq", "4"));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "tool", "content", "sent",
                "tool_call_id", "call_escaped", "agent_id", agent, "seq", "5"));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "Done.",
                "agent_id", agent, "seq", "6"));
        awaitStored(MESSAGES, entries);
    }

    private String[] asked(String... namesAndValues) {
        List<String> all = new ArrayList<>(List.of(namesAndValues));
        all.addAll(redactParameter());
        return all.toArray(String[]::new);
    }

    private static void assertNothingInClear(String what, String body) {
        for (String clear : CLEAR) {
            assertThat(body).as("%s holds %s in clear", what, clear).doesNotContain(clear);
        }
        assertThat(body).as(what).contains("[REDACTED_EMAIL]");
    }

    @Test
    void rowExportsRedactEveryKeyInsideArgumentsAndDefinitionsAndDecodedEscapes() throws Exception {
        String jsonl = jsonlBody(Kind.MESSAGE, asked("agent_id", agent));
        assertNothingInClear("JSONL", jsonl);
        assertThat(jsonl).as("a call's own id, type and function name are kept").contains("call_keep", "call_escaped",
                "\"name\":\"lookup\"", "\"type\":\"function\"");
        List<com.fasterxml.jackson.databind.JsonNode> rows = jsonlRows(jsonl);
        com.fasterxml.jackson.databind.JsonNode calls = rows.stream()
                .filter(row -> row.get("seq").asInt() == 3).findFirst().orElseThrow().get("tool_calls");
        assertThat(calls.at("/0/function/arguments/name").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(calls.at("/0/function/arguments/id").asText()).isEqualTo("[REDACTED_CARD]");
        assertThat(calls.at("/0/function/arguments/type").asText()).isEqualTo("[REDACTED_IP]");
        assertThat(calls.at("/0/function/arguments/deeper/name").asText()).isEqualTo("[REDACTED_PHONE]");
        assertThat(parse(calls.at("/1/function/arguments").asText()).get("to").asText()).isEqualTo("[REDACTED_EMAIL]");

        assertNothingInClear("CSV", csvBody(Kind.MESSAGE, asked("agent_id", agent)));

        java.nio.file.Path file = parquet(Kind.MESSAGE, asked("agent_id", agent));
        StringBuilder parquet = new StringBuilder();
        for (Map<String, Object> row : DuckDbParquet.query("SELECT content, tool_calls, tools FROM read_parquet('"
                + file.toAbsolutePath() + "')")) {
            parquet.append(row.values()).append('\n');
        }
        assertNothingInClear("Parquet", parquet.toString());
    }

    @Test
    void theConversationsDatasetRedactsThemTooInBothFormats() {
        for (String format : List.of("openai", "messages")) {
            RequestSpecification request = given().auth().oauth2(EXPORT_TOKEN)
                    .queryParam("conversation_id", conversation).queryParam("format", format);
            redactParameter().stream().skip(1).forEach(value -> request.queryParam("redact", value));
            var response = request.get("/api/v1/datasets/conversations");
            String body = new String(response.asByteArray(), StandardCharsets.UTF_8);
            assertThat(response.statusCode()).as("%s: %s", format, body).isEqualTo(200);
            assertThat(body).as(format).contains("call_keep");
            assertNothingInClear("dataset, format " + format, body);
        }
    }

    @Test
    void theDeadLetterListingRedactsFieldsAndErrorTexts() {
        String bad = xadd(EVENTS, "event_type", "gaps", "agent_id", agent, "occurred_at", "ask " + EMAIL,
                "note", "call " + PHONE + " from " + IP + ", card " + CARD, "config", "password=hunter2",
                "payload", "{\"owner\":\"carol\\u0040" + DOMAIN + "\",\"name\":\"" + EMAIL + "\"}");
        awaitDeadLetters(1, List.of(bad));
        RequestSpecification request = given().auth().oauth2(EXPORT_TOKEN).queryParam("limit", 1000);
        redactParameter().stream().skip(1).forEach(value -> request.queryParam("redact", value));
        Map<String, Object> listed = null;
        String after = null;
        do {
            RequestSpecification page = given().spec(request);
            if (after != null) {
                page.queryParam("after", after);
            }
            JsonPath answer = page.get("/api/v1/dead-letters").then().statusCode(200).extract().jsonPath();
            for (Map<String, Object> one : answer.<Map<String, Object>>getList("dead_letters")) {
                if (bad.equals(one.get("source_id"))) {
                    listed = one;
                }
            }
            after = answer.getString("next_after");
        } while (listed == null && after != null);
        assertThat(listed).as("listed").isNotNull();
        assertThat((String) listed.get("error")).contains("occurred_at", "[REDACTED_EMAIL]").doesNotContain(EMAIL);
        assertThat(listed.get("source_id")).as("identities kept").isEqualTo(bad);
        String fields = String.valueOf(listed.get("fields"));
        assertNothingInClear("dead-letter fields", fields);
        assertThat(fields).contains("[REDACTED_PHONE]", "[REDACTED_IP]", "[REDACTED_CARD]", "[REDACTED_SECRET]");
        assertThat(fields).as("identities and names kept").contains(agent, "gaps");
    }
}
