package ai.trainingstore.kind;

import static ai.trainingstore.kind.Column.integer;
import static ai.trainingstore.kind.Column.json;
import static ai.trainingstore.kind.Column.jsonArray;
import static ai.trainingstore.kind.Column.number;
import static ai.trainingstore.kind.Column.required;
import static ai.trainingstore.kind.Column.requiredMayBeEmpty;
import static ai.trainingstore.kind.Column.text;

import ai.trainingstore.kind.Column.Role;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The six kinds of training record (contract section 1), and the one place that knows a kind's
 * table: its complete, ordered column list (named fields, the columns every table shares, the merge
 * state of merged kinds), its identity and its rules. Decoding, validation, the batch statement and
 * its binder, exports and stats all iterate these lists, so adding a field is a one-line change
 * here plus a migration.
 *
 * <p>The named fields of a merged kind are slots of {@code field_versions}, by position: a new
 * field is appended, never inserted or moved ({@code FieldSlotsTest} holds every slot in place).
 * {@code occurred_at} is not a named field: every kind has it and it is decoded on its own.
 */
public enum RecordKind {
    EVENTS("events", "training_events", "event_id", WriteRule.INSERT_ONCE, RecordRule.NONE,
            required("event_type"), required("agent_id"), text("event_id"), text("task_id"),
            text("workflow_id"), text("session_id"), json("payload")),

    TASKS("tasks", "training_tasks", "task_id", WriteRule.MERGE, RecordRule.NONE,
            required("task_id"), required("agent_id"), required("status"), text("task_type"),
            text("workflow_id"), json("input"), json("output"), text("error"), json("metadata")),

    TOOL_EXECUTIONS("tool_executions", "training_tool_executions", "execution_id", WriteRule.MERGE, RecordRule.NONE,
            required("execution_id"), required("agent_id"), required("tool_name"), text("task_id"),
            text("workflow_id"), text("status"), json("input_params"), json("output_result"),
            text("error"), integer("duration_ms")),

    WORKFLOWS("workflows", "training_workflows", "workflow_id", WriteRule.MERGE, RecordRule.NONE,
            required("workflow_id"), required("workflow_type"), required("phase"),
            jsonArray("agent_ids"), json("state"), json("metadata")),

    MESSAGES("messages", "training_messages", "message_id", WriteRule.INSERT_ONCE, new MessageRule(),
            required("conversation_id"), required("role"), requiredMayBeEmpty("content"), text("message_id"),
            text("agent_id"), text("task_id"), text("name"), jsonArray("tool_calls"),
            text("tool_call_id"), integer("seq"), jsonArray("tools")),

    FEEDBACK("feedback", "training_feedback", "feedback_id", WriteRule.MERGE, new FeedbackRule(),
            required("target_kind"), required("target_id"), required("name"), number("value"), text("label"),
            text("comment"), text("source"), text("agent_id"), text("feedback_id"),
            // What the scored assistant message should have been (contract 6.3 checks its shape, not ingest).
            json("correction"));

    public static final String SCHEMA = "training_data";

    /** Feedback sent without its id: {@code <target_kind>/<target_id>/<name>/<source>}. */
    private static final List<String> FEEDBACK_IDENTITY = List.of("target_kind", "target_id", "name", "source");

    private final String id;
    private final String table;
    private final String identity;
    private final WriteRule writeRule;
    private final RecordRule rule;
    private final List<Column> fields;
    private final List<Column> columns;

    RecordKind(String id, String table, String identity, WriteRule writeRule, RecordRule rule, Column... fields) {
        this.id = id;
        this.table = table;
        this.identity = identity;
        this.writeRule = writeRule;
        this.rule = rule;
        this.fields = List.of(fields);
        List<Column> all = new ArrayList<>(this.fields);
        all.add(Column.shared("attributes", ColumnType.JSON, Role.ATTRIBUTES));
        all.add(Column.shared("occurred_at", ColumnType.TIMESTAMP, Role.OCCURRED_AT));
        if (writeRule == WriteRule.MERGE) {
            all.add(Column.shared("first_occurred_at", ColumnType.TIMESTAMP, Role.FIRST_OCCURRED_AT));
        }
        all.add(Column.shared("ingested_at", ColumnType.TIMESTAMP, Role.INGESTED_AT));
        all.add(Column.shared("stream_entry_id", ColumnType.TEXT, Role.STREAM_ENTRY_ID));
        if (writeRule == WriteRule.MERGE) {
            all.add(Column.shared("version", ColumnType.TEXT, Role.VERSION));
            all.add(Column.shared("field_versions", ColumnType.VERSIONS, Role.FIELD_VERSIONS));
            all.add(Column.shared("attribute_versions", ColumnType.JSON, Role.ATTRIBUTE_VERSIONS));
        }
        this.columns = List.copyOf(all);
    }

    /** The name used in URLs and metrics, e.g. {@code tool_executions}. */
    public String id() {
        return id;
    }

    public String table() {
        return table;
    }

    public String qualifiedTable() {
        return SCHEMA + "." + table;
    }

    /** The column that identifies a record: its primary key. */
    public String identity() {
        return identity;
    }

    public WriteRule writeRule() {
        return writeRule;
    }

    public boolean merges() {
        return writeRule == WriteRule.MERGE;
    }

    /** The named fields, in slot order, without {@code occurred_at}. */
    public List<Column> fields() {
        return fields;
    }

    /** Every column of the table, in order. */
    public List<Column> columns() {
        return columns;
    }

    /** The columns the batch statement writes, in its parameter order. */
    public List<Column> writtenColumns() {
        return columns.stream().filter(column -> column.role().written()).toList();
    }

    /** The columns row exports carry, in their order (never the merge state). */
    public List<Column> exportedColumns() {
        return columns.stream().filter(column -> column.role().exported()).toList();
    }

    /** The text fields an export may filter on. */
    public List<Column> filterableColumns() {
        return fields.stream().filter(Column::isFilterable).toList();
    }

    public int indexOf(String fieldName) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(fieldName)) {
                return i;
            }
        }
        return -1;
    }

    /** The kind's own rule, checked after types and required fields. */
    public RecordRule rule() {
        return rule;
    }

    /**
     * The identity of a record sent without one, or empty when the kind requires it: events and
     * messages take {@code <stream key>/<entry id>}, feedback {@code <target_kind>/<target_id>/<name>/<source>}
     * (an absent source as empty text).
     */
    public Optional<String> defaultIdentity(String streamKey, String entryId, RecordRule.Values record) {
        return switch (this) {
            case EVENTS, MESSAGES -> Optional.of(entryIdentity(streamKey, entryId));
            case FEEDBACK -> Optional.of(String.join("/", FEEDBACK_IDENTITY.stream()
                    .map(field -> record.get(field) == null ? "" : (String) record.get(field)).toList()));
            default -> Optional.empty();
        };
    }

    /** Whether a record without its id is named after its stream entry (so a replay must keep that name). */
    public boolean identityDefaultsToEntry() {
        return this == EVENTS || this == MESSAGES;
    }

    public static String entryIdentity(String streamKey, String entryId) {
        return streamKey + "/" + entryId;
    }

    public static Optional<RecordKind> byId(String id) {
        return Arrays.stream(values()).filter(kind -> kind.id.equals(id)).findFirst();
    }

    public enum WriteRule {
        /** The first record stored with an identity wins; later ones are ignored. */
        INSERT_ONCE,
        /** Each field takes the value of the newest record that carries it (contract section 1). */
        MERGE
    }
}
