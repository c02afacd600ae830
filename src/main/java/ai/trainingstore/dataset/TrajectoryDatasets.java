package ai.trainingstore.dataset;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.dataset.Trajectory.Execution;
import ai.trainingstore.dataset.Trajectory.Message;
import ai.trainingstore.dataset.Trajectory.Task;
import ai.trainingstore.export.ExportMetrics;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The trajectories dataset: tasks stream from a cursor in chunks bounded by bytes; the filters
 * decided on the task (scores, split, limit) are applied as they pass; then the stored bytes of
 * each task's messages and tool executions are asked first, a task over memory.assembly-bytes is
 * left out (too_large), and the others get their messages and executions a few tasks at a time
 * (within memory.fetch-bytes) and are written as ATIF lines. Backpressure runs end to end, so
 * memory holds a chunk of tasks and one group of them whatever the size. Streams hold one of the
 * export slots, like row exports.
 */
@ApplicationScoped
public class TrajectoryDatasets implements VersionedDataset {

    private static final Logger LOG = Logger.getLogger(TrajectoryDatasets.class);
    /** Most tasks whose messages and executions are read together: one round trip per table per group. */
    private static final int TASKS_PER_LOOKUP = 50;
    /** Groups of tasks whose rows are read while the one before is assembled. */
    private static final int GROUPS_READ_AHEAD = 2;
    /** What a task row's own size is counted with (its line is built from the row). */
    private static final int TASK_OVERHEAD = 256;
    /** Why a task is left out (the summary's skipped keys). */
    private static final String TOO_LARGE = "too_large";
    private static final String BAD_RECORD = "bad_record";

    private final ExportService exports;
    private final ExportMetrics metrics;
    private final RedactionPolicy redaction;
    private final StoreConfig.Memory memory;

    public TrajectoryDatasets(ExportService exports, ExportMetrics metrics, RedactionPolicy redaction,
                              StoreConfig config) {
        this.exports = exports;
        this.metrics = metrics;
        this.redaction = redaction;
        this.memory = config.memory();
    }

    /** A task that passed the filters, with the stored bytes of everything its line is built from. */
    private static final class Sized {
        final Task task;
        long bytes;

        Sized(Task task) {
            this.task = task;
            this.bytes = task.rowJson().length() + TASK_OVERHEAD;
        }
    }

    /** The ATIF lines of the dataset. */
    public Multi<Buffer> export(TrajectoryRequest request) {
        Redaction redact = redaction.effective(request.redact());
        return exports.inSlot(ExportMetrics.TRAJECTORIES, () -> ExportService.bytes(
                lineGroups(request, redact, leftOut(false)).map(JsonLines::joined), request.gzip(),
                "trajectories dataset"));
    }

    /**
     * What {@link #export} would emit, counted: the same filters, split and limit; {@code explain}
     * adds which tasks were left out and why (left_out).
     */
    public Uni<TrajectorySummary> summary(TrajectoryRequest request, boolean explain) {
        Redaction redact = redaction.effective(request.redact());
        return Uni.createFrom().deferred(() -> {
            LeftOut leftOut = leftOut(explain);
            AtomicLong lines = new AtomicLong();
            return exports.inSlot(ExportMetrics.TRAJECTORIES, () -> lineGroups(request, redact, leftOut)
                            .map(group -> lines.addAndGet(group.size())))
                    .onItem().ignoreAsUni()
                    .map(ignored -> new TrajectorySummary(lines.get(), leftOut.counts(), leftOut.examples()));
        });
    }

    private static LeftOut leftOut(boolean explain) {
        return new LeftOut(List.of(TOO_LARGE, BAD_RECORD), explain);
    }

    @Override
    public String name() {
        return "trajectories";
    }

    /**
     * The export's bytes, from one snapshot (the lookups share the cursor's transaction), and a
     * summary of them: {@code {"lines": n}} (the dataset has no summary endpoint of its own yet).
     */
    @Override
    public Build prepare(Map<String, List<String>> parameters) {
        TrajectoryRequest request = TrajectoryRequest.parse(parameters, null);
        AtomicLong lines = new AtomicLong();
        Multi<byte[]> bytes = lineGroups(request, redaction.effective(request.redact()), leftOut(false))
                .invoke(group -> lines.addAndGet(group.size()))
                .map(JsonLines::joined);
        return new Build(bytes, () -> Map.of("lines", lines.get()));
    }

    /**
     * The lines in groups, in task order. The messages and executions of the tasks are looked up
     * in the cursor's own read-only transaction, so every line comes from one snapshot.
     */
    private Multi<List<byte[]>> lineGroups(TrajectoryRequest request, Redaction redact, LeftOut leftOut) {
        return Multi.createFrom().deferred(() -> {
            RowEncoder taskEncoder = RowEncoder.jsonl(TrajectoryQuery.TASK_COLUMNS, redact);
            AtomicLong wanted = new AtomicLong(request.limit().orElse(Long.MAX_VALUE));
            // Redacting the task rows is CPU work: then each chunk is handed to a worker thread.
            return exports.chunks(TrajectoryQuery.of(request), (chunks, snapshot) ->
                    ExportService.onWorkerWhen(!redact.isNone(), chunks)
                            // Stops once the limit is reached: the chunk after it is the last one read.
                            .select().first(chunk -> wanted.get() > 0)
                            .map(chunk -> selected(request, chunk, taskEncoder, wanted))
                            .onItem().transformToMultiAndConcatenate(tasks -> lines(tasks, redact, snapshot, leftOut))
                            .select().where(group -> !group.isEmpty())
                            .invoke(group -> exports.written(ExportMetrics.TRAJECTORIES, group.size())));
        });
    }

    /** The tasks of a chunk that pass the filters decided on the task, up to the limit. */
    private static List<Task> selected(TrajectoryRequest request, List<Row> chunk, RowEncoder encoder, AtomicLong wanted) {
        List<Task> tasks = new ArrayList<>();
        for (Row row : chunk) {
            if (wanted.get() <= 0) {
                break;
            }
            Task task = Task.of(row, encoder);
            boolean within = DatasetParameters.withinScores(task::score, request.minScores(), request.maxScores())
                    && request.split().map(split -> split == request.splitRule().of(task.id())).orElse(true);
            if (within) {
                tasks.add(task);
                wanted.decrementAndGet();
            }
        }
        return tasks;
    }

    /**
     * The lines of a chunk of tasks, in their order, a group of lines at a time: sizes first, then
     * the tasks that fit, read a group at a time as the client takes the lines.
     */
    private Multi<List<byte[]>> lines(List<Task> tasks, Redaction redact, SqlClient snapshot, LeftOut leftOut) {
        if (tasks.isEmpty()) {
            return Multi.createFrom().empty();
        }
        Map<String, Sized> byId = new LinkedHashMap<>();
        tasks.forEach(task -> byId.put(task.id(), new Sized(task)));
        Tuple ids = Tuple.tuple().addArrayOfString(byId.keySet().toArray(String[]::new));
        return addBytes(snapshot, TrajectoryQuery.MESSAGE_BYTES_OF_TASKS, ids, byId)
                .chain(() -> addBytes(snapshot, TrajectoryQuery.EXECUTION_BYTES_OF_TASKS, ids, byId))
                .onItem().transformToMulti(ignored -> Multi.createFrom().iterable(groups(withinBudget(byId.values(), leftOut)))
                        .onItem().transformToUniAndConcatenate(group -> groupRows(group, snapshot, leftOut))
                        // Assembly and redaction are CPU work: on a worker thread, off the event loop,
                        // with the next groups' rows read meanwhile (bounded: memory holds those
                        // groups, each within memory.fetch-bytes), so PostgreSQL and assembly overlap.
                        .emitOn(Infrastructure.getDefaultWorkerPool(), GROUPS_READ_AHEAD)
                        .map(rows -> rows.lines(redact, leftOut)));
    }

    /** A group's rows as read: its tasks still in, their messages, and the executions they need. */
    private final class GroupRows {
        final List<Sized> kept;
        final Map<String, List<Message>> messages;
        final RowSet<Row> executionRows;
        /** The group's tasks left out while reading, counted when it is assembled. */
        final List<Runnable> leftOut;

        GroupRows(List<Sized> kept, Map<String, List<Message>> messages, RowSet<Row> executionRows, List<Runnable> leftOut) {
            this.kept = kept;
            this.messages = messages;
            this.executionRows = executionRows;
            this.leftOut = leftOut;
        }

        List<byte[]> lines(Redaction redact, LeftOut leftOut) {
            this.leftOut.forEach(Runnable::run);
            return kept.isEmpty() ? List.of() : TrajectoryDatasets.this.lines(kept, messages, executionRows, redact, leftOut);
        }
    }

    /** Adds to each task the bytes a sizes query answers for it ({@code task_id, bytes}). */
    private Uni<Void> addBytes(SqlClient snapshot, String sql, Tuple ids, Map<String, Sized> byId) {
        return snapshot.preparedQuery(sql).execute(ids).invoke(rows -> rows.forEach(row -> {
            Sized sized = byId.get(row.getString(0));
            if (sized != null) {
                sized.bytes += row.getLong(1);
            }
        })).replaceWithVoid();
    }

    /** The tasks within memory.assembly-bytes; the others are left out as too_large. */
    private List<Sized> withinBudget(Iterable<Sized> tasks, LeftOut leftOut) {
        List<Sized> kept = new ArrayList<>();
        for (Sized sized : tasks) {
            if (sized.bytes > memory.assemblyBytes()) {
                leftOut(leftOut, sized.task, TOO_LARGE, sized.bytes + " stored bytes, over training-store.memory.assembly-bytes ("
                        + memory.assemblyBytes() + ")");
            } else {
                kept.add(sized);
            }
        }
        return kept;
    }

    /** Consecutive tasks whose bytes together stay within memory.fetch-bytes (one larger task alone). */
    private List<List<Sized>> groups(List<Sized> tasks) {
        List<List<Sized>> groups = new ArrayList<>();
        List<Sized> group = new ArrayList<>();
        long bytes = 0;
        for (Sized sized : tasks) {
            if (!group.isEmpty() && (group.size() == TASKS_PER_LOOKUP || bytes + sized.bytes > memory.fetchBytes())) {
                groups.add(group);
                group = new ArrayList<>();
                bytes = 0;
            }
            group.add(sized);
            bytes += sized.bytes;
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    /**
     * One group's rows: its messages, then the bytes of the executions their calls name in other
     * tasks (a task that those make too large is left out), then the executions.
     */
    private Uni<GroupRows> groupRows(List<Sized> group, SqlClient snapshot, LeftOut leftOut) {
        String[] taskIds = group.stream().map(sized -> sized.task.id()).toArray(String[]::new);
        return snapshot.preparedQuery(TrajectoryQuery.MESSAGES_OF_TASKS).execute(Tuple.tuple().addArrayOfString(taskIds))
                .chain(messageRows -> {
                    Map<String, List<Message>> messages = new LinkedHashMap<>();
                    Map<String, Set<String>> callsOfTask = new HashMap<>();
                    Map<String, String> failed = new HashMap<>();
                    for (Row row : messageRows) {
                        String taskId = row.getString("task_id");
                        try {
                            Message message = Message.of(row);
                            messages.computeIfAbsent(taskId, id -> new ArrayList<>()).add(message);
                            message.toolCalls().stream().filter(call -> call.id() != null).forEach(call ->
                                    callsOfTask.computeIfAbsent(taskId, id -> new LinkedHashSet<>()).add(call.id()));
                        } catch (RuntimeException e) {
                            failed.putIfAbsent(taskId, "stored message '" + row.getString("message_id")
                                    + "' could not be read: " + e.getMessage());
                            LOG.debugf(e, "Task %s: message unreadable", LogText.safe(taskId));
                        }
                    }
                    Set<String> callIds = new LinkedHashSet<>();
                    callsOfTask.values().forEach(callIds::addAll);
                    Tuple named = Tuple.tuple().addArrayOfString(taskIds).addArrayOfString(callIds.toArray(String[]::new));
                    return snapshot.preparedQuery(TrajectoryQuery.NAMED_EXECUTION_BYTES).execute(named).chain(sizes -> {
                        Map<String, Long> namedBytes = new HashMap<>();
                        sizes.forEach(row -> namedBytes.put(row.getString(0), row.getLong(1)));
                        List<Sized> kept = new ArrayList<>();
                        // Counted when the group is assembled, so left_out stays in the dataset's order.
                        List<Runnable> leftOutHere = new ArrayList<>();
                        for (Sized sized : group) {
                            long bytes = sized.bytes + callsOfTask.getOrDefault(sized.task.id(), Set.of()).stream()
                                    .mapToLong(id -> namedBytes.getOrDefault(id, 0L)).sum();
                            if (failed.containsKey(sized.task.id())) {
                                leftOutHere.add(() -> leftOut(leftOut, sized.task, BAD_RECORD, failed.get(sized.task.id())));
                            } else if (bytes > memory.assemblyBytes()) {
                                leftOutHere.add(() -> leftOut(leftOut, sized.task, TOO_LARGE, bytes + " stored bytes with the"
                                        + " executions its calls name, over training-store.memory.assembly-bytes ("
                                        + memory.assemblyBytes() + ")"));
                            } else {
                                kept.add(sized);
                            }
                        }
                        if (kept.isEmpty()) {
                            return Uni.createFrom().item(new GroupRows(kept, messages, null, leftOutHere));
                        }
                        String[] keptIds = kept.stream().map(sized -> sized.task.id()).toArray(String[]::new);
                        String[] keptCalls = kept.stream()
                                .flatMap(sized -> callsOfTask.getOrDefault(sized.task.id(), Set.of()).stream())
                                .distinct().toArray(String[]::new);
                        return snapshot.preparedQuery(TrajectoryQuery.EXECUTIONS_OF_TASKS)
                                .execute(Tuple.tuple().addArrayOfString(keptIds).addArrayOfString(keptCalls))
                                .map(executionRows -> new GroupRows(kept, messages, executionRows, leftOutHere));
                    });
                });
    }

    private List<byte[]> lines(List<Sized> tasks, Map<String, List<Message>> messages, RowSet<Row> executionRows,
                               Redaction redact, LeftOut leftOut) {
        List<Execution> executions = new ArrayList<>();
        // An execution that cannot be read costs the lines of the tasks it belongs to or is named by.
        // Keys: an execution id, and "task:" + the task id; values: what could not be read.
        Map<String, String> unreadable = new HashMap<>();
        for (Row row : executionRows) {
            try {
                executions.add(Execution.of(row));
            } catch (RuntimeException e) {
                String detail = "stored tool execution '" + row.getString("execution_id") + "' could not be read: "
                        + e.getMessage();
                unreadable.putIfAbsent(row.getString("execution_id"), detail);
                unreadable.putIfAbsent("task:" + row.getString("task_id"), detail);
            }
        }
        List<byte[]> lines = new ArrayList<>(tasks.size());
        for (Sized sized : tasks) {
            Task task = sized.task;
            List<Message> own = messages.getOrDefault(task.id(), List.of());
            Set<String> named = new LinkedHashSet<>();
            own.forEach(message -> message.toolCalls().forEach(call -> named.add(call.id())));
            List<Execution> relevant = executions.stream()
                    .filter(execution -> task.id().equals(execution.taskId()) || named.contains(execution.id()))
                    .toList();
            try {
                String badExecution = named.stream().map(unreadable::get).filter(java.util.Objects::nonNull).findFirst()
                        .orElse(unreadable.get("task:" + task.id()));
                if (badExecution != null) {
                    throw new IllegalStateException(badExecution);
                }
                lines.add(JsonLines.line(Trajectory.of(task, own, relevant, redact)));
            } catch (RuntimeException e) {
                // One bad stored record costs its own line, never the answer for everyone.
                leftOut(leftOut, task, BAD_RECORD, e.getMessage());
            }
        }
        return lines;
    }

    private void leftOut(LeftOut leftOut, Task task, String reason, String detail) {
        leftOut.add(reason, task.id(), detail);
        metrics.lineLeftOut(ExportMetrics.TRAJECTORIES, reason);
        LOG.warnf("Task %s left out of the trajectories dataset (%s): %s", LogText.safe(task.id()), reason,
                LogText.safe(detail));
    }
}
