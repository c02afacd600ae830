package ai.trainingstore.dataset;

import ai.trainingstore.export.BoundedQuery;
import ai.trainingstore.export.ByteSizes;
import ai.trainingstore.kind.Column;
import java.util.Set;

import ai.trainingstore.kind.RecordKind;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The one query of the conversations dataset: messages in conversation order (bytewise, then
 * {@code seq} with messages without one last, {@code occurred_at}, {@code message_id}) straight
 * from the index {@code training_messages_conversation_order}, each with its task's status, the
 * tool executions its calls name, and the feedback on its conversation and task. Rows arrive
 * grouped by conversation, so each line is written as soon as its conversation ends.
 */
final class ConversationQuery {

    private static final String MESSAGES = RecordKind.MESSAGES.qualifiedTable();
    private static final String TASKS = RecordKind.TASKS.qualifiedTable();
    private static final String EXECUTIONS = RecordKind.TOOL_EXECUTIONS.qualifiedTable();
    private static final String FEEDBACK = RecordKind.FEEDBACK.qualifiedTable();
    /** The message columns a row carries (the sizes query measures them). */
    private static final List<Column> MESSAGE_COLUMNS = RecordKind.MESSAGES.columns().stream()
            .filter(column -> Set.of("conversation_id", "message_id", "role", "content", "name", "tool_calls",
                    "tool_call_id", "tools", "agent_id", "task_id").contains(column.name()))
            .toList();

    private static final String ORDER = "m.conversation_id COLLATE \"C\", m.seq, m.occurred_at, m.message_id";
    /**
     * The first row of its conversation, and the first of a task within it (window {@code w}, in the
     * query's own order): the feedback is looked up there only, once per conversation and task rather
     * than once per message (assembly takes the conversation's from its first row and merges the
     * tasks'; three times faster over a store of 5-message conversations).
     */
    private static final String FIRST_OF_CONVERSATION = "lag(m.conversation_id) OVER w IS DISTINCT FROM m.conversation_id";
    private static final String NEW_TASK = "m.task_id IS NOT NULL AND (" + FIRST_OF_CONVERSATION
            + " OR lag(m.task_id) OVER w IS DISTINCT FROM m.task_id)";

    private ConversationQuery() {
    }

    /**
     * The rows, and the sizes query beside them: each message's stored bytes with those of the
     * executions and feedback its row carries, and its conversation id as the group key.
     */
    static BoundedQuery of(ConversationRequest request) {
        return of(request, false);
    }

    /** As {@link #of(ConversationRequest)}; {@code withFeedback} looks the feedback up whatever the request asks (scores). */
    static BoundedQuery of(ConversationRequest request, boolean withFeedback) {
        List<String> conditions = new ArrayList<>();
        Tuple parameters = Tuple.tuple();
        // With dedup the rows before the cursor are read too (not emitted): a line after it is judged
        // against them as in the whole answer (ConversationDatasets#emitted).
        request.after().filter(after -> request.dedup().isNone()).ifPresent(after -> {
            parameters.addString(after);
            conditions.add("m.conversation_id COLLATE \"C\" > $" + parameters.size());
        });
        if (!request.conversationIds().isEmpty()) {
            parameters.addArrayOfString(request.conversationIds().toArray(String[]::new));
            conditions.add("m.conversation_id = ANY($" + parameters.size() + "::text[])");
        }
        // Task status and feedback are looked up only when the request uses them (metadata, the
        // task_status filter, score filters): the feedback lookups run for every row and are most
        // of the query's time otherwise.
        boolean taskStatus = request.metadata() || !request.taskStatuses().isEmpty();
        boolean feedback = withFeedback || request.metadata() || !request.minScores().isEmpty() || !request.maxScores().isEmpty();
        String executions = " FROM " + EXECUTIONS + " e"
                + " WHERE e.execution_id IN (SELECT c ->> 'id' FROM jsonb_array_elements(m.tool_calls) AS c)"
                + " AND (e.output_result IS NOT NULL OR e.error IS NOT NULL)"
                // Rule 2: one agent's tool output never lands in another's data.
                + " AND (e.agent_id IS NULL OR m.agent_id IS NULL OR e.agent_id = m.agent_id)";
        String callsTools = "m.role = 'assistant' AND jsonb_typeof(m.tool_calls) = 'array'";
        String rows = "SELECT m.conversation_id, m.message_id, m.role, m.content, m.name, m.tool_calls::text AS tool_calls,"
                + " m.tool_call_id, m.tools::text AS tools, m.agent_id, m.task_id, m.occurred_at,"
                + (taskStatus ? " t.status AS task_status," : " NULL::text AS task_status,")
                + " CASE WHEN " + callsTools + " THEN (SELECT jsonb_object_agg(e.execution_id,"
                + " jsonb_build_object('output_result', e.output_result, 'error', e.error))::text" + executions
                + ") END AS executions,"
                + (feedback ? " CASE WHEN " + FIRST_OF_CONVERSATION + " THEN " + feedback("'conversation'", "m.conversation_id")
                        + " END AS conversation_feedback,"
                        + " CASE WHEN " + NEW_TASK + " THEN " + feedback("'task'", "m.task_id") + " END AS task_feedback"
                        : " NULL::text AS conversation_feedback, NULL::text AS task_feedback")
                + " FROM " + MESSAGES + " m" + (taskStatus ? " LEFT JOIN " + TASKS + " t ON t.task_id = m.task_id" : "");
        // The task join matches one row at most (task_id is the key), so the sizes need not join it.
        String sizes = "SELECT (" + ByteSizes.row(MESSAGE_COLUMNS, "m")
                + " + coalesce(CASE WHEN " + callsTools + " THEN (SELECT sum(" + ByteSizes.jsonb("e.output_result")
                + " + " + ByteSizes.text("e.error") + " + " + ByteSizes.text("e.execution_id") + " + 64)" + executions
                + ") END, 0)"
                + (feedback ? " + CASE WHEN " + FIRST_OF_CONVERSATION + " THEN "
                        + feedbackBytes("'conversation'", "m.conversation_id") + " ELSE 0 END"
                        + " + CASE WHEN " + NEW_TASK + " THEN " + feedbackBytes("'task'", "m.task_id") + " ELSE 0 END"
                        : "")
                + ")::int8, m.conversation_id FROM " + MESSAGES + " m";
        String where = (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + (feedback ? " WINDOW w AS (ORDER BY " + ORDER + ")" : "") + " ORDER BY " + ORDER;
        return new BoundedQuery(rows + where, sizes + where, parameters);
    }

    private static String feedback(String targetKind, String targetId) {
        return Feedback.lookup(FEEDBACK, targetKind, targetId);
    }

    private static String feedbackBytes(String targetKind, String targetId) {
        return Feedback.lookupBytes(FEEDBACK, targetKind, targetId);
    }
}
