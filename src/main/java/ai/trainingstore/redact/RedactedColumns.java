package ai.trainingstore.redact;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.ColumnType;
import java.util.Set;
import java.util.stream.Collectors;

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
 *       (a list of identities). In {@code tool_calls} each call's own {@code id}, {@code type}
 *       and {@code function.name} are kept and everything in the {@code arguments} redacted,
 *       whatever its keys are called; tool definitions ({@code tools}) are redacted whole, since
 *       a {@code name}, {@code id} or {@code type} inside a schema or its defaults is data like
 *       any other (contract section 7). A feedback {@code correction} keeps the same three in its
 *       {@code tool_calls}: its content and arguments are redacted, its calls stay matchable.
 *       Paths, not key names, say what is kept ({@link Redaction#json(String, Set)}).</li>
 *   <li>Numbers, integers and timestamps are never changed.</li>
 * </ul>
 */
public final class RedactedColumns {

    /** The text columns that hold free text. */
    public static final Set<String> TEXT = Set.of("error", "content", "label", "comment");
    /** JSON columns that hold identities only. */
    public static final Set<String> KEPT_JSON = Set.of("agent_ids");

    /** Paths from a call (or a list of calls): the call's own id and type and its function's name. */
    private static final Set<String> TOOL_CALL_IDS = Set.of("id", "type", "function.name");
    /** The same paths in a feedback correction's {@code tool_calls} (an assistant message's shape). */
    private static final Set<String> CORRECTION_TOOL_CALL_IDS = TOOL_CALL_IDS.stream()
            .map(path -> "tool_calls." + path).collect(Collectors.toUnmodifiableSet());

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
            case "correction" -> CORRECTION_TOOL_CALL_IDS;
            default -> Set.of();
        };
    }

    /** Paths kept in OpenAI-shaped tool calls: the call's id and type and the function's name. */
    public static Set<String> toolCallIds() {
        return TOOL_CALL_IDS;
    }

    /** In tool definitions: nothing is kept (contract section 7); a definition is redacted whole. */
    public static Set<String> toolDefinitionNames() {
        return Set.of();
    }
}
