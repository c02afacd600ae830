package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code redact} on the conversations dataset and its summary (contract sections 6.1 and 7), end
 * to end: message contents, tool results (stored and built from tool executions), call arguments
 * (still a JSON object, or JSON text of one), tool definitions' descriptions and feedback labels
 * are redacted; roles, call ids, function names, ids and timestamps are not, and every line stays
 * a valid fine-tuning line.
 */
@QuarkusTest
class RedactionDatasetTest extends DatasetTestSupport {

    static final String EMAIL = "ops.lead+alerts@example.org";
    static final String PHONE = "(415) 555-0100";
    static final String IP = "198.51.100.42";
    static final String CARD = "5555-5555-5555-4444";
    static final String SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc";

    private String conversation;

    @BeforeEach
    void publishConversation() {
        conversation = unique("redact-conv");
        String execution = unique("redact-exec");
        String agent = unique("redact-agent");
        publish(TOOL_EXECUTIONS, Encoding.FLAT, execution(execution, "lookup").put("agent_id", agent)
                .json("output_result", "{\"owner\":\"" + EMAIL + "\",\"ip\":\"" + IP + "\"}"));
        publishMessages(Encoding.DOCUMENT, List.of(
                message(conversation, "system", "You help ops. Escalate to " + EMAIL).seq(1).agent(agent)
                        .tools(tool("lookup", "Looks up hosts; owner " + EMAIL,
                                "{\"type\":\"object\",\"properties\":{\"host\":{\"type\":\"string\",\"default\":\"" + IP
                                        + "\"}},\"required\":[\"host\"]}")),
                message(conversation, "user", "My card " + CARD + " and phone " + PHONE + ", key " + SECRET).seq(2)
                        .agent(agent),
                message(conversation, "assistant", "").seq(3).agent(agent)
                        .calls(call("call_A", "lookup", "{\"host\":\"" + IP + "\",\"notify\":\"" + EMAIL + "\"}"),
                                call(execution, "lookup", "{\"host\":\"db-1\"}")),
                message(conversation, "tool", "host " + IP + " owned by " + EMAIL).seq(4).answers("call_A").agent(agent),
                message(conversation, "assistant", "Done; I mailed " + EMAIL + ".").seq(5).agent(agent)));
        publish(FEEDBACK, Encoding.FLAT, feedback("conversation", conversation, "review")
                .put("label", "good, says " + EMAIL).put("source", "human"));
    }

    @Test
    void openAiLinesAreRedactedAndStayValid() {
        Params params = Params.of("conversation_id", conversation, "redact", "all", "metadata", "true");
        List<JsonNode> lines = dataset(params);
        assertThat(lines).hasSize(1);
        String line = lines.get(0).toString();
        assertThat(line).doesNotContain(EMAIL, PHONE, IP, CARD, SECRET);
        JsonNode messages = lines.get(0).get("messages");
        assertThat(messages.get(0).get("content").asText()).isEqualTo("You help ops. Escalate to [REDACTED_EMAIL]");
        assertThat(messages.get(1).get("content").asText())
                .isEqualTo("My card [REDACTED_CARD] and phone [REDACTED_PHONE], key [REDACTED_SECRET]");
        JsonNode calls = messages.get(2).get("tool_calls");
        assertThat(calls.get(0).get("id").asText()).isEqualTo("call_A");
        assertThat(calls.get(0).get("function").get("name").asText()).isEqualTo("lookup");
        JsonNode arguments = parse(calls.get(0).get("function").get("arguments").asText());
        assertThat(arguments.get("host").asText()).isEqualTo("[REDACTED_IP]");
        assertThat(arguments.get("notify").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(messages.get(3).get("content").asText()).isEqualTo("host [REDACTED_IP] owned by [REDACTED_EMAIL]");
        JsonNode fromExecution = messages.get(4);
        assertThat(fromExecution.get("role").asText()).isEqualTo("tool");
        assertThat(parse(fromExecution.get("content").asText()).get("owner").asText()).isEqualTo("[REDACTED_EMAIL]");
        JsonNode tool = lines.get(0).get("tools").get(0);
        assertThat(tool.at("/function/name").asText()).isEqualTo("lookup");
        assertThat(tool.at("/function/description").asText()).isEqualTo("Looks up hosts; owner [REDACTED_EMAIL]");
        assertThat(tool.at("/function/parameters/properties/host/default").asText()).isEqualTo("[REDACTED_IP]");
        assertThat(tool.at("/function/parameters/required/0").asText()).isEqualTo("host");
        JsonNode metadata = lines.get(0).get("metadata");
        assertThat(metadata.get("conversation_id").asText()).isEqualTo(conversation);
        assertThat(metadata.get("feedback").get("review").asText()).isEqualTo("good, says [REDACTED_EMAIL]");
    }

    @Test
    void messagesShapeKeepsArgumentsAsObjectsAndRedactsOnlyTheAskedClass() {
        Params params = Params.of("conversation_id", conversation, "redact", "ip", "format", "messages");
        List<JsonNode> lines = dataset(params);
        assertThat(lines).hasSize(1);
        JsonNode arguments = lines.get(0).get("messages").get(2).get("tool_calls").get(0).get("function").get("arguments");
        assertThat(arguments.isObject()).isTrue();
        assertThat(arguments.get("host").asText()).isEqualTo("[REDACTED_IP]");
        assertThat(arguments.get("notify").asText()).as("email not asked").isEqualTo(EMAIL);
        assertThat(lines.get(0).toString()).contains(EMAIL, PHONE, CARD, SECRET).doesNotContain(IP);
    }

    @Test
    void withoutRedactTheLineIsAsStored() {
        List<JsonNode> lines = dataset(Params.of("conversation_id", conversation));
        assertThat(lines.get(0).toString()).contains(EMAIL, PHONE, IP, CARD, SECRET);
    }

    @Test
    void theSummaryCountsTheRedactedLines() {
        JsonNode plain = summary(Params.of("conversation_id", conversation));
        JsonNode redacted = summary(Params.of("conversation_id", conversation, "redact", "all"));
        assertThat(redacted.get("emitted").asLong()).isEqualTo(1);
        assertThat(redacted.get("messages").asLong()).isEqualTo(plain.get("messages").asLong());
        List<JsonNode> line = dataset(Params.of("conversation_id", conversation, "redact", "all"));
        long tokens = TiktokenReference.chatLines(line, "o200k_base").get(0);
        assertThat(redacted.get("tokens").get("total").asLong()).as("tokens of the redacted line").isEqualTo(tokens);
        assertThat(plain.get("tokens").get("total").asLong()).isNotEqualTo(tokens);
    }

    @Test
    void anUnknownClassIs400OnTheDatasetAndTheSummary() {
        for (String path : List.of(PATH, SUMMARY_PATH)) {
            Response response = get(path, Params.of("conversation_id", conversation, "redact", "email,iban"));
            assertThat(response.statusCode()).as("%s: %s", path, response.asString()).isEqualTo(400);
            Map<String, Object> error = response.jsonPath().getMap("$");
            assertThat(error).containsOnlyKeys("error");
            assertThat((String) error.get("error")).contains("'iban'").contains("email, phone, ip, card, secret, or all");
        }
    }
}
