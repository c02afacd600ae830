package ai.trainingstore.dataset;

import ai.trainingstore.record.EntryParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.vertx.mutiny.sqlclient.Row;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One stored message as the conversations query returns it, with what assembly needs from the
 * other tables: the status of its task, the tool executions its calls name, the feedback on its
 * conversation and on its task ({@code {name: {"value", "label"}}}, newest last).
 */
record MessageRow(
        String conversationId,
        String messageId,
        String role,
        String content,
        String name,
        JsonNode toolCalls,
        String toolCallId,
        JsonNode tools,
        String agentId,
        String taskId,
        Instant occurredAt,
        String taskStatus,
        JsonNode executions,
        JsonNode conversationFeedback,
        JsonNode taskFeedback) {

    static MessageRow of(Row row) {
        return new MessageRow(
                row.getString("conversation_id"),
                row.getString("message_id"),
                row.getString("role"),
                row.getString("content"),
                row.getString("name"),
                json(row.getString("tool_calls")),
                row.getString("tool_call_id"),
                json(row.getString("tools")),
                row.getString("agent_id"),
                row.getString("task_id"),
                row.getOffsetDateTime("occurred_at").toInstant(),
                row.getString("task_status"),
                json(row.getString("executions")),
                json(row.getString("conversation_feedback")),
                json(row.getString("task_feedback")));
    }

    /** JSON text from PostgreSQL as a tree; SQL NULL as JSON null. */
    static JsonNode json(String text) {
        if (text == null) {
            return NullNode.getInstance();
        }
        try {
            return EntryParser.JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL returned JSON that does not parse", e);
        }
    }
}
