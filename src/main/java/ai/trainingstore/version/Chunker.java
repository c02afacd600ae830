package ai.trainingstore.version;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Cuts a build's bytes into chunks of {@code chunkBytes} uncompressed bytes, compressed with zstd,
 * while it hashes exactly those bytes (SHA-256) and counts bytes and lines. Holds at most one
 * chunk's bytes. Over {@code maxBytes} it refuses the rest. Used from one thread at a time.
 */
final class Chunker {

    /** A build that would write more than training-store.versions.max-bytes. */
    static final class TooLargeException extends RuntimeException {
        TooLargeException(String message) {
            super(message, null, false, false);
        }
    }

    private final int chunkBytes;
    private final long maxBytes;
    private final int zstdLevel;
    private final MessageDigest sha256;
    private final ByteArrayOutputStream pending;
    private long bytes;
    private long lines;
    private long storedBytes;
    private int chunks;

    Chunker(int chunkBytes, long maxBytes, int zstdLevel) {
        this.chunkBytes = chunkBytes;
        this.maxBytes = maxBytes;
        this.zstdLevel = zstdLevel;
        this.pending = new ByteArrayOutputStream(chunkBytes);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The chunks these bytes complete (none while a chunk is still filling). */
    List<ChunkStore.Chunk> add(byte[] data) {
        if (bytes + data.length > maxBytes) {
            throw new TooLargeException("the version is over training-store.versions.max-bytes (" + maxBytes
                    + " bytes): narrow the parameters (filters, limit, a split) or raise the setting");
        }
        sha256.update(data);
        bytes += data.length;
        for (byte b : data) {
            if (b == '\n') {
                lines++;
            }
        }
        List<ChunkStore.Chunk> full = new ArrayList<>();
        int offset = 0;
        while (offset < data.length) {
            int taken = Math.min(chunkBytes - pending.size(), data.length - offset);
            pending.write(data, offset, taken);
            offset += taken;
            if (pending.size() == chunkBytes) {
                full.add(cut());
            }
        }
        return full;
    }

    /** The last, partial chunk (none when the bytes ended on a chunk's end). */
    List<ChunkStore.Chunk> finish() {
        return pending.size() == 0 ? List.of() : List.of(cut());
    }

    private ChunkStore.Chunk cut() {
        byte[] raw = pending.toByteArray();
        pending.reset();
        byte[] compressed = Zstd.compress(raw, zstdLevel);
        storedBytes += compressed.length;
        long start = (long) chunks * chunkBytes;
        return new ChunkStore.Chunk(chunks++, start, raw.length, compressed);
    }

    /** The uncompressed bytes of a stored chunk from {@code from} (an offset inside it) on. */
    static byte[] restore(ChunkStore.Chunk chunk, long from) {
        byte[] raw = Zstd.decompress(chunk.data(), chunk.length());
        int skip = (int) Math.max(0, from - chunk.startOffset());
        return skip == 0 ? raw : Arrays.copyOfRange(raw, skip, raw.length);
    }

    long bytes() {
        return bytes;
    }

    long lines() {
        return lines;
    }

    long storedBytes() {
        return storedBytes;
    }

    int chunks() {
        return chunks;
    }

    /** Once every byte was added: lowercase hex. */
    String sha256() {
        return HexFormat.of().formatHex(sha256.digest());
    }
}
