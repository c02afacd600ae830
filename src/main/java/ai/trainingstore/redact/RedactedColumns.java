package ai.trainingstore.redact;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.ColumnType;
import java.util.Set;

/**
 * Which columns of a row export carry values to redact. Free text and JSON do; identities, ids,
 * categories and timestamps never do, so rows stay joinable and resumable ({@code after}) and
 * filters keep their meaning.
 *
 * <ul>
 *   <li>Text columns redacted: {@code error} (tasks, tool executions), {@code content}
 *       (messages), {@code label} and {@code comment} (feedback). Every other text column is an
 *       identity, an id or a category ({@code agent_id}, {@code task_id}, {@code event_type},
 *       {@code status}, {@code tool_name}, {@code role}, {@code name}, {@code stream_entry_id},
 *       ...) and is kept.</li>
 *   <li>JSON columns redacted (string values only, never keys): every one but {@code agent_ids}
 *       (a list of identities). In {@code tool_calls} the call's {@code id}, {@code type} and
 *       function {@code name} are kept and the {@code arguments} redacted; in {@code tools} the
 *       {@code type}, {@code name} and {@code required} entries are kept and descriptions and
 *       other values redacted.</li>
 *   <li>Numbers, integers and timestamps are never changed.</li>
 * </ul>
 */
public final class RedactedColumns {

    /** The text columns that hold free text. */
    public static final Set<String> TEXT = Set.of("error", "content", "label", "comment");
    /** JSON columns that hold identities only. */
    public static final Set<String> KEPT_JSON = Set.of("agent_ids");

    private static final Set<String> TOOL_CALL_IDS = Set.of("id", "type", "name");
    private static final Set<String> TOOL_DEFINITION_NAMES = Set.of("type", "name", "required");

    private RedactedColumns() {
    }

    public static boolean redacts(Column column) {
        if (column.type() == ColumnType.TEXT) {
            return TEXT.contains(column.name());
        }
        return column.type().isJson() && !KEPT_JSON.contains(column.name());
    }

    /** Fields whose string values stay as they are inside this JSON column. */
    public static Set<String> keptFields(Column column) {
        return switch (column.name()) {
            case "tool_calls" -> TOOL_CALL_IDS;
            case "tools" -> TOOL_DEFINITION_NAMES;
            default -> Set.of();
        };
    }

    /** In OpenAI-shaped tool calls: the call's id and type and the function's name. */
    public static Set<String> toolCallIds() {
        return TOOL_CALL_IDS;
    }

    /** In OpenAI-shaped tool definitions: types, names and the required keys. */
    public static Set<String> toolDefinitionNames() {
        return TOOL_DEFINITION_NAMES;
    }
}
