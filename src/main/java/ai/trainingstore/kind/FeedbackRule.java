package ai.trainingstore.kind;

import ai.trainingstore.kind.Rejection.Reason;
import java.util.List;
import java.util.Optional;

/** Feedback: a target of a known kind, and a value or a label (or both). */
final class FeedbackRule implements RecordRule {

    static final List<String> TARGET_KINDS = List.of("event", "task", "tool_execution", "workflow", "message",
            "conversation");

    @Override
    public Optional<Rejection> check(Values feedback) {
        String targetKind = (String) feedback.get("target_kind");
        if (!TARGET_KINDS.contains(targetKind)) {
            return Optional.of(new Rejection(Reason.BAD_VALUE, "Field 'target_kind' must be one of "
                    + String.join(", ", TARGET_KINDS) + ", but is '" + Rejection.shown(targetKind) + "'."));
        }
        String label = (String) feedback.get("label");
        if (feedback.get("value") == null && (label == null || label.isBlank())) {
            return Optional.of(new Rejection(Reason.MISSING_FIELD, "Feedback needs a 'value' (a number) or a"
                    + " 'label' (text), or both; this record has neither: add one."));
        }
        return Optional.empty();
    }
}
