package ai.trainingstore.dataset.dedup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only temporary file that holds what one answer must remember but not keep on the heap
 * (signatures, ids); written through a 64 KiB buffer, read back at any position (from the buffer
 * when not yet written), deleted when closed. The file is created only when the buffer first
 * fills, so a small answer never touches the disk. Blocking I/O: used on worker threads only.
 */
final class SpillFile implements AutoCloseable {

    private static final int BUFFER_BYTES = 64 * 1024;

    private final String prefix;
    private final ByteBuffer pending = ByteBuffer.allocate(BUFFER_BYTES);
    private FileChannel channel;
    private long written;
    private boolean closed;

    SpillFile(String prefix) {
        this.prefix = prefix;
    }

    /** Appends {@code bytes}; answers the position they start at. */
    long append(byte[] bytes) {
        long position = size();
        int offset = 0;
        while (offset < bytes.length) {
            if (!pending.hasRemaining()) {
                flush();
            }
            int length = Math.min(pending.remaining(), bytes.length - offset);
            pending.put(bytes, offset, length);
            offset += length;
        }
        return position;
    }

    long size() {
        return written + pending.position();
    }

    /** Reads {@code into.length} bytes from {@code position}. */
    void read(long position, byte[] into) {
        try {
            ByteBuffer target = ByteBuffer.wrap(into);
            while (target.hasRemaining() && position + target.position() < written) {
                int read = channel.read(target, position + target.position());
                if (read < 0) {
                    throw new IOException("temporary file ended at " + (position + target.position()));
                }
            }
            if (target.hasRemaining()) {
                int from = (int) (position + target.position() - written);
                target.put(pending.array(), from, target.remaining());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void flush() {
        try {
            if (channel == null) {
                open();
            }
            pending.flip();
            while (pending.hasRemaining()) {
                written += channel.write(pending, written);
            }
            pending.clear();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private synchronized void open() throws IOException {
        if (closed) {
            throw new IOException("the answer has ended");
        }
        Path path = Files.createTempFile(prefix, ".tmp");
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE);
        } finally {
            // DELETE_ON_CLOSE removes it when closed; if opening failed, remove it now.
            if (channel == null) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Deletes the file; called from whichever thread ends the answer, perhaps while a worker uses it. */
    @Override
    public synchronized void close() {
        closed = true;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
