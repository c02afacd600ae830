package ai.trainingstore.hostile;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A large request body made on the fly: a prefix, then {@code filler} bytes up to the length, then
 * a suffix; so a test can send 60 MB without holding 60 MB. Optionally it stops after
 * {@code pauseAfter} bytes for {@code pauseMillis}, to see whether the service answers before the
 * body has ended.
 */
final class GeneratedBody extends InputStream {

    private final byte[] prefix;
    private final byte[] suffix;
    private final long length;
    private final byte filler;
    private final long pauseAfter;
    private final long pauseMillis;
    private long position;
    private boolean paused;

    GeneratedBody(String prefix, char filler, long length, String suffix, long pauseAfter, long pauseMillis) {
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
        this.suffix = suffix.getBytes(StandardCharsets.UTF_8);
        this.filler = (byte) filler;
        this.length = length;
        this.pauseAfter = pauseAfter;
        this.pauseMillis = pauseMillis;
    }

    /** An events record whose payload string makes the body {@code length} bytes long. */
    static GeneratedBody eventOf(long length) {
        return new GeneratedBody("{\"event_type\":\"big\",\"agent_id\":\"big\",\"payload\":\"", 'x', length, "\"}",
                -1, 0);
    }

    static GeneratedBody eventOf(long length, long pauseAfter, long pauseMillis) {
        return new GeneratedBody("{\"event_type\":\"big\",\"agent_id\":\"big\",\"payload\":\"", 'x', length, "\"}",
                pauseAfter, pauseMillis);
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int count) {
        if (position >= length) {
            return -1;
        }
        if (pauseAfter >= 0 && !paused && position >= pauseAfter) {
            paused = true;
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        long end = Math.min(length, position + count);
        if (pauseAfter >= 0 && !paused && position < pauseAfter) {
            end = Math.min(end, pauseAfter);
        }
        int n = (int) (end - position);
        for (int i = 0; i < n; i++) {
            long at = position + i;
            if (at < prefix.length) {
                buffer[offset + i] = prefix[(int) at];
            } else if (at >= length - suffix.length) {
                buffer[offset + i] = suffix[(int) (at - (length - suffix.length))];
            } else {
                buffer[offset + i] = filler;
            }
        }
        position = end;
        return n;
    }
}
