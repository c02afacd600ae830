package ai.trainingstore.dataset;

import ai.trainingstore.record.EntryParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One conversation assembled by the rules of contract section 6.1: its messages in order, tool
 * results filled in from tool executions, trailing messages after the last assistant message
 * dropped, then checked; the tools it calls or defines. A conversation that breaks a rule carries
 * its {@link Skip} (the reason and what decided it) instead of being emitted.
 */
final class Conversation {

    /** Why a conversation is left out; when several apply, the first in this order counts. */
    enum SkipReason {
        NO_ASSISTANT_MESSAGE, ORPHAN_TOOL_RESULT, UNANSWERED_TOOL_CALL, BAD_ARGUMENTS, MISSING_CONTENT,
        /** More stored bytes than memory.assembly-bytes: never held whole. */
        TOO_LARGE,
        /** A stored value its line cannot be written with (say JSON nested past every trainer's parser). */
        BAD_RECORD,
        /** Its line counts more tokens than the request's max_tokens (contract 6.5): never truncated. */
        TOO_LONG,
        /** dedup (contract 6.5): the same or a similar line was emitted before it. */
        DUPLICATE;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        Skip because(String detail) {
            return new Skip(this, detail);
        }
    }

    /** Why a conversation is left out, and the message, call or size that decided it (explain=true). */
    record Skip(SkipReason reason, String detail) {
    }

    /** An assistant's call: {@code arguments} is the object, or null when it is not one. */
    record ToolCall(String id, String function, ObjectNode arguments, String argumentsText) {
    }

    /**
     * A message of the assembled conversation; {@code function} is the called function of a tool
     * result; {@code messageId} is null for a result built from a tool execution.
     */
    record Message(String messageId, String role, String content, String name, List<ToolCall> toolCalls,
                   String toolCallId, String function) {

        boolean callsTools() {
            return !toolCalls.isEmpty();
        }
    }

    final String id;
    final List<Message> messages;
    final List<ObjectNode> tools;
    final Skip skipped;
    final Set<String> agentIds;
    final Set<String> taskIds;
    final Set<String> taskStatuses;
    /** Feedback of the conversation, else of its task: {name: {value, label}}. */
    final Map<String, JsonNode> feedback;
    final Instant firstOccurredAt;
    final Instant lastOccurredAt;
    private final boolean callsTools;

    private Conversation(String id, List<Message> messages, List<ObjectNode> tools, Skip skipped, Facts facts) {
        this.id = id;
        this.messages = messages;
        this.tools = tools;
        this.skipped = skipped;
        this.agentIds = facts.agentIds;
        this.taskIds = facts.taskIds;
        this.taskStatuses = facts.taskStatuses;
        // The conversation's own feedback wins over its task's.
        this.feedback = new LinkedHashMap<>(facts.taskFeedback);
        this.feedback.putAll(facts.conversationFeedback);
        this.firstOccurredAt = facts.first;
        this.lastOccurredAt = facts.last;
        this.callsTools = facts.callsTools;
    }

    /**
     * What the filters read of a conversation, gathered row by row: from the rows it is assembled
     * from, or from the rows of one too large to hold, which pass by one at a time.
     */
    static final class Facts {
        /** Distinct values kept per set: filters stay exact below it, memory flat above it. */
        private static final int MOST_VALUES = 10_000;

        final Set<String> agentIds = new LinkedHashSet<>();
        final Set<String> taskIds = new LinkedHashSet<>();
        final Set<String> taskStatuses = new LinkedHashSet<>();
        final Map<String, JsonNode> taskFeedback = new LinkedHashMap<>();
        final Map<String, JsonNode> conversationFeedback = new LinkedHashMap<>();
        Instant first;
        Instant last;
        boolean callsTools;

        void add(MessageRow row) {
            add(row.agentId(), row.taskId(), row.taskStatus(), row.occurredAt(), row.toolCalls().isArray()
                    && !row.toolCalls().isEmpty() && "assistant".equals(row.role()));
            row.taskFeedback().properties().forEach(entry -> taskFeedback.putIfAbsent(entry.getKey(), entry.getValue()));
            if (conversationFeedback.isEmpty()) {
                row.conversationFeedback().properties().forEach(entry -> conversationFeedback.put(entry.getKey(),
                        entry.getValue()));
            }
        }

        void add(String agentId, String taskId, String taskStatus, Instant occurredAt, boolean calls) {
            addIfPresent(agentIds, agentId);
            addIfPresent(taskIds, taskId);
            addIfPresent(taskStatuses, taskStatus);
            first = first == null || occurredAt.isBefore(first) ? occurredAt : first;
            last = last == null || occurredAt.isAfter(last) ? occurredAt : last;
            callsTools |= calls;
        }

        private static void addIfPresent(Set<String> set, String value) {
            if (value != null && set.size() < MOST_VALUES) {
                set.add(value);
            }
        }
    }

    /** A conversation left out whole, with what its rows told about it. */
    static Conversation skipped(String id, Skip skip, Facts facts) {
        return new Conversation(id, List.of(), List.of(), skip, facts);
    }

    /** What the conversation costs to hold, roughly: its texts and a little per message. */
    long heldBytes() {
        long bytes = 64;
        for (Message message : messages) {
            bytes += 64 + message.content().length() * 2L;
            for (ToolCall call : message.toolCalls()) {
                bytes += 64 + (call.argumentsText() == null ? 0 : call.argumentsText().length() * 4L);
            }
        }
        return bytes;
    }

    boolean isEmitted() {
        return skipped == null;
    }

    long toolCallCount() {
        return messages.stream().mapToLong(message -> message.toolCalls().size()).sum();
    }

    /** Whether a stored assistant message of it calls tools (has_tools), known also when it is left out. */
    boolean callsTools() {
        return callsTools;
    }

    /** The feedback value of a name, when there is one with a value. */
    Optional<Double> score(String name) {
        return Feedback.score(feedback, name);
    }

    /** Rows of one conversation in the query's order. */
    static Conversation assemble(List<MessageRow> rows) {
        List<Message> stored = rows.stream().map(Conversation::message).toList();
        List<Message> withResults = withExecutionResults(stored, rows);
        List<Message> messages = upToLastAssistant(withResults);
        Facts facts = new Facts();
        rows.forEach(facts::add);
        return new Conversation(rows.get(0).conversationId(), messages, tools(rows, messages),
                skipReason(messages), facts);
    }

    private static Message message(MessageRow row) {
        List<ToolCall> calls = new ArrayList<>();
        if (row.role().equals("assistant") && row.toolCalls().isArray()) {
            for (JsonNode call : row.toolCalls()) {
                calls.add(toolCall(call));
            }
        }
        return new Message(row.messageId(), row.role(), row.content(), row.name(), calls, row.toolCallId(), null);
    }

    /** A stored call ({@code {id, function: {name, arguments}}}) with its arguments read as an object when they are one. */
    static ToolCall toolCall(JsonNode call) {
        JsonNode function = call.path("function");
        JsonNode arguments = function.path("arguments");
        ObjectNode object = null;
        String text = null;
        if (arguments.isObject()) {
            object = (ObjectNode) arguments;
            text = arguments.toString();
        } else if (arguments.isTextual()) {
            text = arguments.textValue();
            try {
                JsonNode parsed = EntryParser.JSON.readTree(text);
                object = parsed != null && parsed.isObject() ? (ObjectNode) parsed : null;
            } catch (IOException e) {
                object = null;
            }
        }
        return new ToolCall(call.path("id").asText(null), function.path("name").asText(null), object, text);
    }

    /**
     * Rule 2: a call no tool message of the conversation answers, whose tool execution has a
     * result or an error, gets a tool message built from it, after the assistant message and the
     * tool messages directly following it that answer its other calls, in the order of its calls.
     */
    private static List<Message> withExecutionResults(List<Message> stored, List<MessageRow> rows) {
        Set<String> answered = new HashSet<>();
        for (Message message : stored) {
            if (message.role().equals("tool") && message.toolCallId() != null) {
                answered.add(message.toolCallId());
            }
        }
        List<Message> out = new ArrayList<>(stored.size());
        for (int i = 0; i < stored.size(); i++) {
            Message message = stored.get(i);
            out.add(message);
            if (!message.callsTools()) {
                continue;
            }
            JsonNode executions = rows.get(i).executions(); // stored.get(i) is rows.get(i) decoded
            Set<String> ownCalls = new HashSet<>();
            message.toolCalls().forEach(call -> ownCalls.add(call.id()));
            while (i + 1 < stored.size() && stored.get(i + 1).role().equals("tool")
                    && ownCalls.contains(stored.get(i + 1).toolCallId())) {
                out.add(stored.get(++i));
            }
            for (ToolCall call : message.toolCalls()) {
                JsonNode execution = call.id() == null ? null : executions.get(call.id());
                if (execution != null && !answered.contains(call.id())) {
                    out.add(new Message(null, "tool", resultText(execution), null, List.of(), call.id(), call.function()));
                    answered.add(call.id());
                }
            }
        }
        return out;
    }

    /** The execution's output_result as compact JSON text (a JSON string as itself), else its error. */
    private static String resultText(JsonNode execution) {
        return resultText(execution.path("output_result"), execution.path("error").asText(null));
    }

    /** An output result as compact JSON text (a JSON string as itself), else the error, else "". */
    static String resultText(JsonNode output, String error) {
        if (output != null && !output.isMissingNode() && !output.isNull()) {
            return output.isTextual() ? output.textValue() : output.toString();
        }
        return error == null ? "" : error;
    }

    /** Rule 3: nothing after the last assistant message (its own calls' results included). */
    private static List<Message> upToLastAssistant(List<Message> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role().equals("assistant")) {
                return messages.subList(0, i + 1);
            }
        }
        return messages;
    }

    /** Rule 4, in the order of the reasons, with what decided it. */
    private static Skip skipReason(List<Message> messages) {
        if (messages.stream().noneMatch(message -> message.role().equals("assistant"))) {
            return SkipReason.NO_ASSISTANT_MESSAGE.because(messages.size() + " messages, none from the assistant");
        }
        Set<String> called = new HashSet<>();
        for (Message message : messages) {
            if (message.role().equals("tool") && (message.toolCallId() == null || !called.contains(message.toolCallId()))) {
                return SkipReason.ORPHAN_TOOL_RESULT.because("tool message " + quoted(message.messageId())
                        + " answers tool_call_id " + quoted(message.toolCallId()) + ", which no earlier call has");
            }
            message.toolCalls().forEach(call -> called.add(call.id()));
        }
        int last = messages.size() - 1;
        for (int i = 0; i < last; i++) {
            Message message = messages.get(i);
            if (!message.callsTools()) {
                continue;
            }
            Set<String> open = new LinkedHashSet<>();
            message.toolCalls().forEach(call -> open.add(call.id()));
            for (int j = i + 1; j < messages.size() && !messages.get(j).role().equals("user")
                    && !messages.get(j).role().equals("assistant"); j++) {
                open.remove(messages.get(j).toolCallId());
            }
            if (!open.isEmpty()) {
                return SkipReason.UNANSWERED_TOOL_CALL.because("call " + quoted(open.iterator().next())
                        + " of assistant message " + quoted(message.messageId())
                        + " has no tool result before the next user or assistant message");
            }
        }
        for (Message message : messages) {
            for (ToolCall call : message.toolCalls()) {
                if (call.arguments() == null || call.function() == null || call.id() == null) {
                    return SkipReason.BAD_ARGUMENTS.because("call " + quoted(call.id()) + " of assistant message "
                            + quoted(message.messageId()) + (call.id() == null ? " has no id"
                            : call.function() == null ? " names no function" : " has arguments that are not a JSON object"));
                }
            }
        }
        for (Message message : messages) {
            boolean mayBeEmpty = message.role().equals("assistant") && message.callsTools();
            if (!mayBeEmpty && (message.content() == null || message.content().isEmpty())) {
                return SkipReason.MISSING_CONTENT.because((message.messageId() != null
                        ? message.role() + " message " + quoted(message.messageId())
                        : "the tool result built from tool execution " + quoted(message.toolCallId()))
                        + " has empty content");
            }
        }
        return null;
    }

    /** An identity for a detail: in quotes, or "(none)". */
    private static String quoted(String id) {
        return id == null ? "(none)" : "'" + id + "'";
    }

    /**
     * Rule 5: one definition per function the conversation calls or defines, in order of first
     * appearance: the latest stored definition, else one inferred from the arguments of its calls.
     */
    private static List<ObjectNode> tools(List<MessageRow> rows, List<Message> messages) {
        Map<String, ObjectNode> defined = new LinkedHashMap<>();
        for (MessageRow row : rows) {
            if (row.tools().isArray()) {
                for (JsonNode tool : row.tools()) {
                    String name = tool.path("function").path("name").asText(null);
                    if (name != null && tool.isObject()) {
                        defined.remove(name);
                        defined.put(name, (ObjectNode) tool);
                    }
                }
            }
        }
        Map<String, List<ObjectNode>> calledWith = new LinkedHashMap<>();
        for (Message message : messages) {
            for (ToolCall call : message.toolCalls()) {
                if (call.function() != null) {
                    calledWith.computeIfAbsent(call.function(), name -> new ArrayList<>()).add(call.arguments());
                }
            }
        }
        Set<String> names = new LinkedHashSet<>(defined.keySet());
        names.addAll(calledWith.keySet());
        List<ObjectNode> tools = new ArrayList<>();
        for (String name : names) {
            tools.add(defined.containsKey(name) ? defined.get(name) : inferred(name, calledWith.get(name)));
        }
        return tools;
    }

    static ObjectNode inferred(String name, List<ObjectNode> calls) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        Map<String, Set<String>> types = new LinkedHashMap<>();
        Set<String> inEveryCall = null;
        for (ObjectNode arguments : calls) {
            Set<String> keys = new LinkedHashSet<>();
            if (arguments != null) {
                arguments.properties().forEach(entry -> {
                    keys.add(entry.getKey());
                    types.computeIfAbsent(entry.getKey(), key -> new LinkedHashSet<>()).add(schemaType(entry.getValue()));
                });
            }
            if (inEveryCall == null) {
                inEveryCall = keys;
            } else {
                inEveryCall.retainAll(keys);
            }
        }
        ObjectNode properties = json.objectNode();
        types.forEach((key, seen) -> {
            ObjectNode property = properties.putObject(key);
            if (seen.size() == 1) {
                property.put("type", seen.iterator().next());
            } else {
                ArrayNode list = property.putArray("type");
                seen.forEach(list::add);
            }
        });
        ObjectNode parameters = json.objectNode().put("type", "object");
        parameters.set("properties", properties);
        ArrayNode required = parameters.putArray("required");
        types.keySet().stream().filter(inEveryCall == null ? key -> false : inEveryCall::contains).forEach(required::add);
        // Contract 6.1 rule 5: a description, even empty; open models' chat templates concatenate it.
        ObjectNode function = json.objectNode().put("name", name).put("description", "");
        function.set("parameters", parameters);
        ObjectNode tool = json.objectNode().put("type", "function");
        tool.set("function", function);
        return tool;
    }

    private static String schemaType(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> value.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            case OBJECT -> "object";
            case ARRAY -> "array";
            default -> "null";
        };
    }
}
