package ai.trainingstore.config;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Optional;

/**
 * Semantic search (contract section 10, docs/search.md), under {@code training-store.search}. Off by
 * default: the embedding model is not even loaded then.
 */
public interface SearchSettings {

    /** Embed user and assistant messages and answer {@code /api/v1/search/...}; off: every search path is 404. */
    @WithDefault("false")
    boolean enabled();

    /** Messages one worker claims, embeds and writes in one transaction. */
    @WithDefault("64")
    @Min(1)
    @Max(4096)
    int batchSize();

    /** Embedding workers on this replica (each uses one core while it works; they run beside ingest). */
    @WithDefault("1")
    @Min(1)
    @Max(64)
    int workers();

    /** How often an idle worker looks for queued messages, and the index reads new vectors. */
    @WithDefault("500ms")
    Duration pollInterval();

    /**
     * While ingest is behind (a consumer here read a full batch in the last 2 s, or a stream holds
     * more entries not yet delivered to the group than one batch), each embedding worker and the index
     * tailer rest this many times as long as their last batch took before the next one: at the default
     * 9, each takes at most a tenth of a core while ingest catches up, then runs at full speed again.
     * 0: never yield.
     */
    @WithDefault("9")
    @Min(0)
    @Max(1000)
    int yieldFactor();

    /**
     * Below this many indexed messages a query scores every vector (exact); at or above it, the
     * HNSW graph answers (approximate). Measured by bench/search.py (docs/search.md).
     */
    @WithDefault("20000")
    @Min(0)
    int exactBelow();

    /** Longest {@code q} in characters; a longer one is a 400 (the model reads about 256 word pieces anyway). */
    @WithDefault("2000")
    @Min(16)
    @Max(100000)
    int maxQueryChars();

    /**
     * Directory of the in-process index (rebuilt from PostgreSQL at every start, so it may be
     * an emptyDir); unset: a fresh temporary directory, deleted on shutdown.
     */
    Optional<String> indexDir();
}
