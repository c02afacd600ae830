package ai.trainingstore.dataset;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.text.LogText;
import java.time.Instant;
import java.util.Arrays;
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
        Redaction redact) {

    public enum Format {
        /** OpenAI's chat fine-tuning line: arguments as JSON text. */
        OPENAI,
        /** Hugging Face chat templates / TRL: arguments as objects, tool messages named. */
        MESSAGES
    }

    /** A bound on a feedback value: {@code <name>:<number>}. */
    public record Score(String name, double bound) {
    }

    private static final Set<String> PARAMETERS = Set.of("format", "metadata", "from", "to", "conversation_id",
            "agent_id", "task_id", "task_status", "has_tools", "min_score", "max_score", "limit", "after", "split",
            "validation_fraction", "test_fraction", "split_seed", "redact");

    public static ConversationRequest parse(Map<String, List<String>> query, String acceptEncoding) {
        QueryParameters.requireStorable(query);
        for (String name : query.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidExportException("Unknown parameter '" + LogText.safe(name) + "'. Use one of: "
                        + String.join(", ", PARAMETERS.stream().sorted().toList()) + ".");
            }
        }
        Format format = single(query, "format").map(ConversationRequest::format).orElse(Format.OPENAI);
        boolean metadata = single(query, "metadata").map(value -> bool("metadata", value)).orElse(false);
        Optional<Instant> from = QueryParameters.bound(query, "from");
        Optional<Instant> to = QueryParameters.bound(query, "to");
        if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
            throw new InvalidExportException("'from' (" + from.get() + ") must be before 'to' (" + to.get() + ").");
        }
        double validation = single(query, "validation_fraction").map(value -> fraction("validation_fraction", value))
                .orElse(SplitRule.DEFAULT.validationFraction());
        double test = single(query, "test_fraction").map(value -> fraction("test_fraction", value))
                .orElse(SplitRule.DEFAULT.testFraction());
        if (validation + test > 1) {
            throw new InvalidExportException("validation_fraction + test_fraction is " + (validation + test)
                    + ", over 1: the rest is the training split, so they may add up to 1 at most.");
        }
        SplitRule rule = new SplitRule(validation, test, single(query, "split_seed").orElse(SplitRule.DEFAULT.seed()));
        return new ConversationRequest(format, metadata, from, to,
                all(query, "conversation_id"), all(query, "agent_id"), all(query, "task_id"),
                all(query, "task_status"),
                single(query, "has_tools").map(value -> bool("has_tools", value)),
                query.getOrDefault("min_score", List.of()).stream().map(value -> score("min_score", value)).toList(),
                query.getOrDefault("max_score", List.of()).stream().map(value -> score("max_score", value)).toList(),
                single(query, "limit").map(QueryParameters::limit),
                single(query, "after"),
                single(query, "split").map(ConversationRequest::split),
                rule,
                QueryParameters.acceptsGzip(acceptEncoding),
                QueryParameters.redaction(query));
    }

    public String fileName() {
        return "conversations" + split.map(s -> "-" + s.id()).orElse("") + ".jsonl" + (gzip ? ".gz" : "");
    }

    private static List<String> all(Map<String, List<String>> query, String name) {
        return List.copyOf(query.getOrDefault(name, List.of()));
    }

    private static Format format(String value) {
        return switch (value) {
            case "openai" -> Format.OPENAI;
            case "messages" -> Format.MESSAGES;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(value) + "': use"
                    + " format=openai (default, OpenAI chat fine-tuning) or format=messages (Hugging Face / TRL).");
        };
    }

    private static Split split(String value) {
        return Arrays.stream(Split.values()).filter(split -> split.id().equals(value)).findFirst()
                .orElseThrow(() -> new InvalidExportException("Unknown split '" + LogText.safe(value)
                        + "': use split=train, split=validation or split=test."));
    }

    private static boolean bool(String name, String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidExportException("'" + name + "' must be true or false, not '"
                    + LogText.safe(value) + "'.");
        };
    }

    private static double fraction(String name, String value) {
        double fraction = number(name, value);
        if (fraction < 0 || fraction > 1) {
            throw new InvalidExportException("'" + name + "' must be a fraction from 0 to 1, not '"
                    + LogText.safe(value) + "'.");
        }
        return fraction;
    }

    private static Score score(String parameter, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new InvalidExportException("'" + parameter + "' must be <feedback name>:<number>, for example "
                    + parameter + "=correctness:0.8, not '" + LogText.safe(value) + "'.");
        }
        return new Score(value.substring(0, colon), number(parameter, value.substring(colon + 1)));
    }

    private static double number(String name, String value) {
        try {
            double number = Double.parseDouble(value);
            if (Double.isFinite(number) && !value.matches(".*[xXpP].*")) {
                return number;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'" + name + "' must be a finite decimal number, not '"
                + LogText.safe(value) + "'.");
    }
}
