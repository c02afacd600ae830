package ai.trainingstore.config;

import ai.trainingstore.kind.RecordKind;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the store itself, under the prefix {@code training-store} (environment
 * {@code TRAINING_STORE_...}). Connection settings use Quarkus' own keys; see docs/configuration.md.
 */
@ConfigMapping(prefix = "training-store")
public interface StoreConfig {

    Streams streams();

    /** Consumer group shared by every replica. */
    @WithDefault("training-store")
    @NotBlank
    String group();

    /** This replica's consumer name; defaults to the host name (the pod name in Kubernetes). */
    Optional<String> consumerName();

    Batch batch();

    /**
     * API tokens: a comma-separated list of {@code <token>:<scopes>}, scopes {@code export},
     * {@code ingest} and {@code admin} joined with {@code +}. An unknown scope stops start-up.
     * Without any, the API refuses every request.
     */
    Optional<String> tokens();

    Delivery delivery();

    Health health();

    Shutdown shutdown();

    Trim trim();

    Export export();

    Ingest ingest();

    Retention retention();

    Analytics analytics();

    Redaction redaction();

    Store store();

    Memory memory();

    /** Semantic search (contract section 10, docs/search.md). */
    SearchSettings search();

    Versions versions();

    Datasets datasets();

    /** The datasets (contract section 6). */
    interface Datasets {
        /**
         * The encoding a dataset's lines are counted with when a request names none
         * ({@code tokenizer}): {@code o200k_base} or {@code cl100k_base}; anything else stops start-up.
         */
        @WithDefault("o200k_base")
        String tokenizer();
    }

    Read read();

    /**
     * An optional read replica (docs/deploying.md "Read replica"): exports, datasets, version
     * builds, analytics and the stats' row counts read from it; writes, the merge, retention and
     * the advisory locks stay on the primary. Without {@code url}, everything reads the primary.
     */
    interface Read {
        /**
         * The replica's reactive URL, as {@code quarkus.datasource.reactive.url}
         * ({@code postgresql://host:5432/db}); in Kubernetes CloudNativePG's {@code <cluster>-ro}
         * Service. Unset: one pool, the primary's.
         */
        Optional<String> url();

        /** User on the replica; defaults to {@code quarkus.datasource.username}. */
        Optional<String> username();

        /** Password on the replica; defaults to {@code quarkus.datasource.password}. */
        Optional<String> password();

        /** Connections to the replica (exports, datasets, builds and analytics each hold one while they run). */
        @WithDefault("12")
        @Min(1)
        int maxSize();

        /**
         * Most replay lag the reads accept: past it (or when the replica does not answer) they
         * go to the primary, or are refused, as {@code when-unavailable} says.
         */
        @WithDefault("30s")
        Duration maxLag();

        /** How often the replica's lag is measured and a fallen-back replica tried again. */
        @WithDefault("5s")
        Duration probeInterval();

        /** What reads do while the replica is down or too far behind: {@code primary} or {@code reject} (503). */
        @WithDefault("primary")
        WhenUnavailable whenUnavailable();

        enum WhenUnavailable { PRIMARY, REJECT }
    }

    /** Dataset versions (contract section 6.4): frozen dataset answers kept in PostgreSQL. */
    interface Versions {
        /**
         * Most uncompressed bytes of one version: a build that would write more fails with the
         * reason and its chunks are deleted (the disk never fills with one runaway version).
         */
        @WithDefault("10737418240")
        @Min(1)
        long maxBytes();

        /**
         * Builds running at once on this replica; one more POST gets 429 (retry later). Each holds
         * two PostgreSQL connections of the reactive pool for its whole length (the snapshot's
         * reader and the chunks' writer).
         */
        @WithDefault("2")
        @Min(1)
        int maxConcurrentBuilds();

        /** Uncompressed bytes per stored chunk: the unit compressed, stored, read and decompressed at a time. */
        @WithDefault("1048576")
        @Min(1024)
        int chunkBytes();

        /** zstd level of the stored chunks (1 fastest .. 19 smallest). */
        @WithDefault("3")
        @Min(1)
        @Max(19)
        int zstdLevel();

        /**
         * How often each replica looks for versions left {@code building} by a builder that is gone
         * (its process killed, its connection cut) and marks them failed; also at start-up.
         */
        @WithDefault("1m")
        Duration sweepInterval();
    }

    /**
     * The memory budget (docs/memory.md): everything the service reads into its heap is bounded by
     * bytes, not only by a count of rows or entries, so rows and entries that are each within the
     * limits can never exhaust the heap together. Defaults fit a 384 MiB heap under full load
     * (12 consumers, every export slot busy, analytics and retention running).
     */
    interface Memory {
        /**
         * Bytes of stream entries all the consumers of this replica hold at once (read, parsed,
         * being written), shared between them: a consumer reads fewer entries when they are large,
         * and waits when the others hold the rest.
         */
        @WithDefault("25165824")
        @Min(65536)
        long ingestBytes();

        /**
         * Most bytes of stream entries in one consumer's batch (at least delivery.max-entry-bytes,
         * so every valid entry fits in a batch of its own).
         */
        @WithDefault("4194304")
        @Min(65536)
        long batchBytes();

        /**
         * Bytes of rows one export, dataset or version build fetches from PostgreSQL at a time (the
         * size of a row is known before it is fetched); a single row larger than this is fetched
         * on its own.
         */
        @WithDefault("4194304")
        @Min(65536)
        long fetchBytes();

        /**
         * Largest conversation (messages, tool results, feedback) or task (with its messages and
         * tool executions) a dataset assembles in memory, in stored bytes; a larger one is left out
         * with reason {@code too_large}.
         */
        @WithDefault("8388608")
        @Min(65536)
        long assemblyBytes();

        /**
         * Most bytes of rows (their text, as PostgreSQL measures it before they are read) retention
         * archives and deletes in one transaction, beside retention.batch-size; a single row larger
         * than this goes in a batch of its own. Archived rows stream to the file, so a batch never
         * holds more than this in memory.
         */
        @WithDefault("8388608")
        @Min(65536)
        long retentionBatchBytes();

        /**
         * The dead-letter listing shows at most this many bytes of each field name and value (cut
         * on a character boundary, followed by {@code …[cut: <bytes> bytes]}): a dead letter kept
         * because it was too large may hold values of any size, and they are cut in Redis, never
         * read whole. Replay always uses the original fields.
         */
        @WithDefault("65536")
        @Min(256)
        @Max(16_777_216)
        int deadLetterFieldBytes();

        /**
         * Most bytes of field names and values in one page of the dead-letter listing: the page
         * ends early (with {@code next_after}) once it is reached, and values past it show only
         * the marker.
         */
        @WithDefault("1048576")
        @Min(65536)
        long deadLetterPageBytes();

        /**
         * Bytes of compact records (prompt hash, conversation id, score) a preferences answer sorts
         * in memory before it writes them to a temporary file as one sorted run (an external merge
         * sort: ranked pairs need every conversation's prompt before the first line).
         */
        @WithDefault("16777216")
        @Min(65536)
        long sortBytes();

        /**
         * Most bytes of temporary files one preferences answer writes (its sorted runs, about 150
         * bytes per scored conversation and per pair); an answer that needs more fails with a
         * message naming this key. Deleted when the answer ends, however it ends.
         */
        @WithDefault("268435456")
        @Min(1048576)
        long spillBytes();

        /** Directory of those temporary files (default: the JVM's java.io.tmpdir); size its volume for spill-bytes. */
        Optional<String> spillDir();
    }

    /** Stream keys, one per record kind, and the dead-letter stream. */
    interface Streams {
        @WithDefault("training:events")
        String events();

        @WithDefault("training:tasks")
        String tasks();

        @WithName("tool-executions")
        @WithDefault("training:tool_executions")
        String toolExecutions();

        @WithDefault("training:workflows")
        String workflows();

        @WithDefault("training:messages")
        String messages();

        @WithDefault("training:feedback")
        String feedback();

        @WithName("dead-letter")
        @WithDefault("training:dead-letter")
        String deadLetter();

        default String of(RecordKind kind) {
            return switch (kind) {
                case EVENTS -> events();
                case TASKS -> tasks();
                case TOOL_EXECUTIONS -> toolExecutions();
                case WORKFLOWS -> workflows();
                case MESSAGES -> messages();
                case FEEDBACK -> feedback();
            };
        }
    }

    interface Batch {
        /** Most entries read (XREADGROUP COUNT) and written in one batch per stream. */
        @WithDefault("1000")
        @Min(1)
        @Max(100_000)
        int size();

        /**
         * Longest pause of an idle consumer between two looks for new entries: it backs off from
         * 25 ms to this (a blocking read would fetch an entry of unknown size), so this bounds how
         * long an entry on an idle stream waits before it is read.
         */
        @WithDefault("500ms")
        Duration block();

        /**
         * Consumers each stream has in this replica. Each is its own consumer of the group (named
         * {@code <consumer-name>}, {@code <consumer-name>-2}, ...), so while one writes a batch
         * another reads and parses the next, and PostgreSQL writes on several connections. Two
         * measured best on 2 cores (bench/RESULTS.md): +35% for events, +30% for merged kinds.
         */
        @WithDefault("2")
        @Min(1)
        @Max(16)
        int consumersPerStream();
    }

    interface Delivery {
        /** An entry larger than this (field names and values, UTF-8 bytes) is dead-lettered. */
        @WithDefault("1048576")
        @Min(1024)
        int maxEntryBytes();

        /** First pause after a failed batch; doubles on each further failure. */
        @WithDefault("200ms")
        Duration retryMin();

        /** Longest pause between retries of a failed batch. */
        @WithDefault("10s")
        Duration retryMax();

        /**
         * An entry delivered more than this many times (its write failed, or the consumer holding
         * it died) is dead-lettered with its last error instead of being tried again.
         */
        @WithDefault("5")
        @Min(1)
        int maxDeliveries();

        /** Entries pending this long on any consumer (a replica that died) are claimed by a live one. */
        @WithDefault("60s")
        Duration claimIdle();

        /** How often each consumer looks for entries to claim. */
        @WithDefault("10s")
        Duration claimInterval();

        /** A batch write that has not answered after this long is failed and retried. */
        @WithDefault("30s")
        Duration writeTimeout();
    }

    interface Export {
        /**
         * Exports running at once; one more gets 429. Each holds a PostgreSQL connection for its
         * whole length: keep this well below quarkus.datasource.reactive.max-size.
         */
        @WithDefault("4")
        @Min(1)
        int maxConcurrent();

        /** Rows fetched from the cursor and written to the client at a time. */
        @WithDefault("1000")
        @Min(1)
        int rowsPerChunk();

        Parquet parquet();
    }

    /** format=parquet exports. */
    interface Parquet {
        /**
         * A row group is sent to the client once its encoded, compressed columns reach this size:
         * an export holds about one row group in memory (twice that at the moment it is sent).
         * Larger groups read faster in DuckDB or Spark; keep it below a few hundred MiB.
         */
        @WithDefault("33554432")
        @Min(65536)
        long rowGroupBytes();

        /** Page size inside a column chunk (the unit readers decompress). */
        @WithDefault("1048576")
        @Min(4096)
        int pageBytes();

        /** Column compression: zstd, snappy or uncompressed. */
        @WithDefault("zstd")
        ParquetCompression compression();

        /** zstd level (1 fastest .. 19 smallest); 3 is zstd's own default. */
        @WithDefault("3")
        @Min(1)
        @Max(19)
        int zstdLevel();
    }

    enum ParquetCompression {
        ZSTD, SNAPPY, UNCOMPRESSED
    }

    /** How batches are written into PostgreSQL. */
    interface Store {
        /**
         * Insert-once kinds (events, messages) are written with a binary COPY over JDBC on a worker
         * pool, falling back to {@code INSERT ... ON CONFLICT DO NOTHING} for a batch that holds an
         * identity already stored; false writes them with that statement always (the reactive
         * client, as merged kinds are). The pool is quarkus.datasource.jdbc.max-size: keep it at
         * least 2 x batch.consumers-per-stream.
         */
        @WithDefault("true")
        boolean copy();
    }

    interface Redaction {
        /**
         * Redaction classes applied to every export and dataset whatever the request asks
         * (contract section 7): a comma-separated list of email, phone, ip, card, secret, or all.
         * Unset: only what each request asks. An unknown name fails start-up.
         */
        Optional<String> always();
    }

    interface Ingest {
        /** Largest body of one POST /api/v1/ingest request; a larger one gets 413. */
        @WithDefault("10485760")
        @Min(1024)
        int maxRequestBytes();

        /**
         * Most records in one POST /api/v1/ingest request; more get 413. They are added in one
         * pipelined MULTI/EXEC, so this must stay below quarkus.redis.max-waiting-handlers.
         */
        @WithDefault("10000")
        @Min(1)
        int maxRecords();
    }

    interface Trim {
        /**
         * Trim acknowledged entries from the streams: only entries that every consumer group of
         * the stream has been delivered and has acknowledged.
         */
        @WithDefault("true")
        boolean enabled();

        /** How often each stream is trimmed. */
        @WithDefault("10s")
        Duration interval();
    }

    interface Shutdown {
        /**
         * On SIGTERM, how long the consumers may take to commit and acknowledge the batches in
         * flight; what is not acknowledged by then stays pending for another replica. Keep the
         * pod's terminationGracePeriodSeconds above this.
         */
        @WithDefault("20s")
        Duration drainTimeout();
    }

    interface Health {
        /** Liveness goes DOWN when a consumer has not finished a loop iteration for this long. */
        @WithDefault("2m")
        Duration stallTimeout();
    }

    /**
     * Retention (contract section 8): rows older than their kind's policy are deleted in the
     * background, in transactions of {@code batch-size} rows, by one replica at a time.
     */
    interface Retention {
        /** How long events are kept, on occurred_at (e.g. 90d or P90D); unset: forever. */
        Optional<Duration> events();

        /** How long tasks are kept, on the occurred_at of their newest record; unset: forever. */
        Optional<Duration> tasks();

        @WithName("tool-executions")
        Optional<Duration> toolExecutions();

        Optional<Duration> workflows();

        Optional<Duration> messages();

        Optional<Duration> feedback();

        /** How often the background job runs (on whichever replica takes the lock). */
        @WithDefault("1h")
        Duration interval();

        /**
         * Whether the job runs by itself every {@code interval}; false leaves only
         * POST /api/v1/retention/run.
         */
        @WithDefault("true")
        boolean scheduled();

        /** Most rows archived and deleted in one transaction (memory.retention-batch-bytes bounds their bytes). */
        @WithDefault("5000")
        @Min(1)
        @Max(100_000)
        int batchSize();

        /**
         * Pause after each full batch, so a long run leaves CPU and I/O to ingest and exports
         * (bench/lifecycle.py measures both); 0 runs batches back to back.
         */
        @WithDefault("100ms")
        Duration batchPause();

        /**
         * Where rows are archived (gzip JSON lines under {@code <dir>/<kind>/}) before they are
         * deleted; unset: deleted without an archive.
         */
        Optional<String> archiveDir();

        default Optional<Duration> of(RecordKind kind) {
            return switch (kind) {
                case EVENTS -> events();
                case TASKS -> tasks();
                case TOOL_EXECUTIONS -> toolExecutions();
                case WORKFLOWS -> workflows();
                case MESSAGES -> messages();
                case FEEDBACK -> feedback();
            };
        }
    }

    /** Analytics views (contract section 8). */
    interface Analytics {
        /**
         * How often this replica folds the daily rollup of events and messages per agent
         * ({@code agent_day_counts}, appended to by every write) into one row per day, agent and
         * kind; the views are exact either way, folding keeps the rollup small and fast to read.
         */
        @WithDefault("1m")
        Duration compactInterval();

        /**
         * Most rows one answer holds; a request whose range holds more is refused with 400 before
         * its first byte, saying to narrow the range (contract section 8).
         */
        @WithDefault("100000")
        @Min(1)
        int maxRows();

        /**
         * Analytics requests answered at once; one more gets 429. Each holds a PostgreSQL
         * connection while it streams and its aggregation runs on the database's CPU.
         */
        @WithDefault("2")
        @Min(1)
        int maxConcurrent();
    }
}
