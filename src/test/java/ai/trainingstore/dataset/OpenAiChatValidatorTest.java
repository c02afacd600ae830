package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.OpenAiChatValidator.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The validator the dataset tests apply to every line must itself catch each rule it claims: a
 * valid line passes, and each broken line fails with the problem named. Plain JUnit, no service.
 */
class OpenAiChatValidatorTest {

    private static final String CALL = "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}";
    private static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]";

    private static String line(String messages) {
        return "{\"messages\":[" + messages + "]," + TOOLS + "}";
    }

    private static List<String> openai(String line) {
        return OpenAiChatValidator.problems(line, Shape.OPENAI, false);
    }

    @Test
    void validLinesPass() {
        assertThat(openai("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"u\","
                + "\"name\":\"alice\"},{\"role\":\"assistant\",\"content\":\"a\",\"weight\":1}]}")).isEmpty();
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[" + CALL + "]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r\"},"
                + "{\"role\":\"assistant\",\"content\":\"done\"}"))).isEmpty();
        // A final assistant message that calls tools is a valid end.
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[" + CALL + "]}"))).isEmpty();
        assertThat(OpenAiChatValidator.problems("{\"messages\":[{\"role\":\"user\",\"content\":\"u\"},{\"role\":"
                + "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":{\"a\":1}}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"name\":\"f\","
                + "\"content\":\"r\"},{\"role\":\"assistant\",\"content\":\"done\"}]," + TOOLS + ",\"metadata\":{}}",
                Shape.MESSAGES, true)).isEmpty();
    }

    @Test
    void eachBrokenRuleIsNamed() {
        assertThat(openai("[1]")).anyMatch(p -> p.contains("data_type"));
        assertThat(openai("{\"messages\":[]}")).anyMatch(p -> p.contains("missing_messages_list"));
        assertThat(openai("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}],\"extra\":1}"))
                .anyMatch(p -> p.contains("unrecognized top-level key 'extra'"));
        assertThat(openai("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}],\"metadata\":{}}"))
                .anyMatch(p -> p.contains("'metadata'"));
        assertThat(OpenAiChatValidator.problems("{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}]}",
                Shape.OPENAI, true)).anyMatch(p -> p.contains("no metadata"));
        assertThat(openai("{\"messages\":[{\"role\":\"robot\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("unrecognized_role"));
        assertThat(openai("{\"messages\":[{\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("message_missing_key 'role'"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("message_missing_key 'content'"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":\"u\",\"seq\":1},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("message_unrecognized_key 'seq'"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":\"u\"}]}"))
                .anyMatch(p -> p.contains("example_missing_assistant_message"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":null},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("missing_content"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":\"\"},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("missing_content"));
        assertThat(openai("{\"messages\":[{\"role\":\"assistant\",\"content\":null}]}"))
                .anyMatch(p -> p.contains("missing_content"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":[\"u\"]},{\"role\":\"assistant\",\"content\":\"a\"}]}"))
                .anyMatch(p -> p.contains("content is not a string"));
        assertThat(openai("{\"messages\":[{\"role\":\"user\",\"content\":\"u\",\"weight\":1},{\"role\":\"assistant\",\"content\":\"a\",\"weight\":2}]}"))
                .anyMatch(p -> p.contains("weight on a user")).anyMatch(p -> p.contains("weight is not 0 or 1"));
    }

    @Test
    void toolCallsAreCheckedForShapeAndPairing() {
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\",\"tool_calls\":[]}")))
                .anyMatch(p -> p.contains("not a non-empty array"));
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\",\"tool_calls\":[" + CALL + "]},{\"role\":\"assistant\",\"content\":\"a\"}")))
                .anyMatch(p -> p.contains("tool_calls on a user message"));
        assertThat(openai(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"fn\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}"))).anyMatch(p -> p.contains("type is not"));
        assertThat(openai(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}"))).anyMatch(p -> p.contains("id is not"));
        assertThat(openai(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]}"))).anyMatch(p -> p.contains("JSON text"));
        assertThat(openai(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}"))).anyMatch(p -> p.contains("of an object"));
        assertThat(openai(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1} x\"}}]}"))).anyMatch(p -> p.contains("does not parse"));
        assertThat(OpenAiChatValidator.problems(line("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + CALL + "]}"),
                Shape.MESSAGES, false)).anyMatch(p -> p.contains("not an object (messages shape)"));
        // A non-final call without its result before the next assistant message.
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[" + CALL + "]},{\"role\":\"assistant\",\"content\":\"a\"}")))
                .anyMatch(p -> p.contains("no tool message before"));
        // The result comes only after the next user message.
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[" + CALL + "]},{\"role\":\"user\",\"content\":\"?\"},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
                + "\"content\":\"r\"},{\"role\":\"assistant\",\"content\":\"a\"}")))
                .anyMatch(p -> p.contains("no tool message before"));
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"tool\",\"tool_call_id\":\"zz\",\"content\":\"r\"},"
                + "{\"role\":\"assistant\",\"content\":\"a\"}"))).anyMatch(p -> p.contains("answers no earlier call"));
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"tool\",\"content\":\"r\"},"
                + "{\"role\":\"assistant\",\"content\":\"a\"}"))).anyMatch(p -> p.contains("'tool_call_id'"));
        assertThat(openai(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[" + CALL + "]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r\"},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r\"},{\"role\":\"assistant\",\"content\":\"a\"}")))
                .anyMatch(p -> p.contains("answered twice"));
        assertThat(OpenAiChatValidator.problems(line("{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{}}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r\"},{\"role\":\"assistant\",\"content\":\"a\"}"),
                Shape.MESSAGES, false)).anyMatch(p -> p.contains("has no 'name'"));
    }

    @Test
    void toolsAreCheckedForShapeAndCoverage() {
        String call = "{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + CALL + "]}";
        assertThat(openai("{\"messages\":[" + call + "]}")).anyMatch(p -> p.contains("no tools"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[]}")).anyMatch(p -> p.contains("non-empty array"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"g\"}}]}"))
                .anyMatch(p -> p.contains("'f' is called but not in tools"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[{\"type\":\"fn\",\"function\":{\"name\":\"f\"}}]}"))
                .anyMatch(p -> p.contains("type is not"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                + "\"parameters\":[]}}]}")).anyMatch(p -> p.contains("JSON Schema object"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}")).anyMatch(p -> p.contains("defined twice"));
        assertThat(openai("{\"messages\":[" + call + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                + "\"extra\":1}}]}")).anyMatch(p -> p.contains("unrecognized function key 'extra'"));
    }
}
