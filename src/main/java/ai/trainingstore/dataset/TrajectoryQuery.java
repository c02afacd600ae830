package ai.trainingstore.dataset;

import ai.trainingstore.export.BoundedQuery;
import ai.trainingstore.export.ByteSizes;

import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The queries of the trajectories dataset. Tasks stream from a cursor in {@code task_id} order
 * (bytewise, from the index {@code training_tasks_task_order}), each row with every exported
 * column and the task's feedback. The messages and tool executions of a few tasks at a time are
 * then read with one query each, so memory holds those tasks and nothing more.
 */
final class TrajectoryQuery {

    static final List<Column> TASK_COLUMNS = RecordKind.TASKS.exportedColumns();

    private static final String TASKS = RecordKind.TASKS.qualifiedTable();
    private static final String MESSAGES = RecordKind.MESSAGES.qualifiedTable();
    private static final String EXECUTIONS = RecordKind.TOOL_EXECUTIONS.qualifiedTable();
    private static final String FEEDBACK = RecordKind.FEEDBACK.qualifiedTable();

    /** The messages of some tasks ($1), each task's in the order of contract section 6.1. */
    static final String MESSAGES_OF_TASKS = "SELECT m.task_id, m.message_id, m.role, m.content, m.name,"
            + " m.tool_calls::text AS tool_calls, m.tool_call_id, m.agent_id, m.occurred_at FROM " + MESSAGES + " m"
            + " WHERE m.task_id = ANY($1::text[]) ORDER BY m.task_id, m.seq, m.occurred_at, m.message_id";

    /** The tool executions of some tasks ($1) and those the calls of their messages name ($2). */
    static final String EXECUTIONS_OF_TASKS = "SELECT e.execution_id, e.task_id, e.tool_name,"
            + " e.input_params::text AS input_params, e.output_result::text AS output_result, e.error, e.agent_id, e.occurred_at"
            + " FROM " + EXECUTIONS + " e WHERE e.task_id = ANY($1::text[]) OR e.execution_id = ANY($2::text[])"
            + " ORDER BY e.occurred_at, e.execution_id";

    /** Per task of $1: the stored bytes of its messages as {@link #MESSAGES_OF_TASKS} reads them. */
    static final String MESSAGE_BYTES_OF_TASKS = "SELECT m.task_id, sum(" + ByteSizes.row(
            columns(RecordKind.MESSAGES, "task_id", "message_id", "role", "content", "name", "tool_calls", "tool_call_id",
                    "agent_id"), "m") + ")::int8 FROM " + MESSAGES + " m WHERE m.task_id = ANY($1::text[]) GROUP BY m.task_id";

    private static final String EXECUTION_BYTES = ByteSizes.row(columns(RecordKind.TOOL_EXECUTIONS, "execution_id",
            "task_id", "tool_name", "input_params", "output_result", "error", "agent_id"), "e");

    /** Per task of $1: the stored bytes of its own tool executions. */
    static final String EXECUTION_BYTES_OF_TASKS = "SELECT e.task_id, sum(" + EXECUTION_BYTES + ")::int8 FROM "
            + EXECUTIONS + " e WHERE e.task_id = ANY($1::text[]) GROUP BY e.task_id";

    /** The bytes of each execution of $2 (named by calls) that is not one of the tasks' of $1. */
    static final String NAMED_EXECUTION_BYTES = "SELECT e.execution_id, " + EXECUTION_BYTES + " FROM " + EXECUTIONS
            + " e WHERE e.execution_id = ANY($2::text[]) AND (e.task_id IS NULL OR NOT e.task_id = ANY($1::text[]))";

    private TrajectoryQuery() {
    }

    private static List<Column> columns(RecordKind kind, String... names) {
        List<String> wanted = List.of(names);
        return kind.columns().stream().filter(column -> wanted.contains(column.name())).toList();
    }

    /** The tasks of a request; the exported columns come first, in order, then {@code feedback}. */
    static BoundedQuery of(TrajectoryRequest request) {
        List<String> conditions = new ArrayList<>();
        Tuple parameters = Tuple.tuple();
        request.after().ifPresent(after -> {
            parameters.addString(after);
            conditions.add("t.task_id COLLATE \"C\" > $" + parameters.size());
        });
        request.from().ifPresent(from -> {
            parameters.addOffsetDateTime(from.atOffset(ZoneOffset.UTC));
            conditions.add("t.first_occurred_at >= $" + parameters.size());
        });
        request.to().ifPresent(to -> {
            parameters.addOffsetDateTime(to.atOffset(ZoneOffset.UTC));
            conditions.add("t.first_occurred_at < $" + parameters.size());
        });
        for (Map.Entry<String, List<String>> filter : request.taskFilters().entrySet()) {
            parameters.addArrayOfString(filter.getValue().toArray(String[]::new));
            // The column name is one of TrajectoryRequest.TASK_FILTERS, never text from the request.
            conditions.add("t." + filter.getKey() + " = ANY($" + parameters.size() + "::text[])");
        }
        StringBuilder sql = new StringBuilder(" FROM ").append(TASKS).append(" t");
        if (!conditions.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conditions));
        }
        sql.append(" ORDER BY t.task_id COLLATE \"C\"");
        // Scores and the split are decided on each task as it streams; without them the limit is the database's.
        boolean decidedInSql = request.minScores().isEmpty() && request.maxScores().isEmpty() && request.split().isEmpty();
        if (decidedInSql) {
            request.limit().ifPresent(limit -> {
                parameters.addLong(limit);
                sql.append(" LIMIT $").append(parameters.size());
            });
        }
        return new BoundedQuery("SELECT " + RowEncoder.selectList(TASK_COLUMNS, "t") + ", "
                + Feedback.lookup(FEEDBACK, "'task'", "t.task_id") + " AS feedback" + sql,
                "SELECT " + ByteSizes.row(TASK_COLUMNS, "t") + " + " + Feedback.lookupBytes(FEEDBACK, "'task'", "t.task_id")
                        + sql, parameters);
    }
}
