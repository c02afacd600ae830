package ai.trainingstore.dataset;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.dataset.tokens.TokenRule;
import ai.trainingstore.dataset.tokens.Tokenizer;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.text.LogText;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The query parameters every dataset shares (contract section 6): the split and its rule, score
 * bounds on feedback, yes/no switches, repeated filters, the time range. Every mistake is a 400
 * that says what to fix.
 */
public final class DatasetParameters {

    /** The parameters of the split rule and the score bounds, accepted by every dataset. */
    static final Set<String> SHARED = Set.of("from", "to", "min_score", "max_score", "limit", "after", "split",
            "validation_fraction", "test_fraction", "split_seed");

    /** A bound on a feedback value: {@code <name>:<number>}. */
    public record Score(String name, double bound) {
    }

    private DatasetParameters() {
    }

    /** A dataset's own parameters and the shared ones. */
    static Set<String> accepted(String... own) {
        Set<String> all = new HashSet<>(SHARED);
        all.addAll(List.of(own));
        return Set.copyOf(all);
    }

    /** Refuses NUL and any parameter outside {@code accepted}, listing the accepted ones. */
    static void requireKnown(Map<String, List<String>> query, Set<String> accepted) {
        QueryParameters.requireStorable(query);
        for (String name : query.keySet()) {
            if (!accepted.contains(name)) {
                throw new InvalidExportException("Unknown parameter '" + LogText.safe(name) + "'. Use one of: "
                        + String.join(", ", accepted.stream().sorted().toList()) + ".");
            }
        }
    }

    /**
     * {@code explain=true|false} of a dataset's summary (contract 6.1): a parameter of the summary,
     * not of the dataset, so the dataset's request is parsed without it ({@link #withoutExplain}).
     */
    public static boolean explain(Map<String, List<String>> query) {
        return bool(query, "explain").orElse(false);
    }

    /** The query without {@code explain}, for the dataset's own request. */
    public static Map<String, List<String>> withoutExplain(Map<String, List<String>> query) {
        Map<String, List<String>> rest = new java.util.LinkedHashMap<>(query);
        rest.remove("explain");
        return rest;
    }

    static Optional<Instant> from(Map<String, List<String>> query) {
        Optional<Instant> from = QueryParameters.bound(query, "from");
        Optional<Instant> to = QueryParameters.bound(query, "to");
        if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
            throw new InvalidExportException("'from' (" + from.get() + ") must be before 'to' (" + to.get() + ").");
        }
        return from;
    }

    static Optional<Instant> to(Map<String, List<String>> query) {
        return QueryParameters.bound(query, "to");
    }

    static SplitRule splitRule(Map<String, List<String>> query) {
        double validation = single(query, "validation_fraction").map(value -> fraction("validation_fraction", value))
                .orElse(SplitRule.DEFAULT.validationFraction());
        double test = single(query, "test_fraction").map(value -> fraction("test_fraction", value))
                .orElse(SplitRule.DEFAULT.testFraction());
        if (validation + test > 1) {
            throw new InvalidExportException("validation_fraction + test_fraction is " + (validation + test)
                    + ", over 1: the rest is the training split, so they may add up to 1 at most.");
        }
        return new SplitRule(validation, test, single(query, "split_seed").orElse(SplitRule.DEFAULT.seed()));
    }

    static Optional<Split> split(Map<String, List<String>> query) {
        return single(query, "split").map(value -> Arrays.stream(Split.values())
                .filter(split -> split.id().equals(value)).findFirst()
                .orElseThrow(() -> new InvalidExportException("Unknown split '" + LogText.safe(value)
                        + "': use split=train, split=validation or split=test.")));
    }

    static List<Score> scores(Map<String, List<String>> query, String parameter) {
        return query.getOrDefault(parameter, List.of()).stream().map(value -> score(parameter, value)).toList();
    }

    static Optional<Long> limit(Map<String, List<String>> query) {
        return single(query, "limit").map(QueryParameters::limit);
    }

    /** {@code tokenizer} and {@code max_tokens} (contract 6.5). */
    static TokenRule tokens(Map<String, List<String>> query) {
        Optional<Tokenizer> tokenizer = single(query, "tokenizer").map(value -> Tokenizer.byId(value)
                .orElseThrow(() -> new InvalidExportException("Unknown tokenizer '" + LogText.safe(value) + "': use "
                        + Tokenizer.choices() + ".")));
        OptionalLong maxTokens = single(query, "max_tokens").map(DatasetParameters::maxTokens)
                .map(OptionalLong::of).orElse(OptionalLong.empty());
        return new TokenRule(tokenizer, maxTokens);
    }

    private static long maxTokens(String value) {
        try {
            long max = Long.parseLong(value);
            if (max > 0 && !value.startsWith("+")) {
                return max;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'max_tokens' must be a whole number of tokens, 1 or more, not '"
                + LogText.safe(value) + "'.");
    }

    static Optional<Boolean> bool(Map<String, List<String>> query, String name) {
        return single(query, name).map(value -> switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidExportException("'" + name + "' must be true or false, not '"
                    + LogText.safe(value) + "'.");
        });
    }

    /** Every value of a repeatable filter (any of them matches). */
    static List<String> all(Map<String, List<String>> query, String name) {
        return List.copyOf(query.getOrDefault(name, List.of()));
    }

    /** Whether a feedback map ({name: {value, label}}, newest wins) satisfies every bound. */
    static boolean withinScores(ScoreLookup scores, List<Score> min, List<Score> max) {
        for (Score bound : min) {
            if (scores.value(bound.name()).filter(value -> value >= bound.bound()).isEmpty()) {
                return false;
            }
        }
        for (Score bound : max) {
            if (scores.value(bound.name()).filter(value -> value <= bound.bound()).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** The feedback value of a name, when there is one with a value. */
    interface ScoreLookup {
        Optional<Double> value(String name);
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

    static double number(String name, String value) {
        try {
            double number = Double.parseDouble(value);
            if (Double.isFinite(number) && !value.matches(".*[xXpPfFdD].*")) {
                return number;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'" + name + "' must be a finite decimal number, not '"
                + LogText.safe(value) + "'.");
    }
}
