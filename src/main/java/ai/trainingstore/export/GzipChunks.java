package ai.trainingstore.export;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip of a streamed export, chunk by chunk: each chunk is compressed and flushed (sync flush) so
 * it can be sent at once, and {@link #finish()} gives the trailer. A stream cut before the trailer
 * is reported as truncated by every gzip reader.
 */
final class GzipChunks {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    private final GZIPOutputStream gzip;

    GzipChunks() {
        try {
            gzip = new GZIPOutputStream(out, 64 * 1024, true) {
                {
                    // Exports are large and streamed: speed matters more than the last few percent.
                    def.setLevel(Deflater.BEST_SPEED);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] compress(byte[] chunk) {
        try {
            gzip.write(chunk);
            gzip.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return take();
    }

    byte[] finish() {
        try {
            gzip.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return take();
    }

    /** What was written since the last take (the first one includes the gzip header). */
    private byte[] take() {
        byte[] bytes = out.toByteArray();
        out.reset();
        return bytes;
    }
}
