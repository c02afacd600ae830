package ai.trainingstore.dataset;

import ai.trainingstore.redact.Redaction;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Map;
import java.util.Optional;

/**
 * The feedback on one target as the datasets read it: {@code {name: {"value", "label"}}}, the
 * newest of each name (the SQL lookup aggregates them oldest first, so the newest wins).
 */
final class Feedback {

    private Feedback() {
    }

    /** Feedback on one target as {name: {value, label}}, newest of a name last (it wins). */
    static String lookup(String table, String targetKind, String targetId) {
        return "(SELECT jsonb_object_agg(f.name, jsonb_build_object('value', f.value, 'label', f.label)"
                + " ORDER BY f.occurred_at, f.feedback_id)::text FROM " + table + " f"
                + " WHERE f.target_kind = " + targetKind + " AND f.target_id = " + targetId + ")";
    }

    /** An upper bound of the bytes {@link #lookup} answers: every record counted, newest or not. */
    static String lookupBytes(String table, String targetKind, String targetId) {
        return "coalesce((SELECT sum(octet_length(f.name) + coalesce(octet_length(f.label), 0) + 48) FROM " + table
                + " f WHERE f.target_kind = " + targetKind + " AND f.target_id = " + targetId + "), 0)";
    }

    /** The value of a name, when it has one. */
    static Optional<Double> score(Map<String, JsonNode> feedback, String name) {
        JsonNode scored = feedback.get(name);
        return scored == null || !scored.path("value").isNumber() ? Optional.empty()
                : Optional.of(scored.path("value").doubleValue());
    }

    /** {name: value, or its label (redacted as asked) when it has no value}: what a trainer reads as the reward. */
    static ObjectNode values(Map<String, JsonNode> feedback, Redaction redaction) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        feedback.forEach((name, scored) -> {
            JsonNode value = scored.path("value").isNull() || scored.path("value").isMissingNode() ? scored.path("label")
                    : scored.path("value");
            values.set(name, value.isTextual() ? TextNode.valueOf(redaction.text(value.textValue())) : value);
        });
        return values;
    }
}
