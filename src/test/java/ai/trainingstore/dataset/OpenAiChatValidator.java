package ai.trainingstore.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An independent check of one dataset line against OpenAI's published chat fine-tuning rules
 * (the "Chat_finetuning_data_prep" checks: data type, messages list, keys, roles, content, an
 * assistant message) plus the tool rules that checker predates: tool call shape, arguments,
 * pairing of calls and results, and the {@code tools} list. It uses none of the production
 * classes: it reads the line as plain JSON.
 *
 * <p>Two shapes: {@link Shape#OPENAI} ({@code function.arguments} is JSON text of an object) and
 * {@link Shape#MESSAGES} (the Hugging Face / TRL shape: {@code arguments} is an object and every
 * tool message carries {@code name}, the function it answers).
 */
final class OpenAiChatValidator {

    enum Shape { OPENAI, MESSAGES }

    private static final Set<String> TOP_LEVEL = Set.of("messages", "tools", "parallel_tool_calls");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Set<String> MESSAGE_KEYS = Set.of("role", "content", "name", "tool_calls", "tool_call_id",
            "weight");
    private static final Set<String> CALL_KEYS = Set.of("id", "type", "function");
    private static final Set<String> CALL_FUNCTION_KEYS = Set.of("name", "arguments");
    private static final Set<String> TOOL_KEYS = Set.of("type", "function");
    private static final Set<String> TOOL_FUNCTION_KEYS = Set.of("name", "description", "parameters", "strict");

    /** Strict: arguments text with anything after its JSON value is not JSON text of an object. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private OpenAiChatValidator() {
    }

    /** Throws an AssertionError that lists every problem of the line. */
    static void assertValid(String line, Shape shape, boolean metadataAsked) {
        List<String> problems = problems(line, shape, metadataAsked);
        if (!problems.isEmpty()) {
            throw new AssertionError("Not a valid " + shape + " fine-tuning line: " + problems + "\n  line: " + line);
        }
    }

    static List<String> problems(String line, Shape shape, boolean metadataAsked) {
        JsonNode root;
        try {
            root = STRICT.readTree(line);
        } catch (JsonProcessingException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        return problems(root, shape, metadataAsked);
    }

    static List<String> problems(JsonNode root, Shape shape, boolean metadataAsked) {
        List<String> problems = new ArrayList<>();
        if (root == null || !root.isObject()) {
            problems.add("data_type: the line is not a JSON object");
            return problems;
        }
        root.fieldNames().forEachRemaining(key -> {
            if (!TOP_LEVEL.contains(key) && !(metadataAsked && key.equals("metadata"))) {
                problems.add("unrecognized top-level key '" + key + "'");
            }
        });
        if (metadataAsked && !root.path("metadata").isObject()) {
            problems.add("metadata was asked for but the line has no metadata object");
        }
        if (root.has("parallel_tool_calls") && !root.get("parallel_tool_calls").isBoolean()) {
            problems.add("parallel_tool_calls is not a boolean");
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            problems.add("missing_messages_list: 'messages' is not a non-empty array");
            return problems;
        }
        Map<String, String> calledFunction = new HashMap<>(); // call id -> function name, for calls seen so far
        Set<String> answered = new HashSet<>();
        Set<String> functionsCalled = new LinkedHashSet<>();
        boolean anyAssistant = false;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String at = "message " + i;
            if (!message.isObject()) {
                problems.add(at + ": not an object");
                continue;
            }
            message.fieldNames().forEachRemaining(key -> {
                if (!MESSAGE_KEYS.contains(key)) {
                    problems.add(at + ": message_unrecognized_key '" + key + "'");
                }
            });
            JsonNode roleNode = message.get("role");
            if (roleNode == null || !roleNode.isTextual()) {
                problems.add(at + ": message_missing_key 'role'");
                continue;
            }
            String role = roleNode.textValue();
            if (!ROLES.contains(role)) {
                problems.add(at + ": unrecognized_role '" + role + "'");
                continue;
            }
            anyAssistant |= role.equals("assistant");
            JsonNode calls = message.get("tool_calls");
            boolean callsTools = calls != null && !calls.isNull();
            if (!message.has("content")) {
                problems.add(at + ": message_missing_key 'content'");
            } else {
                JsonNode content = message.get("content");
                if (content.isNull()) {
                    if (!(role.equals("assistant") && callsTools)) {
                        problems.add(at + ": missing_content (null content is only for an assistant message with"
                                + " tool_calls)");
                    }
                } else if (!content.isTextual()) {
                    problems.add(at + ": content is not a string");
                } else if (content.textValue().isEmpty() && !(role.equals("assistant") && callsTools)) {
                    problems.add(at + ": missing_content (empty)");
                }
            }
            if (message.has("name") && !(message.get("name").isTextual() && !message.get("name").textValue().isEmpty())) {
                problems.add(at + ": name is not a non-empty string");
            }
            if (message.has("weight")) {
                JsonNode weight = message.get("weight");
                if (!role.equals("assistant")) {
                    problems.add(at + ": weight on a " + role + " message (assistant messages only)");
                } else if (!weight.isIntegralNumber() || (weight.intValue() != 0 && weight.intValue() != 1)) {
                    problems.add(at + ": weight is not 0 or 1");
                }
            }
            if (callsTools) {
                if (!role.equals("assistant")) {
                    problems.add(at + ": tool_calls on a " + role + " message");
                } else if (!calls.isArray() || calls.isEmpty()) {
                    problems.add(at + ": tool_calls is not a non-empty array");
                } else {
                    for (int c = 0; c < calls.size(); c++) {
                        String id = checkCall(calls.get(c), at + " call " + c, shape, problems);
                        if (id != null) {
                            if (calledFunction.containsKey(id)) {
                                problems.add(at + ": tool call id '" + id + "' used twice");
                            }
                            String name = calls.get(c).path("function").path("name").asText();
                            calledFunction.put(id, name);
                            functionsCalled.add(name);
                        }
                    }
                    if (i < messages.size() - 1) {
                        checkAnswered(messages, i, calls, problems);
                    }
                }
            }
            if (role.equals("tool")) {
                JsonNode callId = message.get("tool_call_id");
                if (callId == null || !callId.isTextual() || callId.textValue().isEmpty()) {
                    problems.add(at + ": message_missing_key 'tool_call_id' on a tool message");
                } else if (!calledFunction.containsKey(callId.textValue())) {
                    problems.add(at + ": tool message answers no earlier call ('" + callId.textValue() + "')");
                } else {
                    if (!answered.add(callId.textValue())) {
                        problems.add(at + ": call '" + callId.textValue() + "' answered twice");
                    }
                    if (shape == Shape.MESSAGES) {
                        JsonNode name = message.get("name");
                        if (name == null || !name.isTextual()) {
                            problems.add(at + ": a tool message of the messages shape has no 'name'");
                        } else if (!name.textValue().equals(calledFunction.get(callId.textValue()))) {
                            problems.add(at + ": tool message name '" + name.textValue() + "' is not the called"
                                    + " function '" + calledFunction.get(callId.textValue()) + "'");
                        }
                    }
                }
            } else if (message.has("tool_call_id")) {
                problems.add(at + ": tool_call_id on a " + role + " message");
            }
        }
        if (!anyAssistant) {
            problems.add("example_missing_assistant_message");
        }
        checkTools(root, functionsCalled, problems);
        return problems;
    }

    /** A call {id, type: "function", function: {name, arguments}}; returns its id when it has one. */
    private static String checkCall(JsonNode call, String at, Shape shape, List<String> problems) {
        if (!call.isObject()) {
            problems.add(at + ": not an object");
            return null;
        }
        call.fieldNames().forEachRemaining(key -> {
            if (!CALL_KEYS.contains(key)) {
                problems.add(at + ": unrecognized key '" + key + "'");
            }
        });
        if (!"function".equals(call.path("type").textValue())) {
            problems.add(at + ": type is not \"function\"");
        }
        JsonNode function = call.path("function");
        if (!function.isObject()) {
            problems.add(at + ": no function object");
        } else {
            function.fieldNames().forEachRemaining(key -> {
                if (!CALL_FUNCTION_KEYS.contains(key)) {
                    problems.add(at + ": unrecognized function key '" + key + "'");
                }
            });
            if (!function.path("name").isTextual() || function.path("name").textValue().isEmpty()) {
                problems.add(at + ": function.name is not a non-empty string");
            }
            JsonNode arguments = function.path("arguments");
            if (shape == Shape.OPENAI) {
                if (!arguments.isTextual()) {
                    problems.add(at + ": function.arguments is not JSON text (a string)");
                } else {
                    try {
                        JsonNode parsed = STRICT.readTree(arguments.textValue());
                        if (parsed == null || !parsed.isObject()) {
                            problems.add(at + ": function.arguments is not the JSON text of an object");
                        }
                    } catch (JsonProcessingException e) {
                        problems.add(at + ": function.arguments does not parse: " + e.getOriginalMessage());
                    }
                }
            } else if (!arguments.isObject()) {
                problems.add(at + ": function.arguments is not an object (messages shape)");
            }
        }
        JsonNode id = call.path("id");
        if (!id.isTextual() || id.textValue().isEmpty()) {
            problems.add(at + ": id is not a non-empty string");
            return null;
        }
        return id.textValue();
    }

    /** Every call of a non-final assistant message has a tool message before the next user or assistant message. */
    private static void checkAnswered(JsonNode messages, int index, JsonNode calls, List<String> problems) {
        Set<String> open = new LinkedHashSet<>();
        calls.forEach(call -> open.add(call.path("id").asText()));
        for (int j = index + 1; j < messages.size(); j++) {
            String role = messages.get(j).path("role").asText();
            if (role.equals("user") || role.equals("assistant")) {
                break;
            }
            if (role.equals("tool")) {
                open.remove(messages.get(j).path("tool_call_id").asText());
            }
        }
        if (!open.isEmpty()) {
            problems.add("message " + index + ": calls " + open + " have no tool message before the next user or"
                    + " assistant message");
        }
    }

    /** tools: [{type: "function", function: {name, parameters, ...}}], one per name, covering every call. */
    private static void checkTools(JsonNode root, Set<String> functionsCalled, List<String> problems) {
        if (!root.has("tools")) {
            if (!functionsCalled.isEmpty()) {
                problems.add("functions " + functionsCalled + " are called but the line has no tools");
            }
            return;
        }
        JsonNode tools = root.get("tools");
        if (!tools.isArray() || tools.isEmpty()) {
            problems.add("tools is not a non-empty array");
            return;
        }
        Set<String> defined = new HashSet<>();
        for (int t = 0; t < tools.size(); t++) {
            JsonNode tool = tools.get(t);
            String at = "tool " + t;
            if (!tool.isObject()) {
                problems.add(at + ": not an object");
                continue;
            }
            tool.fieldNames().forEachRemaining(key -> {
                if (!TOOL_KEYS.contains(key)) {
                    problems.add(at + ": unrecognized key '" + key + "'");
                }
            });
            if (!"function".equals(tool.path("type").textValue())) {
                problems.add(at + ": type is not \"function\"");
            }
            JsonNode function = tool.path("function");
            if (!function.isObject()) {
                problems.add(at + ": no function object");
                continue;
            }
            function.fieldNames().forEachRemaining(key -> {
                if (!TOOL_FUNCTION_KEYS.contains(key)) {
                    problems.add(at + ": unrecognized function key '" + key + "'");
                }
            });
            JsonNode name = function.path("name");
            if (!name.isTextual() || name.textValue().isEmpty()) {
                problems.add(at + ": function.name is not a non-empty string");
            } else if (!defined.add(name.textValue())) {
                problems.add(at + ": function '" + name.textValue() + "' defined twice");
            }
            if (function.has("description") && !function.get("description").isTextual()) {
                problems.add(at + ": description is not a string");
            }
            if (function.has("parameters")) {
                JsonNode parameters = function.get("parameters");
                if (!parameters.isObject()) {
                    problems.add(at + ": parameters is not a JSON Schema object");
                } else if (parameters.has("type") && !"object".equals(parameters.get("type").textValue())) {
                    problems.add(at + ": parameters.type is not \"object\"");
                }
            }
        }
        for (String called : functionsCalled) {
            if (!defined.contains(called)) {
                problems.add("function '" + called + "' is called but not in tools");
            }
        }
    }
}
