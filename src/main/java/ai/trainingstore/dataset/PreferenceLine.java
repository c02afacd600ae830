package ai.trainingstore.dataset;

import ai.trainingstore.dataset.tokens.TokenCounter;
import ai.trainingstore.dataset.Conversation.Message;
import ai.trainingstore.dataset.Conversation.ToolCall;
import ai.trainingstore.redact.Redaction;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pieces of a preference line (contract section 6.3): a conversation's prompt and completion,
 * the prompt's identity for finding siblings, a correction read as an assistant message, a KTO
 * label, and the three line shapes.
 */
final class PreferenceLine {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> TRUE_LABELS = Set.of("up", "good", "positive", "pass", "true", "accept", "yes", "1");
    private static final Set<String> FALSE_LABELS = Set.of("down", "bad", "negative", "fail", "false", "reject", "no",
            "0");

    private PreferenceLine() {
    }

    /** Where a conversation's completion starts: after its last user message; -1 when it has none. */
    static int completionStart(Conversation conversation) {
        for (int i = conversation.messages.size() - 1; i >= 0; i--) {
            if (conversation.messages.get(i).role().equals("user")) {
                return i + 1;
            }
        }
        return -1;
    }

    /**
     * SHA-256 of the prompt in a canonical form: role, content, name, calls (function and arguments
     * as a JSON value, keys sorted, numbers by value) and the answered call, with every tool call id
     * replaced by its number of first appearance; message ids, times and seq play no part.
     */
    static byte[] promptIdentity(List<Message> prompt) {
        Map<String, Integer> callNumbers = new HashMap<>();
        StringBuilder text = new StringBuilder();
        for (Message message : prompt) {
            ArrayNode canonical = JSON.arrayNode().add(message.role()).add(message.content()).add(message.name());
            ArrayNode calls = canonical.addArray();
            for (ToolCall call : message.toolCalls()) {
                calls.addArray().add(number(callNumbers, call.id())).add(call.function())
                        .add(canonical(call.arguments()));
            }
            canonical.add(message.toolCallId() == null ? null : number(callNumbers, message.toolCallId()));
            text.append(canonical).append('\n');
        }
        return sha256(text.toString());
    }

    private static int number(Map<String, Integer> numbers, String callId) {
        return numbers.computeIfAbsent(String.valueOf(callId), id -> numbers.size());
    }

    /** A JSON value with object keys sorted and numbers in one form, so equal values print equal. */
    private static JsonNode canonical(JsonNode value) {
        if (value == null) {
            return JSON.nullNode();
        }
        if (value.isObject()) {
            ObjectNode sorted = JSON.objectNode();
            new TreeMap<String, JsonNode>(toMap(value)).forEach((key, child) -> sorted.set(key, canonical(child)));
            return sorted;
        }
        if (value.isArray()) {
            ArrayNode array = JSON.arrayNode();
            value.forEach(child -> array.add(canonical(child)));
            return array;
        }
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue().stripTrailingZeros();
            return JSON.textNode("#" + number.toString());
        }
        return value;
    }

    private static Map<String, JsonNode> toMap(JsonNode object) {
        Map<String, JsonNode> map = new LinkedHashMap<>();
        object.properties().forEach(entry -> map.put(entry.getKey(), entry.getValue()));
        return map;
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Identity of a ranked pair: hex SHA-256 of chosen's conversation id, a newline, and rejected's. */
    static String rankedIdentity(String chosen, String rejected) {
        return "ranked:" + HexFormat.of().formatHex(sha256(chosen + "\n" + rejected));
    }

    /**
     * A correction as the assistant message it stands for: a JSON string is its content; an object
     * gives {@code content} (text or null) and {@code tool_calls}, and needs non-empty content or
     * calls, each call with an id, a function name and arguments that are a JSON object. Anything
     * else: empty, with the reason in {@code problem}.
     */
    static Optional<Message> correction(JsonNode correction, StringBuilder problem) {
        if (correction == null || correction.isNull() || correction.isMissingNode()) {
            problem.append("the correction is null");
            return Optional.empty();
        }
        if (correction.isTextual()) {
            if (correction.textValue().isEmpty()) {
                problem.append("the correction is an empty string");
                return Optional.empty();
            }
            return Optional.of(new Message(null, "assistant", correction.textValue(), null, List.of(), null, null));
        }
        if (!correction.isObject()) {
            problem.append("the correction is a JSON ").append(correction.getNodeType().name().toLowerCase(Locale.ROOT))
                    .append(", not a string or an object");
            return Optional.empty();
        }
        JsonNode content = correction.path("content");
        if (!content.isMissingNode() && !content.isNull() && !content.isTextual()) {
            problem.append("the correction's content is not text or null");
            return Optional.empty();
        }
        JsonNode calls = correction.path("tool_calls");
        if (!calls.isMissingNode() && !calls.isNull() && !calls.isArray()) {
            problem.append("the correction's tool_calls is not an array");
            return Optional.empty();
        }
        List<ToolCall> toolCalls = new ArrayList<>();
        for (JsonNode call : calls.isArray() ? calls : JSON.arrayNode()) {
            ToolCall parsed = call.isObject() ? Conversation.toolCall(call) : null;
            if (parsed == null || parsed.id() == null || parsed.function() == null || parsed.arguments() == null) {
                problem.append("a call of the correction has no id, no function name or arguments that are not a"
                        + " JSON object");
                return Optional.empty();
            }
            toolCalls.add(parsed);
        }
        String text = content.isTextual() ? content.textValue() : "";
        if (text.isEmpty() && toolCalls.isEmpty()) {
            problem.append("the correction has neither content nor tool_calls");
            return Optional.empty();
        }
        return Optional.of(new Message(null, "assistant", text, null, List.copyOf(toolCalls), null, null));
    }

    /**
     * The KTO label of the newest feedback of a name ({@code {value, label}}): value at or over the
     * threshold when it has a value, else its label read as a word (any case); empty when neither.
     */
    static Optional<Boolean> label(JsonNode feedback, double threshold) {
        if (feedback.path("value").isNumber()) {
            return Optional.of(feedback.path("value").doubleValue() >= threshold);
        }
        String label = feedback.path("label").asText("").trim().toLowerCase(Locale.ROOT);
        if (TRUE_LABELS.contains(label)) {
            return Optional.of(true);
        }
        return FALSE_LABELS.contains(label) ? Optional.of(false) : Optional.empty();
    }

    /** One side of a pair: the messages and the conversation whose calls name its tool results. */
    record Side(List<Message> messages, Conversation conversation) {
    }

    /** An openai or trl pair line. */
    static ObjectNode pair(PreferenceRequest.Format format, List<Message> prompt, Side chosen, Side rejected,
                           List<ObjectNode> tools, Redaction redaction) {
        ConversationRequest.Format shape = format == PreferenceRequest.Format.OPENAI ? ConversationRequest.Format.OPENAI
                : ConversationRequest.Format.MESSAGES;
        ObjectNode line = JSON.objectNode();
        ArrayNode promptMessages = messages(prompt, chosen.conversation(), shape, redaction);
        ArrayNode chosenMessages = messages(chosen.messages(), chosen.conversation(), shape, redaction);
        ArrayNode rejectedMessages = messages(rejected.messages(), rejected.conversation(), shape, redaction);
        if (format == PreferenceRequest.Format.OPENAI) {
            ObjectNode input = line.putObject("input");
            input.set("messages", promptMessages);
            if (!tools.isEmpty()) {
                input.set("tools", ChatLine.tools(tools, redaction));
            }
            line.set("preferred_output", chosenMessages);
            line.set("non_preferred_output", rejectedMessages);
        } else {
            line.set("prompt", promptMessages);
            line.set("chosen", chosenMessages);
            line.set("rejected", rejectedMessages);
            if (!tools.isEmpty()) {
                line.set("tools", ChatLine.tools(tools, redaction));
            }
        }
        return line;
    }

    /**
     * A pair's tokens as contract 6.5 counts them, in the openai shape whatever the format: the
     * line, the prompt's messages, the longer of the two outputs, the tools.
     */
    static long pairTokens(TokenCounter counter, List<Message> prompt, Side chosen, Side rejected,
                           List<ObjectNode> tools, Redaction redaction) {
        ConversationRequest.Format shape = ConversationRequest.Format.OPENAI;
        return TokenCounter.PER_LINE + counter.messages(messages(prompt, chosen.conversation(), shape, redaction))
                + Math.max(counter.messages(messages(chosen.messages(), chosen.conversation(), shape, redaction)),
                        counter.messages(messages(rejected.messages(), rejected.conversation(), shape, redaction)))
                + (tools.isEmpty() ? 0 : counter.strings(ChatLine.tools(tools, redaction)));
    }

    /** A KTO line's tokens (contract 6.5): prompt + completion, in the openai shape, and the tools. */
    static long ktoTokens(TokenCounter counter, Conversation conversation, Redaction redaction) {
        return TokenCounter.PER_LINE + counter.messages(messages(conversation.messages, conversation,
                ConversationRequest.Format.OPENAI, redaction))
                + (conversation.tools.isEmpty() ? 0 : counter.strings(ChatLine.tools(conversation.tools, redaction)));
    }

    /** A KTO line: prompt, completion, label, and tools when any. */
    static ObjectNode kto(Conversation conversation, int completionStart, boolean label, Redaction redaction) {
        ObjectNode line = JSON.objectNode();
        List<Message> messages = conversation.messages;
        line.set("prompt", messages(messages.subList(0, completionStart), conversation,
                ConversationRequest.Format.MESSAGES, redaction));
        line.set("completion", messages(messages.subList(completionStart, messages.size()), conversation,
                ConversationRequest.Format.MESSAGES, redaction));
        line.put("label", label);
        if (!conversation.tools.isEmpty()) {
            line.set("tools", ChatLine.tools(conversation.tools, redaction));
        }
        return line;
    }

    /**
     * What dedup compares of a written line (contract 6.5): its messages as one list, prompt then
     * chosen then rejected (openai: input.messages, preferred_output, non_preferred_output; kto:
     * prompt then completion; the label and metadata play no part).
     */
    static ArrayNode dedupMessages(ObjectNode line) {
        ArrayNode messages = JSON.arrayNode();
        for (String part : List.of("prompt", "chosen", "rejected", "completion", "preferred_output",
                "non_preferred_output")) {
            if (part.equals("preferred_output")) {
                line.path("input").path("messages").forEach(messages::add);
            }
            line.path(part).forEach(messages::add);
        }
        return messages;
    }

    /** The tools of a written line (openai: under input), null when none. */
    static JsonNode dedupTools(ObjectNode line) {
        return line.has("tools") ? line.get("tools") : line.path("input").get("tools");
    }

    /** The tools of a pair (6.1 rule 5 over its sides): each side's definitions, then any called function inferred. */
    static List<ObjectNode> tools(List<Conversation> conversations, List<Message> extra) {
        Map<String, ObjectNode> tools = new LinkedHashMap<>();
        for (Conversation conversation : conversations) {
            for (ObjectNode tool : conversation.tools) {
                tools.putIfAbsent(tool.path("function").path("name").asText(), tool);
            }
        }
        Map<String, List<ObjectNode>> calledWith = new LinkedHashMap<>();
        for (Message message : extra) {
            for (ToolCall call : message.toolCalls()) {
                if (!tools.containsKey(call.function())) {
                    calledWith.computeIfAbsent(call.function(), name -> new ArrayList<>()).add(call.arguments());
                }
            }
        }
        calledWith.forEach((name, calls) -> tools.put(name, Conversation.inferred(name, calls)));
        return new ArrayList<>(tools.values());
    }

    private static ArrayNode messages(List<Message> messages, Conversation conversation,
                                      ConversationRequest.Format shape, Redaction redaction) {
        // The function each call id names, over the whole conversation: a tool result is named after it.
        Map<String, String> calledFunctions = new HashMap<>();
        for (Message message : conversation.messages) {
            message.toolCalls().forEach(call -> calledFunctions.putIfAbsent(call.id(), call.function()));
        }
        ArrayNode array = JSON.arrayNode();
        for (Message message : messages) {
            array.add(ChatLine.message(message, shape, calledFunctions, redaction));
        }
        return array;
    }
}
