package ai.trainingstore.memory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * Sorts records (byte arrays, in unsigned bytewise order) of any number in bounded memory: records
 * are gathered up to {@code memoryBytes}, sorted, and written as one run to a temporary file; the
 * runs are then merged as they are read. Temporary files never hold more than {@code diskBytes}
 * (over it, {@link #add} fails with a message naming {@code limitName}) and are deleted by
 * {@link #close}. No maintained Java library for this resolves from this project's registry
 * (externalsortinginjava does not), and the merge of length-prefixed runs is short.
 *
 * <p>Blocking file I/O: call it on a worker thread, never an event loop. Not thread-safe.
 */
public final class ExternalSort implements AutoCloseable {

    /** What a record costs in memory beyond its bytes (array header, list slot). */
    private static final int RECORD_OVERHEAD = 32;
    private static final Comparator<byte[]> BYTEWISE = Arrays::compareUnsigned;

    private final Path directory;
    private final long memoryBytes;
    private final long diskBytes;
    private final String limitName;
    private final List<Path> runs = new ArrayList<>();
    private final List<DataInputStream> open = new ArrayList<>();
    private List<byte[]> buffered = new ArrayList<>();
    private long bufferedBytes;
    private long written;
    private Path runDirectory;

    public ExternalSort(Path directory, long memoryBytes, long diskBytes, String limitName) {
        this.directory = directory;
        this.memoryBytes = memoryBytes;
        this.diskBytes = diskBytes;
        this.limitName = limitName;
    }

    /** Adds a record; may write a sorted run (blocking). */
    public void add(byte[] record) {
        buffered.add(record);
        bufferedBytes += record.length + RECORD_OVERHEAD;
        if (bufferedBytes >= memoryBytes) {
            spill();
        }
    }

    /** Bytes of the temporary files written so far. */
    public long spilledBytes() {
        return written;
    }

    /** The records added, in bytewise order (blocking reads); call once, after the last {@link #add}. */
    public Iterator<byte[]> sorted() {
        buffered.sort(BYTEWISE);
        if (runs.isEmpty()) {
            List<byte[]> all = buffered;
            buffered = new ArrayList<>();
            return all.iterator();
        }
        spill();
        PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> BYTEWISE.compare(a.record, b.record));
        for (Path run : runs) {
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(run), 1 << 16));
                open.add(in);
                Head head = new Head(in);
                if (head.advance()) {
                    heads.add(head);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not read a sorted run of " + limitName, e);
            }
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !heads.isEmpty();
            }

            @Override
            public byte[] next() {
                Head head = heads.poll();
                if (head == null) {
                    throw new NoSuchElementException();
                }
                byte[] record = head.record;
                if (head.advance()) {
                    heads.add(head);
                }
                return record;
            }
        };
    }

    /** Deletes the temporary files. */
    @Override
    public void close() {
        for (DataInputStream in : open) {
            try {
                in.close();
            } catch (IOException ignored) {
                // deleted below either way
            }
        }
        for (Path run : runs) {
            try {
                Files.deleteIfExists(run);
            } catch (IOException ignored) {
                // the directory delete below reports nothing either: best effort on the way out
            }
        }
        if (runDirectory != null) {
            try {
                Files.deleteIfExists(runDirectory);
            } catch (IOException ignored) {
                // best effort
            }
        }
        buffered = new ArrayList<>();
    }

    private void spill() {
        if (buffered.isEmpty()) {
            return;
        }
        buffered.sort(BYTEWISE);
        long bytes = 0;
        for (byte[] record : buffered) {
            bytes += record.length + 4;
        }
        if (written + bytes > diskBytes) {
            throw new IllegalStateException("the answer needs more than " + diskBytes + " bytes of temporary files"
                    + " (" + limitName + "): raise it, or narrow the request with filters");
        }
        try {
            if (runDirectory == null) {
                Files.createDirectories(directory);
                runDirectory = Files.createTempDirectory(directory, "training-store-sort-");
            }
            Path run = runDirectory.resolve("run-" + runs.size());
            runs.add(run);
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 16))) {
                for (byte[] record : buffered) {
                    out.writeInt(record.length);
                    out.write(record);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write a sorted run to " + directory, e);
        }
        written += bytes;
        buffered = new ArrayList<>();
        bufferedBytes = 0;
    }

    /** The next record of one run. */
    private final class Head {
        final DataInputStream in;
        byte[] record;

        Head(DataInputStream in) {
            this.in = in;
        }

        boolean advance() {
            try {
                int length = in.readInt();
                record = in.readNBytes(length);
                if (record.length != length) {
                    throw new IllegalStateException("a sorted run of " + limitName + " ends inside a record");
                }
                return true;
            } catch (EOFException end) {
                return false;
            } catch (IOException e) {
                throw new UncheckedIOException("could not read a sorted run of " + limitName, e);
            }
        }
    }
}
