package ai.trainingstore.export.parquet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.io.PositionOutputStream;

/**
 * The file's bytes as they are written, kept in blocks of fixed size until the export takes them
 * ({@link #drain}) and sends them. Never seeks and never grows one large array: a row group of many
 * MiB becomes a list of blocks, each sent as it is, without being copied again.
 */
final class ChunkedOutput extends PositionOutputStream {

    static final int BLOCK_BYTES = 256 * 1024;

    private final List<byte[]> full = new ArrayList<>();
    private byte[] block = new byte[BLOCK_BYTES];
    private int used;
    private long position;

    @Override
    public long getPos() {
        return position;
    }

    @Override
    public void write(int b) {
        if (used == block.length) {
            nextBlock();
        }
        block[used++] = (byte) b;
        position++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        position += length;
        while (length > 0) {
            if (used == block.length) {
                nextBlock();
            }
            int n = Math.min(length, block.length - used);
            System.arraycopy(bytes, offset, block, used, n);
            used += n;
            offset += n;
            length -= n;
        }
    }

    /** Everything written since the last drain, in order; the stream is empty afterwards. */
    List<byte[]> drain() {
        List<byte[]> written = new ArrayList<>(full);
        full.clear();
        if (used > 0) {
            written.add(Arrays.copyOf(block, used));
            used = 0;
        }
        return written;
    }

    private void nextBlock() {
        full.add(block);
        block = new byte[BLOCK_BYTES];
        used = 0;
    }
}
