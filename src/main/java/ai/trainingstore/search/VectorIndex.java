package ai.trainingstore.search;

import java.io.Closeable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The seam between search and its vector engine: messages' vectors in, nearest messages out. The
 * embedded engine is {@link LuceneVectorIndex}; a distributed one (OpenSearch k-NN, Milvus) would
 * implement this same interface (docs/search.md).
 */
public interface VectorIndex extends Closeable {

    /** Adds (or replaces, by message id) these vectors; visible to the next search. */
    void add(List<StoredVector> vectors);

    /**
     * The {@code n} messages nearest to {@code query} (a unit vector) that pass the filter, best first.
     * Exact whatever the filter removes: a filtered search never misses a match because the filter
     * discarded the approximate candidates.
     */
    List<Hit> nearest(float[] query, int n, Filter filter);

    /** Messages indexed. */
    int size();

    /** A message and its cosine similarity to the query. */
    record Hit(String messageId, String conversationId, float score) {
    }

    /** Restrictions on the messages searched; empty sets and absent bounds restrict nothing. */
    record Filter(Set<String> agentIds, Set<String> taskIds, Optional<Instant> from, Optional<Instant> to,
            Optional<String> excludedConversation) {

        public static Filter none() {
            return new Filter(Set.of(), Set.of(), Optional.empty(), Optional.empty(), Optional.empty());
        }

        public boolean isNone() {
            return agentIds.isEmpty() && taskIds.isEmpty() && from.isEmpty() && to.isEmpty() && excludedConversation.isEmpty();
        }
    }
}
