package ai.trainingstore.deadletter;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetterReader.Size;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.record.ParsedEntry;
import ai.trainingstore.kind.RecordKind;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Lists dead letters and replays them through the normal path: the original fields are added
 * again to their source stream (XADD) and the dead letter is removed (XDEL). An entry that is still
 * bad is not replayed; it stays in the dead-letter stream and its current reason is returned.
 *
 * <p>Neither reads a dead letter whole unless it is small enough to replay: the listing shows
 * values cut in Redis ({@link DeadLetterReader#page}), and replay first asks Redis for each dead
 * letter's size, so one still over {@code training-store.delivery.max-entry-bytes} is answered
 * with that reason unread. Replay always adds the original fields, never a cut copy.
 *
 * <p>An event or message that was sent without its id keeps the identity it would have had,
 * {@code <source stream>/<source id>}, so replaying it twice never stores it twice.
 */
@ApplicationScoped
public class DeadLetterReplay {

    public static final int PAGE = 1000;
    /**
     * Bytes a dead letter's own fields (source stream and id, error text, code, delivery count)
     * may add to the original entry's; a dead letter larger than the entry limit plus this was not
     * written by the store and is not read whole.
     */
    static final long OWN_FIELDS_BYTES = 65_536;

    private final ReactiveStreamCommands<String, String, String> streams;
    private final DeadLetterReader reader;
    private final DeadLetterCounts counts;
    private final EntryParser parser;
    private final StoreConfig config;

    public DeadLetterReplay(ReactiveRedisDataSource redis, DeadLetterReader reader, DeadLetterCounts counts,
                            EntryParser parser, StoreConfig config) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.reader = reader;
        this.counts = counts;
        this.parser = parser;
        this.config = config;
    }

    public record Outcome(String id, String sourceStream, String entryId, String error) {
        public boolean replayed() {
            return entryId != null;
        }
    }

    /**
     * Up to {@code limit} dead letters after the id {@code after} (exclusive), oldest first, names
     * and values cut; fewer when the page reaches its bytes ({@code more} then says so).
     */
    public Uni<DeadLetterReader.Page> list(Optional<String> after, int limit) {
        return reader.page(after.map(id -> "(" + id).orElse("-"), limit);
    }

    /** Replays the listed dead letters, or all of them when {@code ids} is empty. */
    public Uni<List<Outcome>> replay(List<String> ids) {
        Multi<Size> deadLetters = ids.isEmpty() ? everyDeadLetter()
                : Multi.createFrom().iterable(ids)
                        .onItem().transformToUniAndConcatenate(id -> reader.sizes(id, id, 1)
                                .onFailure().recoverWithItem(List.of()))
                        .onItem().transformToIterable(found -> found);
        return deadLetters
                .onItem().transformToUniAndConcatenate(this::replaySized)
                .select().where(outcome -> outcome != null)
                .collect().asList()
                .map(outcomes -> {
                    List<Outcome> all = new ArrayList<>(outcomes);
                    ids.stream()
                            .filter(id -> outcomes.stream().noneMatch(outcome -> outcome.id().equals(id)))
                            .forEach(id -> all.add(new Outcome(id, null, null,
                                    "No dead letter has this id; list them with GET /api/v1/dead-letters.")));
                    return all;
                });
    }

    /** Every dead letter present now, by size, page by page (those replayed while paging are not seen twice). */
    private Multi<Size> everyDeadLetter() {
        return Multi.createBy().repeating()
                .uni(() -> new String[] {"-"}, cursor -> reader.sizes(cursor[0], "+", PAGE)
                        .invoke(page -> {
                            if (!page.isEmpty()) {
                                cursor[0] = "(" + page.get(page.size() - 1).id();
                            }
                        }))
                .until(List::isEmpty)
                .onItem().disjoint();
    }

    /** Replays a dead letter that is small enough to read; null when it is gone meanwhile. */
    private Uni<Outcome> replaySized(Size size) {
        int limit = config.delivery().maxEntryBytes();
        if (size.originalBytes() > limit) {
            return Uni.createFrom().item(new Outcome(size.id(), null, null, String.format(
                    "The entry is still %,d bytes, over the limit of %,d bytes"
                            + " (training-store.delivery.max-entry-bytes): it cannot be replayed as it is;"
                            + " publish it again split or with its large content stored elsewhere.",
                    size.originalBytes(), limit)));
        }
        if (size.wholeBytes() > limit + OWN_FIELDS_BYTES) {
            return Uni.createFrom().item(new Outcome(size.id(), null, null, String.format(
                    "The dead letter's own fields (error, source_stream, ...) are %,d bytes: the store did not"
                            + " write it this way, so it is not replayed; delete it with XDEL.",
                    size.wholeBytes() - size.originalBytes())));
        }
        return streams.xrange(config.streams().deadLetter(), StreamRange.of(size.id(), size.id()), 1)
                .chain(found -> found.isEmpty() ? Uni.createFrom().nullItem() : replayOne(found.get(0)));
    }

    private Uni<Outcome> replayOne(StreamMessage<String, String, String> deadLetter) {
        Map<String, String> entry = deadLetter.payload();
        String sourceStream = entry.get(DeadLetters.SOURCE_STREAM);
        String sourceId = entry.get(DeadLetters.SOURCE_ID);
        Optional<RecordKind> kind = Arrays.stream(RecordKind.values())
                .filter(candidate -> config.streams().of(candidate).equals(sourceStream))
                .findFirst();
        if (kind.isEmpty() || sourceId == null) {
            return Uni.createFrom().item(new Outcome(deadLetter.id(), sourceStream, null,
                    "Its source stream '" + sourceStream + "' is not one of the store's streams"
                            + " (training-store.streams.*): it cannot be replayed."));
        }
        if (entry.containsKey(DeadLetters.CUT_FROM_BYTES)) {
            return Uni.createFrom().item(new Outcome(deadLetter.id(), sourceStream, null, String.format(
                    "The entry was %s bytes, too large to hold, and only the start of its fields was kept: it cannot"
                            + " be replayed. Publish the record again in smaller parts.",
                    entry.get(DeadLetters.CUT_FROM_BYTES))));
        }
        Map<String, String> fields = new LinkedHashMap<>(DeadLetters.originalFields(entry));
        ParsedEntry parsed = parser.parse(kind.get(), sourceStream, sourceId, fields);
        if (!parsed.isAccepted()) {
            return Uni.createFrom().item(new Outcome(deadLetter.id(), sourceStream, null,
                    parsed.rejection().message()));
        }
        if (kind.get().identityDefaultsToEntry()
                && parsed.record().identity().equals(sourceStream + "/" + sourceId)) {
            fields.put(kind.get().identity(), parsed.record().identity());
        }
        return streams.xadd(sourceStream, fields)
                .call(() -> streams.xdel(config.streams().deadLetter(), deadLetter.id())
                        // only the replay that removed it counts it out (two replays may race)
                        .call(removed -> removed > 0 ? counts.removed(sourceStream) : Uni.createFrom().voidItem()))
                .map(newId -> new Outcome(deadLetter.id(), sourceStream, newId, null));
    }
}
