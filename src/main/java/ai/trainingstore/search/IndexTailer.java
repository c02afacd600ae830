package ai.trainingstore.search;

import ai.trainingstore.text.LogText;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.jboss.logging.Logger;

/**
 * Keeps this replica's index current: at start it reads every vector of the model (in id order, a page
 * at a time), then tails the table for new ones. Ids are handed out when a row is inserted but become
 * visible when its transaction commits, so a later id can show before an earlier one (several
 * workers or replicas embed at once): ids skipped before a vector embedded within
 * {@link #GAP_TIMEOUT} are remembered and asked for again until that timeout (after which their
 * transaction rolled back or their insert hit a conflict: such ids never appear). That holds from
 * the first page on, since other replicas commit while this one starts; a gap before an older
 * vector is history (a deleted message's vector, a rollback) and is not asked for.
 */
final class IndexTailer extends PollingLoop {

    private static final Logger LOG = Logger.getLogger(IndexTailer.class);
    static final int PAGE = 1000;
    static final Duration GAP_TIMEOUT = Duration.ofSeconds(60);
    /** A jump larger than this is not tracked id by id (a sequence reset, say): vectors then come at the next start. */
    private static final long MAX_GAP = 10_000;

    private final VectorTable table;
    private final VectorIndex index;
    private final ExecutorService thread;
    private final SearchMetrics metrics;
    private final Duration poll;
    private final IngestYield yield;
    private final Map<Long, Long> missingSince = new ConcurrentHashMap<>();
    private volatile long last;
    private volatile boolean caughtUp;

    IndexTailer(VectorTable table, VectorIndex index, Vertx vertx, ExecutorService thread, SearchMetrics metrics,
            Duration poll, IngestYield yield) {
        super(vertx);
        this.table = table;
        this.index = index;
        this.thread = thread;
        this.metrics = metrics;
        this.poll = poll;
        this.yield = yield;
    }

    /** Whether the index has read every vector that existed when this replica started. */
    boolean caughtUp() {
        return caughtUp;
    }

    @Override
    void step() {
        long started = System.nanoTime();
        Uni<List<StoredVector>> late = missingSince.isEmpty() ? Uni.createFrom().item(List.of())
                : table.withIds(missingSince.keySet().toArray(Long[]::new), Embedder.MODEL);
        late.chain(found -> table.after(last, PAGE, Embedder.MODEL, GAP_TIMEOUT).map(page -> new Read(found, page)))
                .emitOn(thread)
                .map(this::apply)
                .subscribe().with(full -> {
                    if (!full) {
                        caughtUp = true;
                    }
                    // Building the graph is CPU work too: a replica that starts (or catches up) while
                    // ingest is behind reads its vectors at the embedders' pace.
                    schedule(yield.after(Duration.ofNanos(System.nanoTime() - started), full ? Duration.ZERO : poll));
                }, failure -> {
                    LOG.warnf("Reading new vectors into the search index failed; retried in %s: %s", poll,
                            LogText.safe(String.valueOf(failure.getMessage())));
                    schedule(poll);
                });
    }

    private record Read(List<StoredVector> late, List<VectorTable.Tailed> page) {
    }

    /** On the index thread: adds what was read and moves the tail on; true when the page was full. */
    private boolean apply(Read read) {
        List<StoredVector> all = new ArrayList<>(read.late());
        read.page().forEach(tailed -> all.add(tailed.vector()));
        read.late().forEach(vector -> missingSince.remove(vector.id()));
        long now = System.currentTimeMillis();
        long expected = last + 1;
        for (VectorTable.Tailed tailed : read.page()) {
            long id = tailed.vector().id();
            if (id > expected && id - expected <= MAX_GAP && tailed.recent()) {
                for (long missing = expected; missing < id; missing++) {
                    missingSince.putIfAbsent(missing, now);
                }
            }
            expected = id + 1;
        }
        missingSince.values().removeIf(since -> now - since > GAP_TIMEOUT.toMillis());
        if (!all.isEmpty()) {
            index.add(all);
        }
        if (!read.page().isEmpty()) {
            last = read.page().get(read.page().size() - 1).vector().id();
        }
        metrics.indexed(index.size());
        return read.page().size() >= PAGE;
    }
}
