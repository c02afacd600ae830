package ai.trainingstore.dataset.dedup;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.text.LogText;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a dataset request asks of duplicates (contract 6.5): {@code dedup=exact} (same messages and
 * tools), {@code dedup=near} (also word 5-gram Jaccard similarity at least {@code near_threshold}),
 * or nothing. Every mistake is a 400 that says what to fix.
 */
public record Dedup(Mode mode, double nearThreshold) {

    /** The query parameters, for a dataset's list of accepted ones. */
    public static final List<String> PARAMETERS = List.of("dedup", "near_threshold");
    public static final double DEFAULT_NEAR_THRESHOLD = 0.8;
    public static final Dedup NONE = new Dedup(Mode.NONE, DEFAULT_NEAR_THRESHOLD);

    public enum Mode {
        NONE, EXACT, NEAR
    }

    public static Dedup parse(Map<String, List<String>> query) {
        Mode mode = single(query, "dedup").map(Dedup::mode).orElse(Mode.NONE);
        Optional<String> threshold = single(query, "near_threshold");
        if (threshold.isPresent() && mode != Mode.NEAR) {
            throw new InvalidExportException("'near_threshold' applies to dedup=near only: add dedup=near or leave"
                    + " near_threshold out.");
        }
        return new Dedup(mode, threshold.map(Dedup::threshold).orElse(DEFAULT_NEAR_THRESHOLD));
    }

    public boolean isNone() {
        return mode == Mode.NONE;
    }

    private static Mode mode(String value) {
        return switch (value) {
            case "none" -> Mode.NONE;
            case "exact" -> Mode.EXACT;
            case "near" -> Mode.NEAR;
            default -> throw new InvalidExportException("Unknown dedup '" + LogText.safe(value) + "': use dedup=exact"
                    + " (same messages and tools) or dedup=near (also similar text, see near_threshold).");
        };
    }

    private static double threshold(String value) {
        try {
            // Plain decimals only: no hex, no "d"/"f" suffix, no NaN or spaces that parseDouble would take.
            double threshold = value.matches("[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?") ? Double.parseDouble(value) : -1;
            if (threshold > 0 && threshold <= 1) {
                return threshold;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'near_threshold' must be a number over 0 and at most 1 (a Jaccard"
                + " similarity; default 0.8), not '" + LogText.safe(value) + "'.");
    }
}
