package ai.trainingstore.dataset;

import ai.trainingstore.dataset.OpenAiChatValidator.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An independent check of one preferences line (no production class used):
 * <ul>
 * <li>{@code openai}: OpenAI's preference fine-tuning rules: exactly {@code input},
 * {@code preferred_output}, {@code non_preferred_output}; input messages non-empty, the last from
 * the user or a tool; each output holds an assistant message (assistant and tool messages only);
 * tool calls paired with tool results in the input. Prompt + each output is also checked as a chat
 * fine-tuning line ({@link OpenAiChatValidator}, arguments as JSON text).</li>
 * <li>{@code trl}: exactly TRL's preference keys {@code prompt}, {@code chosen}, {@code rejected}
 * (and {@code tools}); {@code kto}: exactly {@code prompt}, {@code completion}, {@code label}
 * (boolean) (and {@code tools}). Prompt + each completion is checked in the Hugging Face shape and
 * rendered with the Hermes-style tool chat template, as trainers do.</li>
 * </ul>
 */
final class PreferenceValidator {

    enum Format { OPENAI, TRL, KTO }

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PreferenceValidator() {
    }

    static void assertValid(String line, Format format, boolean metadataAsked) {
        List<String> problems = problems(line, format, metadataAsked);
        if (!problems.isEmpty()) {
            throw new AssertionError("Not a valid " + format + " preference line: " + problems + "\n  line: " + line);
        }
    }

    static List<String> problems(String line, Format format, boolean metadataAsked) {
        JsonNode root;
        try {
            root = STRICT.readTree(line);
        } catch (JsonProcessingException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        List<String> problems = new ArrayList<>();
        if (root == null || !root.isObject()) {
            return List.of("the line is not a JSON object");
        }
        Set<String> keys = new HashSet<>();
        root.fieldNames().forEachRemaining(keys::add);
        if (metadataAsked != keys.remove("metadata")) {
            problems.add(metadataAsked ? "metadata was asked for but is missing" : "metadata was not asked for");
        }
        switch (format) {
            case OPENAI -> openai(root, keys, problems);
            case TRL -> huggingFace(root, keys, Set.of("prompt", "chosen", "rejected"), List.of("chosen", "rejected"),
                    problems);
            case KTO -> {
                huggingFace(root, keys, Set.of("prompt", "completion", "label"), List.of("completion"), problems);
                if (!root.path("label").isBoolean()) {
                    problems.add("label is not a boolean");
                }
            }
        }
        return problems;
    }

    private static void openai(JsonNode root, Set<String> keys, List<String> problems) {
        if (!keys.equals(Set.of("input", "preferred_output", "non_preferred_output"))) {
            problems.add("keys are " + keys + ", not exactly input, preferred_output, non_preferred_output");
        }
        JsonNode input = root.path("input");
        Set<String> inputKeys = new HashSet<>();
        input.fieldNames().forEachRemaining(inputKeys::add);
        if (!input.isObject() || !inputKeys.contains("messages") || !Set.of("messages", "tools").containsAll(inputKeys)) {
            problems.add("input is not {messages, tools?}: " + inputKeys);
            return;
        }
        JsonNode messages = input.get("messages");
        checkPrompt(messages, problems);
        for (String output : List.of("preferred_output", "non_preferred_output")) {
            checkOutput(output, root.path(output), problems);
            problems.addAll(prefixed(output, OpenAiChatValidator.problems(chat(messages, root.path(output),
                    input.get("tools")), Shape.OPENAI, false)));
        }
    }

    private static void huggingFace(JsonNode root, Set<String> keys, Set<String> exact, List<String> outputs,
                                    List<String> problems) {
        Set<String> withoutTools = new HashSet<>(keys);
        withoutTools.remove("tools");
        if (!withoutTools.equals(exact)) {
            problems.add("keys are " + keys + ", not exactly " + exact + " (and tools)");
        }
        if (root.has("tools") && (!root.get("tools").isArray() || root.get("tools").isEmpty())) {
            problems.add("tools is not a non-empty array");
        }
        checkPrompt(root.path("prompt"), problems);
        for (String output : outputs) {
            checkOutput(output, root.path(output), problems);
            ObjectNode chat = chat(root.path("prompt"), root.path(output), root.get("tools"));
            List<String> found = OpenAiChatValidator.problems(chat, Shape.MESSAGES, false);
            problems.addAll(prefixed(output, found));
            if (found.isEmpty()) {
                try {
                    HermesChatTemplate.render(chat.toString());
                } catch (RuntimeException | AssertionError e) {
                    problems.add(output + ": the chat template fails: " + e.getMessage());
                }
            }
        }
    }

    /** Non-empty, the last message from the user or a tool, a user message somewhere. */
    private static void checkPrompt(JsonNode messages, List<String> problems) {
        if (!messages.isArray() || messages.isEmpty()) {
            problems.add("the prompt messages are not a non-empty array");
            return;
        }
        String last = messages.get(messages.size() - 1).path("role").asText();
        if (!last.equals("user") && !last.equals("tool")) {
            problems.add("the last prompt message is from '" + last + "', not the user or a tool");
        }
    }

    /** A non-empty list of assistant and tool messages holding an assistant message. */
    private static void checkOutput(String name, JsonNode output, List<String> problems) {
        if (!output.isArray() || output.isEmpty()) {
            problems.add(name + " is not a non-empty array");
            return;
        }
        boolean assistant = false;
        for (JsonNode message : output) {
            String role = message.path("role").asText();
            assistant |= role.equals("assistant");
            if (!role.equals("assistant") && !role.equals("tool")) {
                problems.add(name + " holds a '" + role + "' message");
            }
        }
        if (!assistant) {
            problems.add(name + " holds no assistant message");
        }
    }

    private static ObjectNode chat(JsonNode prompt, JsonNode output, JsonNode tools) {
        ObjectNode chat = NODES.objectNode();
        ArrayNode messages = chat.putArray("messages");
        prompt.forEach(messages::add);
        output.forEach(messages::add);
        if (tools != null) {
            chat.set("tools", tools);
        }
        return chat;
    }

    private static List<String> prefixed(String prefix, List<String> problems) {
        return problems.stream().map(problem -> prefix + ": " + problem).toList();
    }
}
