package ai.trainingstore.dataset;

import ai.trainingstore.dataset.Trajectory.Execution;
import ai.trainingstore.dataset.Trajectory.Message;
import ai.trainingstore.dataset.Trajectory.Task;
import ai.trainingstore.export.ExportMetrics;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The trajectories dataset: tasks stream from a cursor; the filters decided on the task (scores,
 * split, limit) are applied as they pass; then a few tasks at a time get their messages and tool
 * executions with one query each and are written as ATIF lines. Backpressure runs end to end: the
 * next tasks are read only when the client has taken the previous chunk, so memory holds a few
 * tasks and one chunk whatever the size. Streams hold one of the export slots, like row exports.
 */
@ApplicationScoped
public class TrajectoryDatasets {

    /** Tasks whose messages and executions are read together: one round trip per table per group. */
    private static final int TASKS_PER_LOOKUP = 50;

    private final ExportService exports;
    private final Pool pool;
    private final RedactionPolicy redaction;

    public TrajectoryDatasets(ExportService exports, Pool pool, RedactionPolicy redaction) {
        this.exports = exports;
        this.pool = pool;
        this.redaction = redaction;
    }

    /** The ATIF lines of the dataset. */
    public Multi<Buffer> export(TrajectoryRequest request) {
        TrajectoryQuery query = TrajectoryQuery.of(request);
        Redaction redact = redaction.effective(request.redact());
        return exports.inSlot(ExportMetrics.TRAJECTORIES, () -> {
            Multi<byte[]> lines = Multi.createFrom().deferred(() -> {
                RowEncoder taskEncoder = RowEncoder.jsonl(TrajectoryQuery.TASK_COLUMNS, redact);
                // Redacting the task rows is CPU work: then each row is handed to a worker thread.
                return ExportService.onWorkerWhen(!redact.isNone(), exports.rows(query.sql(), query.parameters()))
                        .map(row -> Task.of(row, taskEncoder))
                        .select().where(task -> DatasetParameters.withinScores(task::score, request.minScores(),
                                request.maxScores()))
                        .select().where(task -> request.split()
                                .map(split -> split == request.splitRule().of(task.id())).orElse(true))
                        .select().first(request.limit().orElse(Long.MAX_VALUE))
                        .group().intoLists().of(TASKS_PER_LOOKUP)
                        .onItem().transformToUniAndConcatenate(tasks -> lines(tasks, redact))
                        .invoke(chunk -> exports.written(ExportMetrics.TRAJECTORIES, chunk.size()))
                        .map(JsonLines::joined);
            });
            return ExportService.bytes(lines, request.gzip(), "trajectories dataset");
        });
    }

    /** The lines of some tasks, in their order. */
    private Uni<List<byte[]>> lines(List<Task> tasks, Redaction redact) {
        String[] taskIds = tasks.stream().map(Task::id).toArray(String[]::new);
        return pool.preparedQuery(TrajectoryQuery.MESSAGES_OF_TASKS).execute(Tuple.tuple().addArrayOfString(taskIds))
                .chain(messageRows -> {
                    Map<String, List<Message>> messages = new LinkedHashMap<>();
                    Set<String> callIds = new LinkedHashSet<>();
                    for (Row row : messageRows) {
                        Message message = Message.of(row);
                        messages.computeIfAbsent(message.taskId(), id -> new ArrayList<>()).add(message);
                        message.toolCalls().stream().filter(call -> call.id() != null)
                                .forEach(call -> callIds.add(call.id()));
                    }
                    return pool.preparedQuery(TrajectoryQuery.EXECUTIONS_OF_TASKS)
                            .execute(Tuple.tuple().addArrayOfString(taskIds).addArrayOfString(callIds.toArray(String[]::new)))
                            // Assembly and redaction are CPU work: on a worker thread, off the event loop.
                            .emitOn(Infrastructure.getDefaultWorkerPool())
                            .map(executionRows -> lines(tasks, messages, executionRows, redact));
                });
    }

    private static List<byte[]> lines(List<Task> tasks, Map<String, List<Message>> messages, RowSet<Row> executionRows,
                                      Redaction redact) {
        List<Execution> executions = new ArrayList<>();
        executionRows.forEach(row -> executions.add(Execution.of(row)));
        List<byte[]> lines = new ArrayList<>(tasks.size());
        for (Task task : tasks) {
            List<Message> own = messages.getOrDefault(task.id(), List.of());
            Set<String> named = new LinkedHashSet<>();
            own.forEach(message -> message.toolCalls().forEach(call -> named.add(call.id())));
            List<Execution> relevant = executions.stream()
                    .filter(execution -> task.id().equals(execution.taskId()) || named.contains(execution.id()))
                    .toList();
            lines.add(JsonLines.line(Trajectory.of(task, own, relevant, redact)));
        }
        return lines;
    }
}
