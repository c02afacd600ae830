package ai.trainingstore.dataset;

import ai.trainingstore.dataset.Conversation.Message;
import ai.trainingstore.dataset.Conversation.ToolCall;
import ai.trainingstore.dataset.ConversationRequest.Format;
import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.export.RowEncoder;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * One conversation as a training line: exactly OpenAI's chat fine-tuning shape
 * ({@code {"messages": [...], "tools": [...]}}, arguments as JSON text), or the shape Hugging Face
 * chat templates and TRL take (arguments as objects, tool results named after the function).
 * Nothing else is written unless {@code metadata=true}.
 */
final class ChatLine {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ChatLine() {
    }

    static ObjectNode of(Conversation conversation, Format format, boolean metadata, Split split) {
        ObjectNode line = JSON.objectNode();
        ArrayNode messages = line.putArray("messages");
        Map<String, String> calledFunctions = new HashMap<>();
        for (Message message : conversation.messages) {
            messages.add(message(message, format, calledFunctions));
        }
        if (!conversation.tools.isEmpty()) {
            line.putArray("tools").addAll(conversation.tools);
        }
        if (metadata) {
            line.set("metadata", metadata(conversation, split));
        }
        return line;
    }

    private static ObjectNode message(Message message, Format format, Map<String, String> calledFunctions) {
        ObjectNode node = JSON.objectNode().put("role", message.role());
        boolean onlyCalls = message.callsTools() && message.content().isEmpty();
        if (onlyCalls) {
            node.putNull("content");
        } else {
            node.put("content", message.content());
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
                    function.put("arguments", call.argumentsText());
                } else {
                    function.set("arguments", call.arguments());
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

    private static ObjectNode metadata(Conversation conversation, Split split) {
        ObjectNode metadata = JSON.objectNode().put("conversation_id", conversation.id);
        conversation.agentIds.forEach(metadata.putArray("agent_ids")::add);
        conversation.taskIds.forEach(metadata.putArray("task_ids")::add);
        metadata.put("task_status", conversation.taskStatuses.stream().findFirst().orElse(null));
        metadata.set("feedback", Feedback.values(conversation.feedback));
        metadata.put("first_occurred_at", RowEncoder.instant(conversation.firstOccurredAt));
        metadata.put("last_occurred_at", RowEncoder.instant(conversation.lastOccurredAt));
        metadata.put("split", split.id());
        return metadata;
    }
}
