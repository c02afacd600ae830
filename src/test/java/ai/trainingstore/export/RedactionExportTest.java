package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code redact} on row exports (contract section 7), end to end: rows published with XADD, exported
 * over HTTP as JSONL and CSV. Each class replaces its own values and nothing else; identities,
 * ids and timestamps are never touched (an agent id that looks like an email stays); JSON stays
 * valid (tool-call arguments included) and CSV stays RFC 4180 with hostile values.
 */
@QuarkusTest
class RedactionExportTest extends ExportTestSupport {

    static final String EMAIL = "jane.doe+ml@sub.example.co.uk";
    static final String PHONE = "+1-415-555-0100";
    static final String IP = "203.0.113.7";
    static final String CARD = "4111 1111 1111 1111";
    static final String SECRET = "ghp_" + "Zq8JvT3mWc5LrN1xYb7KpD2sFh6GaE4uIo9R";
    static final Map<String, String> VALUES = Map.of("email", EMAIL, "phone", PHONE, "ip", IP, "card", CARD,
            "secret", SECRET);
    /** One of each, and the characters JSON and CSV must escape. */
    static final String CONTENT = "Mail " + EMAIL + ", call " + PHONE + ", host " + IP + ", card " + CARD
            + ", key " + SECRET + " \"quoted\", comma, back\\slash\r\nnew line é ✓";

    private String agent;
    private String messageId;
    private String taskId;

    @BeforeEach
    void publish() {
        // An identity that looks like an email: identities are never redacted.
        agent = unique("redact-agent") + "@agents.example.com";
        messageId = unique("redact-msg");
        taskId = unique("redact-task");
        String toolCalls = "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"send_mail\","
                + "\"arguments\":\"{\\\"to\\\":\\\"" + EMAIL + "\\\",\\\"password\\\":\\\"hunter2\\\",\\\"n\\\":3}\"}}]";
        List<String> messages = new ArrayList<>();
        messages.add(xadd(MESSAGES, "conversation_id", unique("redact-conv"), "role", "assistant", "content", CONTENT,
                "message_id", messageId, "agent_id", agent, "tool_calls", toolCalls,
                "occurred_at", "2026-03-01T10:00:00.123456Z", "note", "reach me at " + EMAIL));
        awaitStored(MESSAGES, messages);
        List<String> tasks = new ArrayList<>();
        tasks.add(xadd(TASKS, "task_id", taskId, "agent_id", agent, "status", "failed", "error",
                "connect to " + IP + " failed for " + EMAIL, "input", "{\"prompt\":\"" + PHONE + "\",\"max_tokens\":128,"
                        + "\"api_key\":\"k-" + "9fQ2xL7pZ3\"}", "occurred_at", "2026-03-01T10:00:01Z"));
        awaitStored(TASKS, tasks);
    }

    private JsonNode message(String... redact) {
        List<String> params = new ArrayList<>(List.of("agent_id", agent));
        for (String value : redact) {
            params.add("redact");
            params.add(value);
        }
        List<JsonNode> rows = jsonlRows(jsonlBody(Kind.MESSAGE, params.toArray(String[]::new)));
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    @Test
    void eachClassAloneReplacesItsValueAndNothingElse() {
        for (Map.Entry<String, String> asked : VALUES.entrySet()) {
            String content = message(asked.getKey()).get("content").asText();
            String token = "[REDACTED_" + asked.getKey().toUpperCase(java.util.Locale.ROOT) + "]";
            assertThat(content).as("redact=%s", asked.getKey()).contains(token).doesNotContain(asked.getValue());
            VALUES.forEach((other, value) -> {
                if (!other.equals(asked.getKey())) {
                    assertThat(content).as("redact=%s keeps the %s", asked.getKey(), other).contains(value);
                }
            });
        }
    }

    @Test
    void allRedactsEveryClassAndKeepsIdentitiesIdsAndTimestamps() throws Exception {
        JsonNode plain = message();
        JsonNode redacted = message("all");
        assertThat(plain.get("content").asText()).isEqualTo(CONTENT);
        String content = redacted.get("content").asText();
        assertThat(content).isEqualTo("Mail [REDACTED_EMAIL], call [REDACTED_PHONE], host [REDACTED_IP], card [REDACTED_CARD],"
                + " key [REDACTED_SECRET] \"quoted\", comma, back\\slash\r\nnew line é ✓");
        for (String kept : List.of("message_id", "agent_id", "conversation_id", "role", "stream_entry_id", "occurred_at",
                "ingested_at", "seq", "name", "tool_call_id")) {
            assertThat(redacted.get(kept)).as(kept).isEqualTo(plain.get(kept));
        }
        assertThat(redacted.get("agent_id").asText()).isEqualTo(agent);
        assertThat(redacted.get("attributes").get("note").asText()).isEqualTo("reach me at [REDACTED_EMAIL]");
        JsonNode call = redacted.get("tool_calls").get(0);
        assertThat(call.get("id").asText()).isEqualTo("call_1");
        assertThat(call.get("function").get("name").asText()).isEqualTo("send_mail");
        JsonNode arguments = parse(call.get("function").get("arguments").asText());
        assertThat(arguments.get("to").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(arguments.get("password").asText()).isEqualTo("[REDACTED_SECRET]");
        assertThat(arguments.get("n").asInt()).isEqualTo(3);
    }

    @Test
    void parquetIsRedactedExactlyLikeJsonlAndStaysReadable() throws Exception {
        JsonNode jsonl = message("all");
        java.nio.file.Path file = ParquetTestSupport.parquet(Kind.MESSAGE, "agent_id", agent, "redact", "all");
        List<Map<String, Object>> rows = DuckDbParquet.query("SELECT content, agent_id, message_id, tool_calls, attributes"
                + " FROM read_parquet('" + file.toAbsolutePath() + "')");
        assertThat(rows).as("DuckDB reads the redacted file").hasSize(1);
        Map<String, Object> row = rows.get(0);
        assertThat(row.get("content")).isEqualTo(jsonl.get("content").asText());
        assertThat(row.get("agent_id")).as("identities are never redacted").isEqualTo(agent);
        assertThat(row.get("message_id")).isEqualTo(messageId);
        assertThat(parse((String) row.get("tool_calls"))).isEqualTo(jsonl.get("tool_calls"));
        assertThat(parse((String) row.get("attributes"))).isEqualTo(jsonl.get("attributes"));
        assertThat(String.valueOf(row.get("tool_calls"))).doesNotContain(EMAIL, "hunter2");
    }

    @Test
    void aCombinationRedactsExactlyItsClasses() {
        String content = message("email,card").get("content").asText();
        assertThat(content).contains("[REDACTED_EMAIL]", "[REDACTED_CARD]").contains(PHONE, IP, SECRET)
                .doesNotContain(EMAIL, CARD);
        String repeated = message("phone", "ip").get("content").asText();
        assertThat(repeated).as("a repeated parameter adds its classes").contains("[REDACTED_PHONE]", "[REDACTED_IP]")
                .contains(EMAIL, CARD, SECRET);
    }

    @Test
    void taskColumnsAreRedactedAndCategoriesAndNumbersKept() {
        List<JsonNode> rows = jsonlRows(jsonlBody(Kind.TASK, "task_id", taskId, "redact", "all"));
        assertThat(rows).hasSize(1);
        JsonNode task = rows.get(0);
        assertThat(task.get("error").asText()).isEqualTo("connect to [REDACTED_IP] failed for [REDACTED_EMAIL]");
        assertThat(task.get("input").get("prompt").asText()).isEqualTo("[REDACTED_PHONE]");
        assertThat(task.get("input").get("api_key").asText()).isEqualTo("[REDACTED_SECRET]");
        assertThat(task.get("input").get("max_tokens").asInt()).isEqualTo(128);
        assertThat(task.get("status").asText()).isEqualTo("failed");
        assertThat(task.get("agent_id").asText()).isEqualTo(agent);
        assertThat(task.get("task_id").asText()).isEqualTo(taskId);
    }

    @Test
    void csvStaysValidWithEveryValueRedacted() {
        List<List<String>> rows = csvRows(Kind.MESSAGE, csvBody(Kind.MESSAGE, "agent_id", agent, "redact", "all"));
        assertThat(rows).hasSize(1);
        List<String> columns = recordKind(Kind.MESSAGE).exportedColumns().stream()
                .map(ai.trainingstore.kind.Column::name).toList();
        List<String> row = rows.get(0);
        assertThat(row).hasSameSizeAs(columns);
        assertThat(row.get(columns.indexOf("content"))).isEqualTo("Mail [REDACTED_EMAIL], call [REDACTED_PHONE],"
                + " host [REDACTED_IP], card [REDACTED_CARD], key [REDACTED_SECRET] \"quoted\", comma, back\\slash\r\nnew line é ✓");
        assertThat(row.get(columns.indexOf("message_id"))).isEqualTo(messageId);
        assertThat(row.get(columns.indexOf("agent_id"))).isEqualTo(agent);
        JsonNode toolCalls = parse(row.get(columns.indexOf("tool_calls")));
        assertThat(parse(toolCalls.get(0).get("function").get("arguments").asText()).get("to").asText())
                .isEqualTo("[REDACTED_EMAIL]");
        assertThat(parse(row.get(columns.indexOf("attributes"))).get("note").asText()).isEqualTo("reach me at [REDACTED_EMAIL]");
    }

    @Test
    void hostileValuesStayValidJsonAndCsvAfterRedaction() {
        String hostileAgent = unique("redact-hostile");
        String[] hostile = {
            "\"" + EMAIL + "\"\\\"",
            "\\" + EMAIL + "\\",
            "password=\"ab\\\"c\"d\" ,\r\n\"",
            "{\"to\":\"" + EMAIL + "\"",
            "[\"" + IP + "\",",
            "\u2028" + PHONE + "\u2029 \t" + CARD.replace(' ', '-'),
            "Bearer " + SECRET + "\"}],",
            "'; DROP TABLE x; -- " + EMAIL + " %00 \u0001",
        };
        List<String> entries = new ArrayList<>();
        for (String value : hostile) {
            entries.add(xadd(EVENTS, "event_type", "hostile", "agent_id", hostileAgent, "payload",
                    "{\"v\":" + toJson(value) + ",\"list\":[" + toJson(value) + "],\"args\":" + toJson(toJson(value)) + "}",
                    "text", value));
        }
        awaitStored(EVENTS, entries);
        List<JsonNode> rows = jsonlRows(jsonlBody(Kind.EVENT, "agent_id", hostileAgent, "redact", "all"));
        assertThat(rows).hasSize(hostile.length);
        for (JsonNode row : rows) {
            assertThat(row.get("payload").get("v").isTextual()).isTrue();
            assertThat(row.toString()).doesNotContain(EMAIL, IP, PHONE, SECRET, CARD.replace(' ', '-'));
        }
        List<List<String>> records = csvRows(Kind.EVENT, csvBody(Kind.EVENT, "agent_id", hostileAgent, "redact", "all"));
        assertThat(records).hasSize(hostile.length);
        int payload = recordKind(Kind.EVENT).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList()
                .indexOf("payload");
        for (List<String> record : records) {
            assertThat(parse(record.get(payload)).get("v").isTextual()).isTrue();
            assertThat(String.join(",", record)).doesNotContain(EMAIL, IP, PHONE, SECRET);
        }
    }

    @Test
    void anUnknownClassIs400NamingTheValidOnes() {
        for (String value : List.of("ssn", "email,names", "", "Email", "all,")) {
            Response response = get(Kind.MESSAGE, params("agent_id", agent, "redact", value));
            assertThat(response.statusCode()).as("redact=%s: %s", value, response.asString()).isEqualTo(400);
            assertThat(mediaType(response.contentType())).isEqualTo("application/json");
            assertThat(response.jsonPath().getString("error")).as("redact=%s", value)
                    .contains("redact").contains("email, phone, ip, card, secret, or all");
        }
    }

    private static String toJson(String text) {
        try {
            return ai.trainingstore.support.StoreTestSupport.JSON.writeValueAsString(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
