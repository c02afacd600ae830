package ai.trainingstore.version;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.dataset.VersionedDataset;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.store.ReadPool;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowIterator;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Dataset versions (contract section 6.4): created from a validated request, built in the
 * background from one snapshot into compressed chunks while the bytes are hashed, listed, served
 * byte for byte with ranges, deleted. Generic over every {@link VersionedDataset}.
 *
 * <p>A build is claimed with a session advisory lock on its builder's own connection, taken before
 * the version's row exists and held until its final status is written: a version {@code building}
 * whose lock is free has no builder (its process or connection died), and the sweep
 * ({@link #sweep}) marks it failed. Two replicas never build the same version: only the replica
 * that inserted it ever builds it, and an interrupted build is not rebuilt.
 */
@ApplicationScoped
public class VersionService {

    private static final Logger LOG = Logger.getLogger(VersionService.class);
    // Trailing tokens fail: a body of two objects is refused, not read as its first.
    static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    /** The advisory-lock class of version builds ('vers'); the second key is the version id. */
    static final int LOCK_CLASS = 0x7665_7273;
    static final String INTERRUPTED = "build interrupted: its builder stopped (process or database connection lost)"
            + " before the version was complete; create the version again";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-");
    private static final String TABLE = "training_data.dataset_versions";

    private final Pool pool;
    private final ReadPool reads;
    private final ChunkStore chunks;
    private final Map<String, VersionedDataset> datasets = new TreeMap<>();
    private final StoreConfig.Versions config;
    private final VersionMetrics metrics;
    private final Semaphore builds;

    public VersionService(Pool pool, ReadPool reads, ChunkStore chunks, Instance<VersionedDataset> datasets,
                          StoreConfig config, VersionMetrics metrics) {
        this.pool = pool;
        this.reads = reads;
        this.chunks = chunks;
        datasets.forEach(dataset -> this.datasets.put(dataset.name(), dataset));
        this.config = config.versions();
        this.metrics = metrics;
        this.builds = new Semaphore(this.config.maxConcurrentBuilds());
    }

    // ---- Create and build ----

    /** A checked request: the dataset's own parse has accepted the parameters. */
    private record Request(String name, VersionedDataset dataset, JsonNode parameters, VersionedDataset.Build build) {
    }

    /**
     * Checks the body (400 with what to fix), claims a build slot (429 when all are busy), stores
     * the version as {@code building} and starts its build; answers its manifest.
     */
    public Uni<Manifest> create(byte[] body) {
        Request request = request(body);
        reads.requireAvailable();
        if (!builds.tryAcquire()) {
            throw new VersionException(429, config.maxConcurrentBuilds() + " versions are being built, the most"
                    + " allowed on this replica (training-store.versions.max-concurrent-builds); retry when one has"
                    + " finished.", Map.of("Retry-After", "10"));
        }
        return pool.getConnection()
                .onFailure().invoke(() -> builds.release())
                .chain(claim -> claimed(claim, request)
                        .invoke(manifest -> build(manifest, request.build(), claim))
                        .onFailure().call(() -> release(claim, 0)));
    }

    /** The version's id, locked on the builder's connection before its row exists, then the row. */
    private Uni<Manifest> claimed(SqlConnection claim, Request request) {
        return claim.query("SELECT nextval(pg_get_serial_sequence('" + TABLE + "', 'version_id'))").execute()
                .map(rows -> rows.iterator().next().getLong(0))
                .call(id -> claim.preparedQuery("SELECT pg_advisory_lock($1, $2)").execute(lockKey(id)))
                .chain(id -> claim.preparedQuery("INSERT INTO " + TABLE + " (version_id, name, dataset, parameters, status)"
                                + " VALUES ($1, $2, $3, $4::text::jsonb, 'building') RETURNING " + Manifest.COLUMNS)
                        .execute(Tuple.of(id, request.name(), request.dataset().name(), request.parameters().toString())))
                .map(rows -> Manifest.of(rows.iterator().next()));
    }

    /** The build, in the background: its outcome is the version's status, never the POST's answer. */
    private void build(Manifest manifest, VersionedDataset.Build build, SqlConnection claim) {
        long id = manifest.versionId();
        long started = System.nanoTime();
        Chunker chunker = new Chunker(config.chunkBytes(), config.maxBytes(), config.zstdLevel());
        // Hashing and compression are CPU work: on a worker, one item at a time (memory stays flat).
        Multi<List<ChunkStore.Chunk>> cut = Multi.createBy().concatenating().streams(
                build.lines().onItem().transformToUniAndConcatenate(bytes -> onWorker(() -> chunker.add(bytes))),
                Multi.createFrom().deferred(() -> onWorker(chunker::finish).toMulti()));
        // The replica's replay position just before the dataset's snapshot is taken: the snapshot
        // holds at least everything up to it (docs/deploying.md "Read replica").
        reads.position().chain(source -> cut.onItem().transformToIterable(list -> list)
                .onItem().transformToUniAndConcatenate(chunk -> chunks.write(id, chunk))
                .onItem().ignoreAsUni()
                .chain(() -> ready(id, chunker, build.summary(), source)))
                .map(ignored -> Manifest.READY)
                .onFailure().recoverWithUni(failure -> failed(id, failure))
                // Whatever happened, even when the failure could not be recorded: the slot and the lock go back.
                .eventually(() -> release(claim, id))
                .subscribe().with(outcome -> {
                    metrics.built(outcome, Duration.ofNanos(System.nanoTime() - started));
                    LOG.infof("Version %d (%s) %s in %d ms", id, manifest.dataset(), outcome,
                            (System.nanoTime() - started) / 1_000_000);
                    refreshMetrics();
                }, failure -> LOG.errorf(failure, "Version %d: the build's end could not be recorded", id));
    }

    private Uni<Void> ready(long id, Chunker chunker, Supplier<Object> summary, ReadPool.Position source) {
        String summaryJson;
        String sourceJson;
        try {
            summaryJson = JSON.writeValueAsString(summary.get());
            sourceJson = JSON.writeValueAsString(source(source));
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        return pool.preparedQuery("UPDATE " + TABLE + " SET status = 'ready', completed_at = now(), lines = $2,"
                        + " bytes = $3, sha256 = $4, summary = $5::text::jsonb, chunks = $6, stored_bytes = $7,"
                        + " source = $8::text::jsonb WHERE version_id = $1 AND status = 'building'")
                .execute(Tuple.tuple(List.of(id, chunker.lines(), chunker.bytes(), chunker.sha256(), summaryJson,
                        chunker.chunks(), chunker.storedBytes(), sourceJson)))
                .invoke(rows -> {
                    if (rows.rowCount() == 0) {
                        throw new IllegalStateException("the version was deleted or marked failed while it was built");
                    }
                })
                .replaceWithVoid();
    }

    /** A manifest's {@code source}: the replica's replay position, or only {@code replica: false}. */
    private static Map<String, Object> source(ReadPool.Position position) {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("replica", position.replica());
        if (position.replica()) {
            source.put("replay_lsn", position.replayLsn());
            source.put("replay_at", position.replayAt() == null ? null : position.replayAt().toInstant().toString());
        }
        return source;
    }

    /** Marks the version failed with the reason and deletes what was written of it. */
    private Uni<String> failed(long id, Throwable failure) {
        String reason = failure instanceof Chunker.TooLargeException ? failure.getMessage()
                : "the build failed: " + LogText.safe(String.valueOf(failure.getMessage()));
        LOG.warnf("Version %d failed: %s", id, reason);
        return pool.preparedQuery("UPDATE " + TABLE + " SET status = 'failed', completed_at = now(), error = $2"
                        + " WHERE version_id = $1 AND status = 'building'")
                .execute(Tuple.of(id, reason))
                .chain(() -> chunks.delete(id))
                .map(ignored -> Manifest.FAILED);
    }

    /** Gives the claim back: the lock (when taken), the connection, the build slot. */
    private Uni<Void> release(SqlConnection claim, long id) {
        Uni<?> unlock = id == 0 ? Uni.createFrom().voidItem()
                : claim.preparedQuery("SELECT pg_advisory_unlock($1, $2)").execute(lockKey(id));
        return unlock.onFailure().recoverWithNull()
                .eventually(() -> claim.close())
                .eventually(() -> builds.release())
                .replaceWithVoid();
    }

    static Tuple lockKey(long id) {
        return Tuple.of(LOCK_CLASS, (int) (id % Integer.MAX_VALUE));
    }

    private static <T> Uni<T> onWorker(Supplier<T> work) {
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    // ---- The request body ----

    private Request request(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw invalid("The body is not JSON: send {\"name\": \"...\", \"dataset\": \"conversations\","
                    + " \"parameters\": {...}}.");
        }
        if (root == null || !root.isObject()) {
            throw invalid("The body must be a JSON object: {\"name\": \"...\", \"dataset\": \"...\", \"parameters\": {...}}.");
        }
        root.fieldNames().forEachRemaining(field -> {
            if (!List.of("name", "dataset", "parameters").contains(field)) {
                throw invalid("Unknown field '" + LogText.safe(field) + "': the body has name, dataset and parameters.");
            }
        });
        String name = root.path("name").isTextual() ? root.get("name").textValue() : null;
        if (name == null || name.isEmpty() || name.codePointCount(0, name.length()) > 200) {
            throw invalid("'name' is required: a string of 1 to 200 characters that says what the version is for"
                    + " (names need not be unique).");
        }
        String datasetName = root.path("dataset").isTextual() ? root.get("dataset").textValue() : null;
        VersionedDataset dataset = datasetName == null ? null : datasets.get(datasetName);
        if (dataset == null) {
            throw invalid((datasetName == null ? "'dataset' is required" : "Unknown dataset '"
                    + LogText.safe(datasetName) + "'") + ": use one of " + String.join(", ", datasets.keySet()) + ".");
        }
        JsonNode parameters = root.has("parameters") ? root.get("parameters") : JSON.createObjectNode();
        return new Request(name, dataset, parameters, dataset.prepare(query(parameters)));
    }

    /** The parameters as the query string the dataset's GET would parse. */
    private static Map<String, List<String>> query(JsonNode parameters) {
        if (!parameters.isObject()) {
            throw invalid("'parameters' must be an object of the dataset's query parameters, each a string or a"
                    + " list of strings: {\"agent_id\": [\"a\", \"b\"], \"format\": \"openai\"}.");
        }
        Map<String, List<String>> query = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = parameters.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (name.equals("after")) {
                throw invalid("'after' is not allowed in a version's parameters: a version holds the whole answer"
                        + " (narrow it with the filters, a split or limit).");
            }
            JsonNode value = field.getValue();
            List<String> values = new ArrayList<>();
            if (value.isTextual()) {
                values.add(value.textValue());
            } else if (value.isArray() && !value.isEmpty()) {
                value.forEach(item -> values.add(item.isTextual() ? item.textValue() : null));
            }
            if (values.isEmpty() || values.contains(null)) {
                throw invalid("Parameter '" + LogText.safe(name) + "' must be a string or a non-empty list of strings,"
                        + " as it would be written in the dataset's query string (\"limit\": \"100\").");
            }
            query.put(name, values);
        }
        return query;
    }

    private static InvalidExportException invalid(String message) {
        return new InvalidExportException(message);
    }

    // ---- Read ----

    public Uni<Manifest> manifest(String id) {
        long versionId = versionId(id);
        return pool.preparedQuery("SELECT " + Manifest.COLUMNS + " FROM " + TABLE + " WHERE version_id = $1")
                .execute(Tuple.of(versionId))
                .map(rows -> first(rows).map(Manifest::of).orElseThrow(() -> notFound(id)));
    }

    /** A page of versions, newest first. */
    public record Page(List<Manifest> versions, String nextAfter) {
    }

    public Uni<Page> list(Map<String, List<String>> query) {
        query.keySet().stream().filter(name -> !List.of("name", "limit", "after").contains(name)).findFirst()
                .ifPresent(name -> {
                    throw invalid("Unknown parameter '" + LogText.safe(name) + "': the list takes name, limit and after.");
                });
        Optional<String> name = single(query, "name");
        int limit = single(query, "limit").map(VersionService::limit).orElse(DEFAULT_LIMIT);
        Long after = single(query, "after").map(value -> {
            if (!value.matches("\\d{1,18}")) {
                throw invalid("'after' must be a version id (the previous page's next_after), not '"
                        + LogText.safe(value) + "'.");
            }
            return Long.parseLong(value);
        }).orElse(null);
        return pool.preparedQuery("SELECT " + Manifest.COLUMNS + " FROM " + TABLE
                        + " WHERE ($1::text IS NULL OR name = $1) AND ($2::bigint IS NULL OR version_id < $2)"
                        + " ORDER BY version_id DESC LIMIT $3")
                .execute(Tuple.of(name.orElse(null), after, limit + 1))
                .map(rows -> {
                    List<Manifest> versions = new ArrayList<>();
                    rows.forEach(row -> versions.add(Manifest.of(row)));
                    boolean more = versions.size() > limit;
                    List<Manifest> page = more ? versions.subList(0, limit) : versions;
                    return new Page(List.copyOf(page), more ? page.get(page.size() - 1).id() : null);
                });
    }

    private static int limit(String value) {
        if (!value.matches("\\d{1,4}") || Integer.parseInt(value) < 1 || Integer.parseInt(value) > MAX_LIMIT) {
            throw invalid("'limit' must be a number from 1 to " + MAX_LIMIT + ", not '" + LogText.safe(value) + "'.");
        }
        return Integer.parseInt(value);
    }

    private static Optional<String> single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw invalid("'" + name + "' is given " + values.size() + " times: give it once.");
        }
        return Optional.of(values.get(0));
    }

    /** What a download sends: the manifest, the first byte, whether it is a range, its bytes. */
    public record Download(Manifest manifest, long start, boolean partial, boolean gzip, Multi<Buffer> body) {
    }

    /**
     * The version's bytes from the range's start (the whole when {@code range} is null), chunk by
     * chunk as the client takes them: one chunk in memory at a time. 409 while building, 410 when
     * failed, 416 for a range that is not {@code bytes=<start>-} within the bytes. A range is served
     * uncompressed (resuming is by offsets of the version's own bytes).
     */
    public Uni<Download> download(String id, String range, boolean acceptsGzip) {
        return manifest(id).map(manifest -> {
            if (Manifest.BUILDING.equals(manifest.status())) {
                throw new VersionException(409, "Version " + id + " is still being built: poll GET"
                        + " /api/v1/datasets/versions/" + id + " until its status is ready.", Map.of("Retry-After", "5"));
            }
            if (Manifest.FAILED.equals(manifest.status())) {
                throw new VersionException(410, "Version " + id + " failed and has no bytes: " + manifest.error());
            }
            long start = rangeStart(range, manifest.bytes());
            boolean gzip = acceptsGzip && range == null;
            long versionId = manifest.versionId();
            Multi<byte[]> bytes = Multi.createFrom().uni(chunks.chunkAt(versionId, start))
                    .onItem().transformToMultiAndConcatenate(first -> Multi.createFrom().range(first, manifest.chunks()))
                    .onItem().transformToUniAndConcatenate(number -> chunks.read(versionId, number)
                            .emitOn(Infrastructure.getDefaultWorkerPool())
                            .map(chunk -> Chunker.restore(chunk, start)));
            return new Download(manifest, start, range != null, gzip,
                    ExportService.bytes(bytes, gzip, "version " + id));
        });
    }

    private static long rangeStart(String range, long size) {
        if (range == null) {
            return 0;
        }
        Matcher matcher = RANGE.matcher(range.trim());
        if (!matcher.matches()) {
            throw new VersionException(416, "Range '" + LogText.safe(range) + "' is not supported: resume with"
                    + " Range: bytes=<start>- (the offset of the first byte you do not have).",
                    Map.of("Content-Range", "bytes */" + size));
        }
        long start = Long.parseLong(matcher.group(1));
        if (start >= size) {
            throw new VersionException(416, "Range starts at byte " + start + " but the version has " + size
                    + " bytes: you have it all.", Map.of("Content-Range", "bytes */" + size));
        }
        return start;
    }

    // ---- Delete ----

    /** Deletes the version and its bytes (a build still running then fails and cleans up after itself). */
    public Uni<Void> delete(String id) {
        long versionId = versionId(id);
        return pool.preparedQuery("DELETE FROM " + TABLE + " WHERE version_id = $1").execute(Tuple.of(versionId))
                .invoke(rows -> {
                    if (rows.rowCount() == 0) {
                        throw notFound(id);
                    }
                })
                .chain(() -> chunks.delete(versionId))
                .invoke(this::refreshMetrics);
    }

    // ---- Interrupted builds, metrics ----

    /**
     * Marks failed every version {@code building} whose builder's lock is free (its builder is gone)
     * and deletes what it wrote, and the bytes of failed versions a cut connection left behind;
     * then refreshes the gauges. Answers the ids marked failed.
     */
    public Uni<List<Long>> sweep() {
        return pool.preparedQuery("UPDATE " + TABLE + " SET status = 'failed', completed_at = now(), error = $3"
                        + " WHERE status = 'building' AND pg_try_advisory_xact_lock($1, (version_id % $2)::int)"
                        + " RETURNING version_id")
                .execute(Tuple.of(LOCK_CLASS, (long) Integer.MAX_VALUE, INTERRUPTED))
                .map(VersionService::ids)
                .call(interrupted -> interrupted.isEmpty() ? Uni.createFrom().voidItem()
                        : Uni.createFrom().item(() -> {
                            LOG.warnf("Versions %s were left building by a builder that is gone: marked failed", interrupted);
                            return interrupted;
                        }))
                .call(() -> pool.query("SELECT DISTINCT c.version_id FROM training_data.dataset_version_chunks c JOIN "
                                + TABLE + " v USING (version_id) WHERE v.status = 'failed'").execute()
                        .map(VersionService::ids)
                        .onItem().transformToMulti(ids -> Multi.createFrom().iterable(ids))
                        .onItem().transformToUniAndConcatenate(chunks::delete)
                        .onItem().ignoreAsUni())
                .call(this::countForMetrics);
    }

    private static List<Long> ids(RowSet<Row> rows) {
        List<Long> ids = new ArrayList<>();
        rows.forEach(row -> ids.add(row.getLong(0)));
        return ids;
    }

    private void refreshMetrics() {
        countForMetrics().subscribe().with(ignored -> {
        }, failure -> LOG.debugf("Version gauges not refreshed: %s", failure.getMessage()));
    }

    private Uni<Void> countForMetrics() {
        return pool.query("SELECT status, count(*), coalesce(sum(stored_bytes), 0) FROM " + TABLE + " GROUP BY status")
                .execute()
                .invoke(rows -> {
                    Map<String, Long> counts = new LinkedHashMap<>();
                    long bytes = 0;
                    for (Row row : rows) {
                        counts.put(row.getString(0), row.getLong(1));
                        bytes += row.getLong(2);
                    }
                    metrics.counted(counts, bytes);
                })
                .replaceWithVoid();
    }

    // ---- Shared ----

    private static long versionId(String id) {
        if (id == null || !id.matches("[1-9]\\d{0,17}")) {
            throw notFound(id);
        }
        return Long.parseLong(id);
    }

    private static VersionException notFound(String id) {
        return new VersionException(404, "No dataset version '" + LogText.safe(String.valueOf(id))
                + "': list them with GET /api/v1/datasets/versions.");
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        RowIterator<Row> iterator = rows.iterator();
        return iterator.hasNext() ? Optional.of(iterator.next()) : Optional.empty();
    }

    static JsonNode json(String text) {
        if (text == null) {
            return null;
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON unreadable", e);
        }
    }
}
