package ai.trainingstore.deadletter;

import ai.trainingstore.config.StoreConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * How many dead letters each source stream has, without reading the dead letters: a hash
 * {@code <dead-letter stream>:counts} (source stream to count) that the store updates as it adds
 * dead letters and replays them, checked against {@code XLEN} of the dead-letter stream, which is
 * always exact. Counting by reading every dead letter would read each one whole (one kept because it
 * was too large may hold 16 MB) on every call of {@code /api/v1/stats}, which the console polls.
 *
 * <p>Every command touches one key, so this works on Redis Cluster without hash tags. When the
 * counts do not add up to the stream's length (dead letters added or deleted by hand, trimmed,
 * written before this version, or a stats call between an {@code XADD} and its count), they are
 * counted again in Redis, a chunk of entries at a time ({@link DeadLetterReader#countBy}), and the
 * hash replaced: one recount, then cheap again.
 */
@ApplicationScoped
public class DeadLetterCounts {

    private static final Logger LOG = Logger.getLogger(DeadLetterCounts.class);

    /** KEYS[1] the hash; ARGV field, count, field, count...: replaces the hash at once. */
    private static final String REPLACE = """
            redis.call('DEL', KEYS[1])
            if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
            return 1
            """;

    private final ReactiveRedisDataSource redis;
    private final DeadLetterReader reader;
    private final String deadLetterStream;
    private final String key;

    public DeadLetterCounts(ReactiveRedisDataSource redis, DeadLetterReader reader, StoreConfig config) {
        this.redis = redis;
        this.reader = reader;
        this.deadLetterStream = config.streams().deadLetter();
        this.key = deadLetterStream + ":counts";
    }

    /** Dead letters in all, and per source stream (streams without any are absent). */
    public record Counts(long total, Map<String, Long> bySource) {
    }

    /** The hash key that holds the counts. */
    public String key() {
        return key;
    }

    Uni<Void> added(String sourceStream, long count) {
        return redis.execute("HINCRBY", key, sourceStream, Long.toString(count)).replaceWithVoid();
    }

    Uni<Void> removed(String sourceStream) {
        return redis.execute("HINCRBY", key, String.valueOf(sourceStream), "-1").replaceWithVoid();
    }

    /** The counts now: from the hash when it agrees with the stream's length, else counted again. */
    public Uni<Counts> current() {
        return Uni.combine().all().unis(redis.execute("XLEN", deadLetterStream), redis.execute("HGETALL", key))
                .asTuple()
                .chain(replies -> {
                    long length = replies.getItem1().toLong();
                    Map<String, Long> counted = parse(replies.getItem2());
                    long sum = counted.values().stream().mapToLong(Long::longValue).sum();
                    if (sum == length && counted.values().stream().allMatch(n -> n >= 0)) {
                        return Uni.createFrom().item(new Counts(length, positive(counted)));
                    }
                    LOG.debugf("Dead-letter counts add up to %s, the stream %s holds %s: counting again",
                            (Object) sum, deadLetterStream, (Object) length);
                    return recount();
                });
    }

    private Uni<Counts> recount() {
        return reader.countBy(DeadLetters.SOURCE_STREAM)
                .call(counts -> {
                    List<String> args = new ArrayList<>(List.of(REPLACE, "1", key));
                    counts.forEach((source, n) -> {
                        args.add(source);
                        args.add(Long.toString(n));
                    });
                    return redis.execute("EVAL", args.toArray(String[]::new));
                })
                .map(counts -> new Counts(counts.values().stream().mapToLong(Long::longValue).sum(), positive(counts)));
    }

    /** HGETALL's reply: a map (RESP3) or a flat list of field/value pairs (RESP2). */
    private static Map<String, Long> parse(Response hash) {
        Map<String, Long> counts = new LinkedHashMap<>();
        if (hash.getKeys() != null && !hash.getKeys().isEmpty()) {
            hash.getKeys().forEach(field -> counts.put(field, parseCount(hash.get(field).toString())));
        } else {
            for (int i = 0; i + 1 < hash.size(); i += 2) {
                counts.put(hash.get(i).toString(), parseCount(hash.get(i + 1).toString()));
            }
        }
        return counts;
    }

    /** The hash can be written by anyone with Redis access: a value that is no count forces a recount. */
    private static long parseCount(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Map<String, Long> positive(Map<String, Long> counts) {
        Map<String, Long> kept = new LinkedHashMap<>();
        counts.forEach((source, n) -> {
            if (n > 0) {
                kept.put(source, n);
            }
        });
        return kept;
    }
}
