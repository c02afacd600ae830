package ai.trainingstore.kind;

import ai.trainingstore.kind.Rejection.Reason;
import java.util.Optional;
import java.util.Set;

/** Messages: an OpenAI chat role, and content that is empty only for an assistant message that calls tools. */
final class MessageRule implements RecordRule {

    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    @Override
    public Optional<Rejection> check(Values message) {
        String role = (String) message.get("role");
        if (!ROLES.contains(role)) {
            return Optional.of(new Rejection(Reason.BAD_VALUE, "Field 'role' must be one of system, user,"
                    + " assistant or tool, but is '" + Rejection.shown(role) + "'."));
        }
        String content = (String) message.get("content");
        String toolCalls = (String) message.get("tool_calls");
        boolean callsTools = toolCalls != null && !toolCalls.replaceAll("\\s", "").equals("[]");
        if (content.isEmpty() && !(role.equals("assistant") && callsTools)) {
            return Optional.of(new Rejection(Reason.MISSING_FIELD, "Field 'content' is empty: only an assistant"
                    + " message that calls tools (non-empty 'tool_calls') may have empty content."));
        }
        return Optional.empty();
    }
}
