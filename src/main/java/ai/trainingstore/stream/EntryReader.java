package ai.trainingstore.stream;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads stream entries bounded by bytes known before they are fetched: a Lua script
 * ({@code read-entries.lua}) measures the entries ahead and delivers only as many as fit in the
 * bytes granted, atomically, so a consumer never receives more than it asked for. An entry over
 * {@code delivery.max-entry-bytes} comes back cut (each name and value to {@link #CUT_BYTES}) with
 * its real size, so it can be dead-lettered without ever being held whole.
 *
 * <p>Each script call names one key, the stream, so it runs on Redis Cluster too.
 */
final class EntryReader {

    /** Bytes kept of each field name and value of an entry too large to store. */
    static final int CUT_BYTES = 4096;
    /** Bytes kept of such an entry in all (later fields are left out). */
    static final int CUT_TOTAL_BYTES = 32_768;

    private static final String SCRIPT = loadScript();
    private static final String SHA = sha1(SCRIPT);

    private final ReactiveRedisDataSource redis;
    private final String stream;
    private final String group;
    private final String consumer;
    private final int maxEntryBytes;
    private final int count;

    EntryReader(ReactiveRedisDataSource redis, String stream, String group, String consumer, int maxEntryBytes,
                int count) {
        this.redis = redis;
        this.stream = stream;
        this.group = group;
        this.consumer = consumer;
        this.maxEntryBytes = maxEntryBytes;
        this.count = count;
    }

    enum State { OK, CUT, DELETED, GONE }

    /**
     * One entry handled by a read.
     *
     * @param size       the entry's real size (field names and values, bytes); 0 when deleted or gone
     * @param deliveries how often it has been delivered, this delivery included
     * @param fields     the fields held, name, value, name, value...: whole (OK), cut (CUT), none
     *                   (DELETED, GONE); each buffer holds its bytes between position and limit
     */
    record ReadEntry(String id, State state, long size, int deliveries, ByteBuffer[] fields) {

        /** The bytes this entry occupies in the consumer (names and values as received). */
        long heldBytes() {
            long bytes = 0;
            for (ByteBuffer field : fields) {
                bytes += field.remaining();
            }
            return bytes;
        }
    }

    /** The group's next entries (what XREADGROUP > would deliver), as many as fit in {@code budget}. */
    Uni<List<ReadEntry>> readNew(long budget) {
        return run("new", budget, List.of());
    }

    /**
     * Entries pending on this consumer, in the order given, as many as fit in {@code budget}; each
     * entry fetched counts as a delivery. Ids after the last one answered were not handled.
     */
    Uni<List<ReadEntry>> readPending(long budget, List<String> ids) {
        return run("ids", budget, ids);
    }

    private Uni<List<ReadEntry>> run(String mode, long budget, List<String> ids) {
        List<String> args = new ArrayList<>(List.of("1", stream, mode, group, consumer, Long.toString(budget),
                Integer.toString(maxEntryBytes), Integer.toString(Math.min(CUT_BYTES, maxEntryBytes / 8)),
                Integer.toString(Math.min(CUT_TOTAL_BYTES, maxEntryBytes)), Integer.toString(count)));
        args.addAll(ids);
        return call("EVALSHA", SHA, args)
                .onFailure(EntryReader::isScriptMissing).recoverWithUni(() -> call("EVAL", SCRIPT, args))
                .map(EntryReader::entries);
    }

    private Uni<Response> call(String command, String script, List<String> args) {
        List<String> all = new ArrayList<>(args.size() + 1);
        all.add(script);
        all.addAll(args);
        return redis.execute(command, all.toArray(String[]::new));
    }

    private static boolean isScriptMissing(Throwable failure) {
        return String.valueOf(failure.getMessage()).startsWith("NOSCRIPT");
    }

    private static List<ReadEntry> entries(Response reply) {
        List<ReadEntry> entries = new ArrayList<>(reply == null ? 0 : reply.size());
        if (reply == null) {
            return entries;
        }
        for (Response entry : reply) {
            io.vertx.redis.client.Response fieldList = entry.get(4).getDelegate();
            // A plain array, not a map: a map keyed by byte[] hashes by identity and costs an entry
            // object a field, for nothing, since every field is read in order once.
            ByteBuffer[] fields = new ByteBuffer[fieldList.size() & ~1];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = bytesOf(fieldList.get(i));
            }
            entries.add(new ReadEntry(entry.get(0).toString(), State.valueOf(entry.get(1).toString().toUpperCase()),
                    entry.get(2).toLong(), entry.get(3).toInteger(), fields));
        }
        return entries;
    }

    /**
     * A field's bytes where the reply holds them: each bulk string of a reply has its own copy
     * (Vert.x's parser copies it out of the socket's buffer), which {@code toBytes()} would copy once
     * more. Falls back to that copy if the bytes are not in a heap array.
     */
    private static ByteBuffer bytesOf(io.vertx.redis.client.Response field) {
        ByteBuf buffer = field.toBuffer().getByteBuf();
        if (buffer.hasArray()) {
            return ByteBuffer.wrap(buffer.array(), buffer.arrayOffset() + buffer.readerIndex(), buffer.readableBytes());
        }
        return ByteBuffer.wrap(field.toBytes());
    }

    private static String loadScript() {
        try (InputStream in = EntryReader.class.getResourceAsStream("read-entries.lua")) {
            if (in == null) {
                throw new IllegalStateException("read-entries.lua is missing from the application");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
