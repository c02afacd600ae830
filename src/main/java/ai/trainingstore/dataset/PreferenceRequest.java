package ai.trainingstore.dataset;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.text.LogText;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated request for the preferences dataset (contract section 6.3): the 6.1 filters (kept as
 * a {@link ConversationRequest}, so the conversations are read and filtered by the very same code),
 * the pairs, the score and its margin or threshold, the format, {@code after}, {@code limit} and
 * the split on the line's identity. Every mistake is a 400 before anything runs.
 */
public record PreferenceRequest(
        Format format,
        Set<Pairs> pairs,
        Optional<String> score,
        double margin,
        double threshold,
        boolean metadata,
        Optional<Long> limit,
        Optional<String> after,
        Optional<Split> split,
        SplitRule splitRule,
        boolean gzip,
        ConversationRequest conversations) {

    public enum Format {
        /** OpenAI's preference fine-tuning line (arguments as JSON text). */
        OPENAI,
        /** TRL's preference format: prompt, chosen, rejected (arguments as objects). */
        TRL,
        /** TRL's unpaired preference (KTO) format: prompt, completion, label; one line per conversation. */
        KTO
    }

    public enum Pairs {
        CORRECTIONS, RANKED;

        String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final Set<String> PARAMETERS = DatasetParameters.accepted("format", "pairs", "score", "margin",
            "threshold", "metadata", "conversation_id", "agent_id", "task_id", "task_status", "has_tools", "redact", "max_tokens", "tokenizer", "dedup", "near_threshold");

    public static PreferenceRequest parse(Map<String, List<String>> query, String acceptEncoding) {
        DatasetParameters.requireKnown(query, PARAMETERS);
        Format format = single(query, "format").map(PreferenceRequest::format).orElse(Format.OPENAI);
        Optional<String> score = single(query, "score");
        if (score.isPresent() && score.get().isEmpty()) {
            throw new InvalidExportException("'score' must name a feedback, for example score=reward.");
        }
        Set<Pairs> pairs = pairs(query, score.isPresent());
        if (pairs.contains(Pairs.RANKED) && score.isEmpty()) {
            throw new InvalidExportException("pairs=ranked needs score=<feedback name>: siblings are ranked by"
                    + " that feedback's value.");
        }
        if (format == Format.KTO && score.isEmpty()) {
            throw new InvalidExportException("format=kto needs score=<feedback name>: each line's label comes from"
                    + " that feedback.");
        }
        if (format == Format.KTO && query.containsKey("pairs")) {
            throw new InvalidExportException("format=kto gives one line per scored conversation, not pairs: leave"
                    + " out 'pairs'.");
        }
        double margin = single(query, "margin").map(value -> DatasetParameters.number("margin", value)).orElse(0.0);
        if (margin < 0) {
            throw new InvalidExportException("'margin' must be 0 or more, not '" + margin + "'.");
        }
        double threshold = single(query, "threshold").map(value -> DatasetParameters.number("threshold", value)).orElse(0.5);
        if (query.containsKey("margin") && !pairs.contains(Pairs.RANKED)) {
            throw new InvalidExportException("'margin' applies to ranked pairs only: add score=<feedback name>.");
        }
        if (query.containsKey("threshold") && format != Format.KTO) {
            throw new InvalidExportException("'threshold' applies to format=kto only.");
        }
        // The 6.1 filters, read and checked by the conversations dataset's own parser; what
        // belongs to the preference line (after, limit, split) stays here.
        Map<String, List<String>> filters = new java.util.LinkedHashMap<>(query);
        List.of("format", "pairs", "score", "margin", "threshold", "metadata", "after", "limit", "split")
                .forEach(filters::remove);
        ConversationRequest conversations = ConversationRequest.parse(filters, null);
        return new PreferenceRequest(format, pairs, score, margin, threshold,
                DatasetParameters.bool(query, "metadata").orElse(false),
                DatasetParameters.limit(query),
                single(query, "after"),
                DatasetParameters.split(query),
                conversations.splitRule(),
                QueryParameters.acceptsGzip(acceptEncoding),
                conversations);
    }

    public String fileName() {
        return "preferences" + (format == Format.KTO ? "-kto" : "") + split.map(s -> "-" + s.id()).orElse("")
                + ".jsonl" + (gzip ? ".gz" : "");
    }

    /** Ranked pairs (or KTO lines) need the score of every conversation. */
    boolean readsScores() {
        return score.isPresent();
    }

    private static Set<Pairs> pairs(Map<String, List<String>> query, boolean scored) {
        List<String> values = query.getOrDefault("pairs", List.of());
        if (values.isEmpty()) {
            return scored ? EnumSet.of(Pairs.CORRECTIONS, Pairs.RANKED) : EnumSet.of(Pairs.CORRECTIONS);
        }
        Set<Pairs> pairs = EnumSet.noneOf(Pairs.class);
        for (String value : values) {
            for (String item : value.split(",", -1)) {
                pairs.add(switch (item.trim()) {
                    case "corrections" -> Pairs.CORRECTIONS;
                    case "ranked" -> Pairs.RANKED;
                    default -> throw new InvalidExportException("Unknown pairs '" + LogText.safe(item)
                            + "': use pairs=corrections, pairs=ranked or pairs=corrections,ranked.");
                });
            }
        }
        return pairs;
    }

    private static Format format(String value) {
        return switch (value) {
            case "openai" -> Format.OPENAI;
            case "trl" -> Format.TRL;
            case "kto" -> Format.KTO;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(value) + "': use"
                    + " format=openai (default, OpenAI preference fine-tuning), format=trl (TRL prompt/chosen/rejected)"
                    + " or format=kto (TRL prompt/completion/label).");
        };
    }
}
