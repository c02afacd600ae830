package ai.trainingstore.dataset;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a dataset left out, counted by reason; when explained (summary {@code explain=true},
 * contract 6.1), also the first {@link #EXAMPLES_PER_REASON} identities of each reason, in the
 * dataset's order, with the message, call or size that decided it. Bounded, whatever the size.
 */
public final class LeftOut {

    /** Examples kept per reason: enough to find the pattern, small enough for any answer. */
    public static final int EXAMPLES_PER_REASON = 20;

    /** One identity left out and what decided it. */
    public record Example(String id, String detail) {
    }

    private final Map<String, Long> counts = new LinkedHashMap<>();
    private final Map<String, List<Example>> examples;

    /** Every reason counted from zero, so an answer always names all of them. */
    LeftOut(List<String> reasons, boolean explain) {
        reasons.forEach(reason -> counts.put(reason, 0L));
        this.examples = explain ? new LinkedHashMap<>() : null;
    }

    synchronized void add(String reason, String id, String detail) {
        counts.merge(reason, 1L, Long::sum);
        if (examples != null) {
            List<Example> kept = examples.computeIfAbsent(reason, key -> new ArrayList<>());
            if (kept.size() < EXAMPLES_PER_REASON) {
                kept.add(new Example(id, detail));
            }
        }
    }

    boolean explains() {
        return examples != null;
    }

    synchronized Map<String, Long> counts() {
        return new LinkedHashMap<>(counts);
    }

    /** The examples by reason (only reasons with one), or null when not explained: then no left_out key. */
    synchronized Map<String, List<Example>> examples() {
        if (examples == null) {
            return null;
        }
        Map<String, List<Example>> copy = new LinkedHashMap<>();
        examples.forEach((reason, list) -> copy.put(reason, List.copyOf(list)));
        return copy;
    }
}
