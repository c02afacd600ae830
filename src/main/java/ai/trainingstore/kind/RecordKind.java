package ai.trainingstore.kind;

import static ai.trainingstore.kind.Field.integer;
import static ai.trainingstore.kind.Field.json;
import static ai.trainingstore.kind.Field.jsonArray;
import static ai.trainingstore.kind.Field.required;
import static ai.trainingstore.kind.Field.text;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The five kinds of training record (contract section 1). This is the one place that knows a
 * kind's fields: parsing, validation, the write statements and exports are all derived from it,
 * so adding a field is a one-line change here plus a migration.
 *
 * <p>{@code occurred_at} is not listed: every kind has it and it is handled on its own.
 */
public enum RecordKind {
    EVENTS("events", "training_events", "event_id", WriteRule.INSERT_ONCE,
            required("event_type"), required("agent_id"), text("event_id"), text("task_id"),
            text("workflow_id"), text("session_id"), json("payload")),

    TASKS("tasks", "training_tasks", "task_id", WriteRule.MERGE,
            required("task_id"), required("agent_id"), required("status"), text("task_type"),
            text("workflow_id"), json("input"), json("output"), text("error"), json("metadata")),

    TOOL_EXECUTIONS("tool_executions", "training_tool_executions", "execution_id", WriteRule.MERGE,
            required("execution_id"), required("agent_id"), required("tool_name"), text("task_id"),
            text("workflow_id"), text("status"), json("input_params"), json("output_result"),
            text("error"), integer("duration_ms")),

    WORKFLOWS("workflows", "training_workflows", "workflow_id", WriteRule.MERGE,
            required("workflow_id"), required("workflow_type"), required("phase"),
            jsonArray("agent_ids"), json("state"), json("metadata")),

    MESSAGES("messages", "training_messages", "message_id", WriteRule.INSERT_ONCE,
            required("conversation_id"), required("role"), required("content"), text("message_id"),
            text("agent_id"), text("task_id"), text("name"), jsonArray("tool_calls"),
            text("tool_call_id"), integer("seq"));

    /** Roles a message may have (OpenAI chat roles). */
    public static final Set<String> MESSAGE_ROLES = Set.of("system", "user", "assistant", "tool");

    public static final String SCHEMA = "training_data";

    private final String id;
    private final String table;
    private final String identity;
    private final WriteRule writeRule;
    private final List<Field> fields;

    RecordKind(String id, String table, String identity, WriteRule writeRule, Field... fields) {
        this.id = id;
        this.table = table;
        this.identity = identity;
        this.writeRule = writeRule;
        this.fields = List.of(fields);
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

    /** The named fields, in column order, without {@code occurred_at}. */
    public List<Field> fields() {
        return fields;
    }

    public int indexOf(String fieldName) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equals(fieldName)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Events and messages may be sent without their id: the store then uses
     * {@code <stream key>/<entry id>}.
     */
    public boolean identityDefaultsToEntry() {
        return writeRule == WriteRule.INSERT_ONCE;
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
