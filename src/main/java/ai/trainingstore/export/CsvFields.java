package ai.trainingstore.export;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * RFC 4180 records built as UTF-8 bytes: fields separated by commas, records ended by CRLF, a
 * field quoted when it holds a comma, a quote, CR or LF (its quotes doubled), an empty string as
 * {@code ""} and null as nothing, so the two stay apart.
 *
 * <p>Why not a CSV library: this is the hottest loop of a CSV export. Jackson's CSV generator went
 * through its databind layer and a char buffer one char at a time and was the largest part of an
 * export's CPU time in the profile. Here each value is encoded once ({@link String#getBytes}, a
 * plain copy for ASCII), scanned with {@link String#indexOf} and copied in runs into one
 * unsynchronized array: no per-char calls, no locks (ByteArrayOutputStream's writes are
 * synchronized, and small writes per quote added up).
 */
public final class CsvFields {

    private byte[] bytes = new byte[64 * 1024];
    private int size;
    private boolean first = true;

    /** The next field of the record: null is an empty field, "" a quoted empty one. */
    public CsvFields field(String value) {
        // UTF-8 of a Latin-1 string is one vectorized check and copy when it is ASCII.
        byte[] utf8 = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        int length = utf8 == null ? 0 : utf8.length;
        // Room for the worst case: every byte a doubled quote, two quotes, a comma.
        ensure(2 * length + 3);
        if (!first) {
            bytes[size++] = ',';
        }
        first = false;
        if (utf8 == null) {
            return this;
        }
        // String.indexOf is an intrinsic (vectorized) scan; a byte loop was a fifth of the encoder.
        int quote = value.indexOf('"');
        if (length > 0 && quote < 0 && value.indexOf(',') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            System.arraycopy(utf8, 0, bytes, size, length);
            size += length;
            return this;
        }
        bytes[size++] = '"';
        if (length == value.length()) {
            // ASCII: char positions are byte positions, so runs between quotes are copied whole.
            int run = 0;
            while (quote >= 0) {
                System.arraycopy(utf8, run, bytes, size, quote + 1 - run);
                size += quote + 1 - run;
                bytes[size++] = '"';
                run = quote + 1;
                quote = value.indexOf('"', run);
            }
            System.arraycopy(utf8, run, bytes, size, length - run);
            size += length - run;
        } else {
            // A quote byte never occurs inside a multi-byte UTF-8 sequence.
            for (byte b : utf8) {
                bytes[size++] = b;
                if (b == '"') {
                    bytes[size++] = '"';
                }
            }
        }
        bytes[size++] = '"';
        return this;
    }

    /**
     * The next field: jsonb text as PostgreSQL prints it, written compact
     * ({@link RowEncoder#compactJsonb}) and quoted as {@link #field} would quote the compact text,
     * in one pass over its bytes rather than compacting to a new String and encoding that again.
     * Compacting only drops spaces, so the text needs quotes exactly when it does before.
     */
    CsvFields compactJsonField(String jsonb) {
        byte[] utf8 = jsonb.getBytes(StandardCharsets.UTF_8);
        ensure(2 * utf8.length + 3);
        if (!first) {
            bytes[size++] = ',';
        }
        first = false;
        boolean quoted = utf8.length == 0 || jsonb.indexOf('"') >= 0 || jsonb.indexOf(',') >= 0
                || jsonb.indexOf('\n') >= 0 || jsonb.indexOf('\r') >= 0;
        if (quoted) {
            bytes[size++] = '"';
        }
        size = RowEncoder.compact(utf8, bytes, size, quoted);
        if (quoted) {
            bytes[size++] = '"';
        }
        return this;
    }

    /** Ends the record. */
    public void end() {
        ensure(2);
        bytes[size++] = '\r';
        bytes[size++] = '\n';
        first = true;
    }

    /** Moves the records written so far to {@code out} and starts again empty. */
    public void drainTo(ByteArrayOutputStream out) {
        out.write(bytes, 0, size);
        size = 0;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, size + more));
        }
    }
}
