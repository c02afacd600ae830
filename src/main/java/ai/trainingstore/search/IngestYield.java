package ai.trainingstore.search;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * How search's background work gives way to ingest: while ingest has a backlog, a step that took t
 * is followed by a rest of {@code factor} x t (never less than the step's own pause), so embedding
 * and indexing together stay near a 1 / (factor + 1) share of a core until ingest has caught up.
 * Factor 0 never yields.
 */
record IngestYield(BooleanSupplier ingestBacklog, int factor) {

    static final IngestYield NEVER = new IngestYield(() -> false, 0);

    /** The pause after a step that took {@code took}, whose own pause would be {@code otherwise}. */
    Duration after(Duration took, Duration otherwise) {
        if (factor > 0 && ingestBacklog.getAsBoolean()) {
            Duration rest = took.multipliedBy(factor);
            return rest.compareTo(otherwise) > 0 ? rest : otherwise;
        }
        return otherwise;
    }
}
