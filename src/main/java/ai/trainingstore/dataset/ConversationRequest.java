package ai.trainingstore.dataset;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.dataset.DatasetParameters.Score;
import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.dataset.dedup.Dedup;
import ai.trainingstore.dataset.tokens.TokenRule;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.text.LogText;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated request for the conversations dataset (contract section 6.1). Every parameter is
 * checked before anything runs; a mistake is a 400 that says what to fix, never a silent full
 * export.
 */
public record ConversationRequest(
        Format format,
        boolean metadata,
        Optional<Instant> from,
        Optional<Instant> to,
        List<String> conversationIds,
        List<String> agentIds,
        List<String> taskIds,
        List<String> taskStatuses,
        Optional<Boolean> hasTools,
        List<Score> minScores,
        List<Score> maxScores,
        Optional<Long> limit,
        Optional<String> after,
        Optional<Split> split,
        SplitRule splitRule,
        boolean gzip,
        // what the request asks; the dataset joins the operator's training-store.redaction.always
        Redaction redact,
        TokenRule tokens,
        Dedup dedup) {

    public enum Format {
        /** OpenAI's chat fine-tuning line: arguments as JSON text. */
        OPENAI,
        /** Hugging Face chat templates / TRL: arguments as objects, tool messages named. */
        MESSAGES
    }

    private static final Set<String> PARAMETERS = DatasetParameters.accepted("format", "metadata", "conversation_id", "agent_id",
            "task_id", "task_status", "has_tools", "redact", "max_tokens", "tokenizer", "dedup", "near_threshold");

    public static ConversationRequest parse(Map<String, List<String>> query, String acceptEncoding) {
        DatasetParameters.requireKnown(query, PARAMETERS);
        Format format = single(query, "format").map(ConversationRequest::format).orElse(Format.OPENAI);
        return new ConversationRequest(format,
                DatasetParameters.bool(query, "metadata").orElse(false),
                DatasetParameters.from(query),
                DatasetParameters.to(query),
                DatasetParameters.all(query, "conversation_id"),
                DatasetParameters.all(query, "agent_id"),
                DatasetParameters.all(query, "task_id"),
                DatasetParameters.all(query, "task_status"),
                DatasetParameters.bool(query, "has_tools"),
                DatasetParameters.scores(query, "min_score"),
                DatasetParameters.scores(query, "max_score"),
                DatasetParameters.limit(query),
                single(query, "after"),
                DatasetParameters.split(query),
                DatasetParameters.splitRule(query),
                QueryParameters.acceptsGzip(acceptEncoding),
                QueryParameters.redaction(query),
                DatasetParameters.tokens(query),
                Dedup.parse(query));
    }

    public String fileName() {
        return "conversations" + split.map(s -> "-" + s.id()).orElse("") + ".jsonl" + (gzip ? ".gz" : "");
    }

    private static Format format(String value) {
        return switch (value) {
            case "openai" -> Format.OPENAI;
            case "messages" -> Format.MESSAGES;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(value) + "': use"
                    + " format=openai (default, OpenAI chat fine-tuning) or format=messages (Hugging Face / TRL).");
        };
    }
}
