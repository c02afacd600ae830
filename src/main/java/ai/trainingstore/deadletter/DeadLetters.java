package ai.trainingstore.deadletter;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Rejection;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies entries that cannot be stored to the dead-letter stream: {@code source_stream},
 * {@code source_id}, {@code error} (a sentence a person can act on), {@code error_code},
 * {@code delivery_count} (for entries that hit the delivery limit), {@code cut_from_bytes} (for an
 * entry too large to hold: its real size; each of its fields is cut, so it can never be replayed),
 * then the entry's original fields. An original field named like one of those (a task's own {@code error}, say) is kept as
 * {@code original.<name>} so that nothing is overwritten.
 */
@ApplicationScoped
public class DeadLetters {

    public static final String SOURCE_STREAM = "source_stream";
    public static final String SOURCE_ID = "source_id";
    public static final String ERROR = "error";
    public static final String ERROR_CODE = "error_code";
    public static final String DELIVERY_COUNT = "delivery_count";
    public static final String CUT_FROM_BYTES = "cut_from_bytes";
    public static final String ORIGINAL_PREFIX = "original.";
    static final Set<String> OWN_FIELDS = Set.of(SOURCE_STREAM, SOURCE_ID, ERROR, ERROR_CODE,
            DELIVERY_COUNT, CUT_FROM_BYTES);

    private final ReactiveStreamCommands<String, String, String> streams;
    private final String deadLetterStream;
    private final DeadLetterCounts counts;

    public DeadLetters(ReactiveRedisDataSource redis, StoreConfig config, DeadLetterCounts counts) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.deadLetterStream = config.streams().deadLetter();
        this.counts = counts;
    }

    /**
     * @param deliveryCount how often the entry was delivered; 0 when it was refused on sight
     * @param cutFromBytes  the entry's real size when {@code fields} are cut (too large to hold); 0 when whole
     */
    public record DeadLetter(String sourceId, Map<String, String> fields, Rejection rejection, int deliveryCount,
                             long cutFromBytes) {

        public DeadLetter(String sourceId, Map<String, String> fields, Rejection rejection, int deliveryCount) {
            this(sourceId, fields, rejection, deliveryCount, 0);
        }
    }

    /** Adds every dead letter to the stream; succeeds only once all of them are added. */
    public Uni<Void> publish(String sourceStream, List<DeadLetter> deadLetters) {
        if (deadLetters.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<String>> adds = deadLetters.stream()
                .map(deadLetter -> streams.xadd(deadLetterStream, toEntry(sourceStream, deadLetter)))
                .toList();
        return Uni.join().all(adds).andFailFast()
                .call(() -> counts.added(sourceStream, deadLetters.size()))
                .replaceWithVoid();
    }

    /** The fields the entry was published with, from a dead-letter entry. */
    public static Map<String, String> originalFields(Map<String, String> deadLetterEntry) {
        Map<String, String> original = new LinkedHashMap<>();
        deadLetterEntry.forEach((name, value) -> {
            String originalName = originalName(name);
            if (originalName != null) {
                original.put(originalName, value);
            }
        });
        return original;
    }

    /**
     * The name a dead-letter field had in the original entry; null for the dead letter's own
     * fields ({@code error}, ...).
     */
    public static String originalName(String deadLetterField) {
        if (deadLetterField.startsWith(ORIGINAL_PREFIX)
                && OWN_FIELDS.contains(deadLetterField.substring(ORIGINAL_PREFIX.length()))) {
            return deadLetterField.substring(ORIGINAL_PREFIX.length());
        }
        return OWN_FIELDS.contains(deadLetterField) ? null : deadLetterField;
    }

    static Map<String, String> toEntry(String sourceStream, DeadLetter deadLetter) {
        Map<String, String> entry = new LinkedHashMap<>();
        entry.put(SOURCE_STREAM, sourceStream);
        entry.put(SOURCE_ID, deadLetter.sourceId());
        entry.put(ERROR, deadLetter.rejection().message());
        entry.put(ERROR_CODE, deadLetter.rejection().reason().code());
        if (deadLetter.deliveryCount() > 0) {
            entry.put(DELIVERY_COUNT, Integer.toString(deadLetter.deliveryCount()));
        }
        if (deadLetter.cutFromBytes() > 0) {
            entry.put(CUT_FROM_BYTES, Long.toString(deadLetter.cutFromBytes()));
        }
        if (deadLetter.fields() != null) {
            deadLetter.fields().forEach((name, value) ->
                    entry.put(OWN_FIELDS.contains(name) ? ORIGINAL_PREFIX + name : name, value));
        }
        return entry;
    }
}
