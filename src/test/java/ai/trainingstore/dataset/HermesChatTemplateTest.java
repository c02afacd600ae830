package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The template the dataset tests render every {@code format=messages} line with
 * ({@link DatasetTestSupport#validateBody}) renders what open models' tool templates need and
 * refuses what they cannot render: a tool without a description, a tool message without a name,
 * arguments as text.
 */
class HermesChatTemplateTest {

    /** A defined tool, an inferred one (empty description), two calls, their results, a system message. */
    private static final String LINE = """
            {"messages":[{"role":"system","content":"You fix code."},{"role":"user","content":"Run the tests"},\
            {"role":"assistant","content":null,"tool_calls":[\
            {"id":"c1","type":"function","function":{"name":"run_tests","arguments":{"path":"src/test"}}},\
            {"id":"c2","type":"function","function":{"name":"read_file","arguments":{"file":"Main.java","lines":[1,2]}}}]},\
            {"role":"tool","content":"{\\"passed\\":12}","tool_call_id":"c1","name":"run_tests"},\
            {"role":"tool","content":"class Main {}","tool_call_id":"c2","name":"read_file"},\
            {"role":"assistant","content":"All 12 pass."}],\
            "tools":[{"type":"function","function":{"name":"run_tests","description":"Runs the tests under a path",\
            "parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}},\
            {"type":"function","function":{"name":"read_file","description":"",\
            "parameters":{"type":"object","properties":{"file":{"type":"string"},"lines":{"type":["array","null"]}},"required":["file"]}}}]}""";

    @Test
    void aLineWithDefinedAndInferredToolsCallsAndResultsRenders() {
        String rendered = HermesChatTemplate.render(LINE);

        assertThat(rendered).startsWith("<|im_start|>system\nYou fix code.\n\nYou are a function calling AI model.")
                .contains("{\"name\": \"run_tests\", \"description\": \"run_tests(path: str) - Runs the tests under a path\"")
                .contains("\"description\": \"read_file(file: str, lines: Union[array, null]) - \"")
                .contains("<|im_start|>user\nRun the tests<|im_end|>\n")
                .contains("<tool_call>\n{\"name\": \"run_tests\", \"arguments\": {\"path\":\"src/test\"}}\n</tool_call>")
                .contains("<|im_start|>tool\n<tool_response>\n{\"name\": \"run_tests\", \"content\": \"{\\\"passed\\\":12}\"}\n"
                        + "</tool_response>\n<tool_response>\n{\"name\": \"read_file\", \"content\": \"class Main {}\"}\n"
                        + "</tool_response>\n<|im_end|>\n")
                .endsWith("<|im_start|>assistant\nAll 12 pass.<|im_end|>\n");
    }

    @Test
    void aLineWithoutToolsRendersWithoutTheToolPrompt() {
        String rendered = HermesChatTemplate.render("""
                {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}""");
        assertThat(rendered).isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n");
    }

    @Test
    void aToolWithoutADescriptionFails() {
        assertThatThrownBy(() -> HermesChatTemplate.render(LINE.replace("\"description\":\"\",", "")))
                .isInstanceOf(HermesChatTemplate.RenderFailure.class).hasMessageContaining("description");
    }

    @Test
    void aToolMessageWithoutANameFails() {
        assertThatThrownBy(() -> HermesChatTemplate.render(LINE.replace(",\"name\":\"read_file\"}", "}")))
                .isInstanceOf(HermesChatTemplate.RenderFailure.class).hasMessageContaining("name");
    }

    @Test
    void argumentsAsJsonTextFail() {
        assertThatThrownBy(() -> HermesChatTemplate.render(LINE.replace("{\"path\":\"src/test\"}", "\"{\\\"path\\\":1}\"")))
                .isInstanceOf(HermesChatTemplate.RenderFailure.class).hasMessageContaining("arguments must be an object");
    }
}
