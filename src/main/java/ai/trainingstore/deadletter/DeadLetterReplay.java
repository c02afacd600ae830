package ai.trainingstore.deadletter;

import ai.trainingstore.config.StoreConfig;
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
 * <p>An event or message that was sent without its id keeps the identity it would have had,
 * {@code <source stream>/<source id>}, so replaying it twice never stores it twice.
 */
@ApplicationScoped
public class DeadLetterReplay {

    public static final int PAGE = 1000;

    private final ReactiveStreamCommands<String, String, String> streams;
    private final EntryParser parser;
    private final StoreConfig config;

    public DeadLetterReplay(ReactiveRedisDataSource redis, EntryParser parser, StoreConfig config) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.parser = parser;
        this.config = config;
    }

    public record Listed(String id, Map<String, String> entry) {
    }

    public record Outcome(String id, String sourceStream, String entryId, String error) {
        public boolean replayed() {
            return entryId != null;
        }
    }

    /** Up to {@code limit} dead letters after the id {@code after} (exclusive), oldest first. */
    public Uni<List<Listed>> list(Optional<String> after, int limit) {
        String start = after.map(id -> "(" + id).orElse("-");
        return streams.xrange(config.streams().deadLetter(), StreamRange.of(start, "+"), limit)
                .map(messages -> messages.stream().map(m -> new Listed(m.id(), m.payload())).toList());
    }

    /** How many dead letters each source stream has. */
    public Uni<Map<String, Long>> countBySource() {
        return everyDeadLetter()
                .collect().in(LinkedHashMap::new, (Map<String, Long> counts, StreamMessage<String, String, String> m) ->
                        counts.merge(String.valueOf(m.payload().get(DeadLetters.SOURCE_STREAM)), 1L, Long::sum));
    }

    /** Replays the listed dead letters, or all of them when {@code ids} is empty. */
    public Uni<List<Outcome>> replay(List<String> ids) {
        Multi<StreamMessage<String, String, String>> deadLetters = ids.isEmpty() ? everyDeadLetter()
                : Multi.createFrom().iterable(ids).onItem().transformToUniAndConcatenate(this::find)
                        .select().where(message -> message != null);
        List<Outcome> notFound = new ArrayList<>();
        return deadLetters
                .onItem().transformToUniAndConcatenate(this::replayOne)
                .collect().asList()
                .map(outcomes -> {
                    List<Outcome> all = new ArrayList<>(outcomes);
                    ids.stream()
                            .filter(id -> outcomes.stream().noneMatch(outcome -> outcome.id().equals(id)))
                            .forEach(id -> notFound.add(new Outcome(id, null, null,
                                    "No dead letter has this id; list them with GET /api/v1/dead-letters.")));
                    all.addAll(notFound);
                    return all;
                });
    }

    private Uni<StreamMessage<String, String, String>> find(String id) {
        return streams.xrange(config.streams().deadLetter(), StreamRange.of(id, id), 1)
                .map(found -> found.isEmpty() ? null : found.get(0))
                .onFailure().recoverWithNull();
    }

    /** Every dead letter present now, page by page (those replayed while paging are not seen twice). */
    private Multi<StreamMessage<String, String, String>> everyDeadLetter() {
        return Multi.createBy().repeating()
                .uni(() -> new String[] {"-"}, cursor -> streams
                        .xrange(config.streams().deadLetter(), StreamRange.of(cursor[0], "+"), PAGE)
                        .invoke(page -> {
                            if (!page.isEmpty()) {
                                cursor[0] = "(" + page.get(page.size() - 1).id();
                            }
                        }))
                .until(List::isEmpty)
                .onItem().disjoint();
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
                .call(() -> streams.xdel(config.streams().deadLetter(), deadLetter.id()))
                .map(newId -> new Outcome(deadLetter.id(), sourceStream, newId, null));
    }
}
