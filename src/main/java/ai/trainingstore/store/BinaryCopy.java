package ai.trainingstore.store;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A batch of an insert-once kind in PostgreSQL's binary COPY format: the {@code COPY} statement and
 * the bytes it reads. The values are the very ones the batch statement binds
 * ({@link RecordWriter#valueOf}), so both paths store the same rows. Binary, not text: measured on
 * 1,000,000 event rows, the server reads it faster (bench/RESULTS.md), and nothing needs escaping.
 *
 * <p>Each value is sent in the binary form of its column's type in the table (text, jsonb, bigint,
 * double precision, timestamptz; {@code CopyPathTest} holds the tables to it): a mismatch
 * would make PostgreSQL refuse every row.
 */
final class BinaryCopy {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** jsonb's binary input: a version byte, then the JSON text. */
    private static final int JSONB_VERSION = 1;
    /** timestamptz in binary: microseconds since 2000-01-01 00:00 UTC. */
    private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L;
    private static final int ROUGH_BYTES_PER_ROW = 512;

    private BinaryCopy() {
    }

    /** {@code COPY <table> (<written columns>) FROM STDIN (FORMAT binary)}: built from the kind's fixed names only. */
    static String sql(RecordKind kind) {
        if (kind.merges()) {
            throw new IllegalArgumentException(kind.id() + " merges: it is written with ON CONFLICT DO UPDATE, not COPY");
        }
        return "COPY " + kind.qualifiedTable() + " ("
                + kind.writtenColumns().stream().map(Column::name).collect(Collectors.joining(", "))
                + ") FROM STDIN (FORMAT binary)";
    }

    /** The whole COPY input of a batch: header, one tuple per record, trailer. */
    static Bytes encode(RecordKind kind, List<StoreRecord> records) {
        List<Column> columns = kind.writtenColumns();
        int[] fields = columns.stream().mapToInt(column -> kind.indexOf(column.name())).toArray();
        Bytes out = new Bytes(64 + records.size() * ROUGH_BYTES_PER_ROW);
        out.write(SIGNATURE, 0, SIGNATURE.length);
        out.int32(0); // flags: no OIDs
        out.int32(0); // header extension length
        for (StoreRecord record : records) {
            out.int16(columns.size());
            for (int i = 0; i < columns.size(); i++) {
                Column column = columns.get(i);
                writeValue(out, column, RecordWriter.valueOf(column, fields[i], record));
            }
        }
        out.int16(-1); // trailer
        return out;
    }

    private static void writeValue(Bytes out, Column column, Object value) {
        if (value == null) {
            out.int32(-1);
            return;
        }
        switch (column.type()) {
            case TEXT -> {
                byte[] text = ((String) value).getBytes(StandardCharsets.UTF_8);
                out.int32(text.length);
                out.write(text, 0, text.length);
            }
            case JSON, JSON_ARRAY -> {
                byte[] json = ((String) value).getBytes(StandardCharsets.UTF_8);
                out.int32(json.length + 1);
                out.write(JSONB_VERSION);
                out.write(json, 0, json.length);
            }
            case INTEGER -> {
                out.int32(8);
                out.int64((Long) value);
            }
            case NUMBER -> {
                out.int32(8);
                out.int64(Double.doubleToLongBits((Double) value));
            }
            case TIMESTAMP -> {
                out.int32(8);
                out.int64(postgresMicros((Instant) value));
            }
            case VERSIONS -> throw new IllegalArgumentException("merge state is never copied: " + column.name());
        }
    }

    /** Microseconds since PostgreSQL's epoch; instants are already truncated to microseconds when decoded. */
    static long postgresMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond() - POSTGRES_EPOCH_SECONDS, 1_000_000L),
                instant.getNano() / 1_000);
    }

    /**
     * A growable buffer written big-endian, whose array is handed to the COPY as it is. Not a
     * ByteArrayOutputStream: its writes are synchronized, and a batch makes tens of thousands.
     */
    static final class Bytes {

        private byte[] buffer;
        private int size;

        Bytes(int capacity) {
            buffer = new byte[capacity];
        }

        byte[] array() {
            return buffer;
        }

        int size() {
            return size;
        }

        void write(int value) {
            room(1);
            buffer[size++] = (byte) value;
        }

        void write(byte[] bytes, int offset, int length) {
            room(length);
            System.arraycopy(bytes, offset, buffer, size, length);
            size += length;
        }

        void int16(int value) {
            room(2);
            buffer[size++] = (byte) (value >>> 8);
            buffer[size++] = (byte) value;
        }

        void int32(int value) {
            room(4);
            for (int shift = 24; shift >= 0; shift -= 8) {
                buffer[size++] = (byte) (value >>> shift);
            }
        }

        void int64(long value) {
            room(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buffer[size++] = (byte) (value >>> shift);
            }
        }

        private void room(int more) {
            if (size + more > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
            }
        }
    }
}
