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

/**
 * Reads the dead-letter stream through small Lua scripts, so that a dead letter's values never
 * reach the JVM whole unless the caller asked for that entry and knows its size: a dead letter
 * kept because it was too large may hold values of any size (16 MB, say), and reading a page of
 * them whole exhausts the heap.
 *
 * <p>Each script reads one entry at a time ({@code XRANGE ... COUNT 1}), so Redis' Lua heap holds
 * at most one entry, and touches only the dead-letter stream (one key, so it runs on Redis Cluster
 * too). Lengths are in bytes, as Redis counts them; a value is cut on a UTF-8 character boundary.
 */
@ApplicationScoped
public class DeadLetterReader {

    /** Cuts a value to at most {@code limit} bytes without splitting a UTF-8 character. */
    private static final String CUT = """
            local function cut(s, limit)
              if #s <= limit then return s end
              local n = limit
              while n > 0 do
                local b = string.byte(s, n + 1)
                if b < 128 or b >= 192 then break end
                n = n - 1
              end
              return string.sub(s, 1, n)
            end
            """;

    /**
     * ARGV: start (an id, exclusive with '('), most entries, bytes per value, bytes per page.
     * Returns {more, {id, {name, name bytes, value, value bytes, ...}}, ...}: every name and value
     * cut to the bytes per value, and to what is left of the page's bytes (at least nothing);
     * {@code more} is 1 when the page stopped on its bytes.
     */
    private static final String PAGE = CUT + """
            local start = ARGV[1]
            local count = tonumber(ARGV[2])
            local valueBytes = tonumber(ARGV[3])
            local pageBytes = tonumber(ARGV[4])
            local page = {0}
            local spent = 0
            while #page - 1 < count do
              if spent >= pageBytes then page[1] = 1 break end
              local found = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1)
              if #found == 0 then break end
              local id = found[1][1]
              local fields = found[1][2]
              found = nil
              local shown = {}
              for i = 1, #fields do
                local text = cut(fields[i], math.min(valueBytes, math.max(0, pageBytes - spent)))
                spent = spent + #text
                shown[#shown + 1] = text
                shown[#shown + 1] = #fields[i]
              end
              fields = nil
              page[#page + 1] = {id, shown}
              start = '(' .. id
            end
            return page
            """;

    /**
     * ARGV: start, end, most entries, then the dead letter's own field names. Returns {id, bytes
     * of the whole entry, bytes of the original fields (as the consumer counts them), ...}.
     */
    private static final String SIZES = """
            local own = {}
            for i = 4, #ARGV do own[ARGV[i]] = true end
            local prefix = '%s'
            local sizes = {}
            local start = ARGV[1]
            local count = tonumber(ARGV[3])
            local read = 0
            while read < count do
              local found = redis.call('XRANGE', KEYS[1], start, ARGV[2], 'COUNT', 1)
              if #found == 0 then break end
              local id = found[1][1]
              local fields = found[1][2]
              found = nil
              local whole = 0
              local original = 0
              for i = 1, #fields, 2 do
                local name = fields[i]
                local bytes = #name + #fields[i + 1]
                whole = whole + bytes
                if string.sub(name, 1, #prefix) == prefix and own[string.sub(name, #prefix + 1)] then
                  original = original + bytes - #prefix
                elseif not own[name] then
                  original = original + bytes
                end
              end
              fields = nil
              sizes[#sizes + 1] = id
              sizes[#sizes + 1] = whole
              sizes[#sizes + 1] = original
              read = read + 1
              start = '(' .. id
            end
            return sizes
            """.formatted(DeadLetters.ORIGINAL_PREFIX);

    /**
     * ARGV: start (exclusive), most entries, the field to count by. Returns {last id read or '',
     * value, count, value, count, ...}; an entry without the field counts under ''.
     */
    private static final String COUNT_BY = """
            local start = ARGV[1]
            local count = tonumber(ARGV[2])
            local counts = {}
            local last = ''
            local read = 0
            while read < count do
              local found = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1)
              if #found == 0 then break end
              last = found[1][1]
              local fields = found[1][2]
              found = nil
              local value = ''
              for i = 1, #fields, 2 do
                if fields[i] == ARGV[3] then value = fields[i + 1] break end
              end
              fields = nil
              counts[value] = (counts[value] or 0) + 1
              read = read + 1
              start = '(' .. last
            end
            local reply = {last}
            for value, n in pairs(counts) do
              reply[#reply + 1] = value
              reply[#reply + 1] = n
            end
            return reply
            """;

    /** Entries one {@link #COUNT_BY} call reads: keeps each call short, since Redis runs it alone. */
    private static final int COUNT_CHUNK = 200;

    private final ReactiveRedisDataSource redis;
    private final String deadLetterStream;
    private final int valueBytes;
    private final long pageBytes;

    public DeadLetterReader(ReactiveRedisDataSource redis, StoreConfig config) {
        this.redis = redis;
        this.deadLetterStream = config.streams().deadLetter();
        this.valueBytes = config.memory().deadLetterFieldBytes();
        this.pageBytes = config.memory().deadLetterPageBytes();
    }

    /** A name or value as listed: at most the bytes per value, and how many bytes it really has. */
    public record Shown(String text, long bytes, boolean isCut) {
        /** The marker that follows a cut text, with the value's real size. */
        public static final String CUT_MARKER = "\u2026[cut: %d bytes]";

        static Shown of(Response text, Response bytes) {
            long real = bytes.toLong();
            return new Shown(text.toString(), real, text.toBuffer().length() < real);
        }

        /** The text, followed by the marker when it was cut; {@code transform} applies to the text only. */
        public String marked(java.util.function.UnaryOperator<String> transform) {
            String shown = transform.apply(text);
            return isCut() ? shown + CUT_MARKER.formatted(bytes) : shown;
        }
    }

    /** One dead letter as listed: its fields in stream order, names and values cut. */
    public record Listed(String id, List<Map.Entry<Shown, Shown>> fields) {
    }

    /** Up to {@code count} dead letters from {@code start}; {@code more} when the page stopped on its bytes. */
    public record Page(List<Listed> entries, boolean more) {
    }

    /** Sizes of one dead letter, in bytes: the whole entry and its original fields. */
    public record Size(String id, long wholeBytes, long originalBytes) {
    }

    /** A page of dead letters, every name and value cut to the bytes per value and the page to its bytes. */
    public Uni<Page> page(String start, int count) {
        return eval(PAGE, start, Integer.toString(count), Integer.toString(valueBytes), Long.toString(pageBytes))
                .map(reply -> {
                    List<Listed> entries = new ArrayList<>();
                    for (int i = 1; i < reply.size(); i++) {
                        Response entry = reply.get(i);
                        Response shown = entry.get(1);
                        List<Map.Entry<Shown, Shown>> fields = new ArrayList<>();
                        for (int f = 0; f + 3 < shown.size(); f += 4) {
                            fields.add(Map.entry(Shown.of(shown.get(f), shown.get(f + 1)),
                                    Shown.of(shown.get(f + 2), shown.get(f + 3))));
                        }
                        entries.add(new Listed(entry.get(0).toString(), fields));
                    }
                    return new Page(entries, reply.get(0).toInteger() == 1);
                });
    }

    /** Sizes of up to {@code count} dead letters from {@code start} to {@code end}, without reading them. */
    public Uni<List<Size>> sizes(String start, String end, int count) {
        List<String> args = new ArrayList<>(List.of(start, end, Integer.toString(count)));
        args.addAll(DeadLetters.OWN_FIELDS);
        return eval(SIZES, args.toArray(String[]::new)).map(reply -> {
            List<Size> sizes = new ArrayList<>();
            for (int i = 0; i + 2 < reply.size(); i += 3) {
                sizes.add(new Size(reply.get(i).toString(), reply.get(i + 1).toLong(), reply.get(i + 2).toLong()));
            }
            return sizes;
        });
    }

    /**
     * How many dead letters have each value of {@code field}, counted in Redis a chunk at a time
     * (the dead letters stay there). Entries added or removed meanwhile may be missed or counted.
     */
    public Uni<Map<String, Long>> countBy(String field) {
        Map<String, Long> counts = new LinkedHashMap<>();
        return countFrom("-", field, counts).replaceWith(counts);
    }

    private Uni<Void> countFrom(String start, String field, Map<String, Long> counts) {
        return eval(COUNT_BY, start, Integer.toString(COUNT_CHUNK), field).chain(reply -> {
            for (int i = 1; i + 1 < reply.size(); i += 2) {
                counts.merge(reply.get(i).toString(), reply.get(i + 1).toLong(), Long::sum);
            }
            String last = reply.get(0).toString();
            return last.isEmpty() ? Uni.createFrom().voidItem() : countFrom("(" + last, field, counts);
        });
    }

    private Uni<Response> eval(String script, String... args) {
        String[] command = new String[args.length + 3];
        command[0] = script;
        command[1] = "1";
        command[2] = deadLetterStream;
        System.arraycopy(args, 0, command, 3, args.length);
        return redis.execute("EVAL", command);
    }
}
