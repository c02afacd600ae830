package ai.trainingstore.export;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Cursor;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Two cursors over one snapshot: the sizes of the rows ({@link BoundedQuery#sizesSql()}), read
 * ahead in small rows, and the rows themselves, fetched only as many at a time as the byte budget
 * holds. So the PostgreSQL decoder never holds more than {@code fetchBytes} of rows (a single
 * larger row is fetched on its own), however large the rows are and however they mix.
 *
 * <p>Both cursors live in the caller's transaction on one connection; every method is called from
 * that connection's event loop, one call at a time (the caller waits for each answer).
 */
final class BoundedCursor {

    /** One row's size, and its group key for grouped reads (null otherwise). */
    private record Size(long bytes, String key) {
    }

    private final Cursor sizes;
    private final Cursor rows;
    private final long fetchBytes;
    private final int rowsPerChunk;
    private final ArrayDeque<Size> ahead = new ArrayDeque<>();
    private boolean sizesDone;
    /** Bytes of the chunk answered last. */
    private long lastChunkBytes;

    private final LongConsumer fetched;

    BoundedCursor(Cursor sizes, Cursor rows, long fetchBytes, int rowsPerChunk, LongConsumer fetched) {
        this.fetched = fetched;
        this.sizes = sizes;
        this.rows = rows;
        this.fetchBytes = fetchBytes;
        this.rowsPerChunk = rowsPerChunk;
    }

    /** The next rows, at most {@code fetchBytes} of them (or one row); empty at the end. */
    Uni<List<Row>> nextChunk() {
        return chunk(null);
    }

    /**
     * The next group of consecutive rows with the same key. A group over {@code maxGroupBytes} is
     * still read through (a chunk at a time, each row handed to {@code skipped} and dropped) and
     * answered without its rows. {@link RowGroup#END} at the end.
     */
    Uni<RowGroup> nextGroup(long maxGroupBytes, Consumer<Row> skipped) {
        return fillSizes().chain(() -> {
            if (ahead.isEmpty()) {
                return Uni.createFrom().item(RowGroup.END);
            }
            String key = Objects.requireNonNullElse(ahead.peekFirst().key(), "");
            return readGroup(new GroupBuilder(key, maxGroupBytes, skipped));
        });
    }

    private final class GroupBuilder {
        final String key;
        final long maxBytes;
        final Consumer<Row> skipped;
        List<Row> rows = new ArrayList<>();
        long bytes;

        GroupBuilder(String key, long maxBytes, Consumer<Row> skipped) {
            this.key = key;
            this.maxBytes = maxBytes;
            this.skipped = skipped;
        }

        void add(List<Row> chunk, long chunkBytes) {
            bytes += chunkBytes;
            if (rows != null && bytes > maxBytes) {
                rows.forEach(skipped);
                rows = null; // too large: what was gathered goes, and so does the rest as it comes
            }
            if (rows == null) {
                chunk.forEach(skipped);
            } else {
                rows.addAll(chunk);
            }
        }
    }

    private Uni<RowGroup> readGroup(GroupBuilder group) {
        return chunk(group.key).chain(chunk -> {
            if (chunk.isEmpty()) {
                return Uni.createFrom().item(new RowGroup(group.key, group.rows, group.bytes));
            }
            group.add(chunk, lastChunkBytes);
            return readGroup(group);
        });
    }

    /** Rows while they fit the budget and, when {@code key} is given, carry that key. */
    private Uni<List<Row>> chunk(String key) {
        return fillSizes().chain(() -> {
            int count = 0;
            long bytes = 0;
            for (Size size : ahead) {
                if (count == rowsPerChunk || (key != null && !key.equals(Objects.requireNonNullElse(size.key(), "")))
                        || (count > 0 && bytes + size.bytes() > fetchBytes)) {
                    break;
                }
                bytes += size.bytes();
                count++;
            }
            if (count == 0) {
                return Uni.createFrom().item(List.<Row>of());
            }
            for (int i = 0; i < count; i++) {
                ahead.removeFirst();
            }
            lastChunkBytes = bytes;
            fetched.accept(bytes);
            int expected = count;
            return rows.read(count).map(read -> rowsOf(read, expected));
        });
    }

    private static List<Row> rowsOf(RowSet<Row> read, int expected) {
        if (read.size() != expected) {
            // Both cursors read one snapshot in one order: this is a bug in a query pair.
            throw new IllegalStateException("the rows and their sizes disagree: " + read.size() + " rows for "
                    + expected + " sizes");
        }
        List<Row> list = new ArrayList<>(expected);
        read.forEach(list::add);
        return list;
    }

    /** Reads sizes ahead until a whole chunk's worth is known (sizes are small: a few dozen bytes a row). */
    private Uni<Void> fillSizes() {
        if (sizesDone || ahead.size() >= rowsPerChunk) {
            return Uni.createFrom().voidItem();
        }
        return sizes.read(2 * rowsPerChunk).invoke(read -> {
            boolean grouped = read.columnsNames().size() > 1;
            for (Row row : read) {
                ahead.addLast(new Size(Math.max(1, row.getLong(0)), grouped ? row.getString(1) : null));
            }
            sizesDone = !sizes.hasMore();
        }).replaceWithVoid();
    }
}
