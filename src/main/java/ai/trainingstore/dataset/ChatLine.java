package ai.trainingstore.dataset;

import ai.trainingstore.dataset.Conversation.Message;
import ai.trainingstore.dataset.Conversation.ToolCall;
import ai.trainingstore.dataset.ConversationRequest.Format;
import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.redact.RedactedColumns;
import ai.trainingstore.redact.Redaction;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * One conversation as a training line: exactly OpenAI's chat fine-tuning shape
 * ({@code {"messages": [...], "tools": [...]}}, arguments as JSON text), or the shape Hugging Face
 * chat templates and TRL take (arguments as objects, tool results named after the function).
 * Nothing else is written unless {@code metadata=true}.
 *
 * <p>Redaction applies to message contents (tool results included), call arguments (string values
 * only, so arguments stay a JSON object), the string values of tool definitions (descriptions,
 * enums, defaults; never types, names or required keys) and feedback labels in the metadata.
 * Roles, names, call ids, conversation, agent and task ids, statuses, timestamps and the split are
 * kept.
 */
final class ChatLine {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ChatLine() {
    }

    static ObjectNode of(Conversation conversation, Format format, boolean metadata, Split split, Redaction redaction) {
        ObjectNode line = JSON.objectNode();
        ArrayNode messages = line.putArray("messages");
        Map<String, String> calledFunctions = new HashMap<>();
        for (Message message : conversation.messages) {
            messages.add(message(message, format, calledFunctions, redaction));
        }
        if (!conversation.tools.isEmpty()) {
            line.set("tools", tools(conversation.tools, redaction));
        }
        if (metadata) {
            line.set("metadata", metadata(conversation, split, redaction));
        }
        return line;
    }

    /** Tool definitions, their string values redacted (never types, names or required keys). */
    static ArrayNode tools(Iterable<ObjectNode> definitions, Redaction redaction) {
        ArrayNode tools = JSON.arrayNode();
        for (ObjectNode tool : definitions) {
            tools.add(redaction.isNone() ? tool : redaction.json(tool.deepCopy(), RedactedColumns.toolDefinitionNames()));
        }
        return tools;
    }

    /** One message; {@code calledFunctions} (call id to function) names tool results in the messages shape. */
    static ObjectNode message(Message message, Format format, Map<String, String> calledFunctions,
                                      Redaction redaction) {
        ObjectNode node = JSON.objectNode().put("role", message.role());
        boolean onlyCalls = message.callsTools() && message.content().isEmpty();
        if (onlyCalls) {
            node.putNull("content");
        } else {
            node.put("content", redaction.text(message.content()));
        }
        if (message.name() != null) {
            node.put("name", message.name());
        } else if (format == Format.MESSAGES && message.role().equals("tool")) {
            String function = message.function() != null ? message.function() : calledFunctions.get(message.toolCallId());
            if (function != null) {
                node.put("name", function);
            }
        }
        if (message.callsTools()) {
            ArrayNode calls = node.putArray("tool_calls");
            for (ToolCall call : message.toolCalls()) {
                calledFunctions.put(call.id(), call.function());
                ObjectNode function = JSON.objectNode().put("name", call.function());
                if (format == Format.OPENAI) {
                    function.put("arguments", redaction.json(call.argumentsText()));
                } else {
                    function.set("arguments", redaction.isNone() ? call.arguments()
                            : redaction.json(call.arguments().deepCopy()));
                }
                ObjectNode callNode = calls.addObject().put("id", call.id()).put("type", "function");
                callNode.set("function", function);
            }
        }
        if (message.role().equals("tool")) {
            node.put("tool_call_id", message.toolCallId());
        }
        return node;
    }

    private static ObjectNode metadata(Conversation conversation, Split split, Redaction redaction) {
        ObjectNode metadata = JSON.objectNode().put("conversation_id", conversation.id);
        conversation.agentIds.forEach(metadata.putArray("agent_ids")::add);
        conversation.taskIds.forEach(metadata.putArray("task_ids")::add);
        metadata.put("task_status", conversation.taskStatuses.stream().findFirst().orElse(null));
        metadata.set("feedback", Feedback.values(conversation.feedback, redaction));
        metadata.put("first_occurred_at", RowEncoder.instant(conversation.firstOccurredAt));
        metadata.put("last_occurred_at", RowEncoder.instant(conversation.lastOccurredAt));
        metadata.put("split", split.id());
        return metadata;
    }
}
