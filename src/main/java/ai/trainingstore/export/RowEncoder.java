package ai.trainingstore.export;

import ai.trainingstore.kind.Column;
import ai.trainingstore.redact.Redaction;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import io.vertx.mutiny.sqlclient.Row;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * Turns rows into the bytes of one export format, many rows at a time, into one reused buffer.
 * Timestamps are UTC with their full microsecond precision. Values of the columns that
 * {@link Redaction#redacts(Column)} are redacted on the way (free text and JSON string values).
 */
public abstract class RowEncoder {

    private static final JsonFactory JSON = new JsonFactory();

    protected final List<Column> columns;
    protected final ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
    protected final Redaction redaction;
    /** Per column: whether its values go through the redaction (all false when nothing is asked). */
    protected final boolean[] redacted;
    /** Whether any column is redacted. */
    private final boolean redacting;
    /** The redacted values of the row being written. */
    private String[] current;

    RowEncoder(List<Column> columns, Redaction redaction) {
        this.columns = columns;
        this.redaction = redaction;
        this.redacted = new boolean[columns.size()];
        boolean any = false;
        for (int i = 0; i < columns.size(); i++) {
            redacted[i] = redaction.redacts(columns.get(i));
            any |= redacted[i];
        }
        this.redacting = any;
    }

    static RowEncoder of(ExportRequest.Format format, List<Column> columns, Redaction redaction) {
        return format == ExportRequest.Format.CSV ? new Csv(columns, redaction) : new Jsonl(columns, redaction);
    }

    /** A text column's value, redacted when the column is. */
    protected final String text(Row row, int i) {
        return redacted[i] ? current[i] : row.getString(i);
    }

    /** A JSON column's value as compact JSON text, redacted when the column is. */
    protected final String json(Row row, int i) {
        return redacted[i] ? current[i] : compactJsonb(row.getString(i));
    }

    /** The row's redacted values, in column order (null where a column is not redacted). */
    private String[] redactedValues(Row row) {
        String[] values = new String[columns.size()];
        for (int i = 0; i < values.length; i++) {
            if (redacted[i]) {
                String value = row.getString(i);
                value = value != null && columns.get(i).type().isJson() ? compactJsonb(value) : value;
                values[i] = redaction.column(columns.get(i), value);
            }
        }
        return values;
    }

    /** The redacted values of every row, in row order (on the encoding worker, never the event loop). */
    private String[][] redactedValues(List<Row> rows) {
        String[][] values = new String[rows.size()][];
        fill(values, rows, 0, rows.size());
        return values;
    }

    private void fill(String[][] values, List<Row> rows, int from, int to) {
        for (int r = from; r < to; r++) {
            values[r] = redactedValues(rows.get(r));
        }
    }

    /** The JSON-lines encoder of these columns: a row as the JSONL export writes it, redacted as asked. */
    public static RowEncoder jsonl(List<Column> columns, Redaction redaction) {
        return new Jsonl(columns, redaction);
    }

    /**
     * The select list an encoder reads, in column order (optionally qualified by a table alias):
     * JSON as its text, so it is written out without being parsed.
     */
    public static String selectList(List<Column> columns, String alias) {
        String prefix = alias == null ? "" : alias + ".";
        return columns.stream().map(column -> column.type().isJson()
                        ? prefix + column.name() + "::text AS " + column.name() : prefix + column.name())
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** Bytes that open the export (the CSV header row), possibly empty. */
    abstract byte[] header();

    /** The bytes of these rows (their first columns: the encoder's). */
    public final byte[] encode(List<Row> rows) {
        out.reset();
        try {
            String[][] redactedRows = redacting ? redactedValues(rows) : null;
            for (int r = 0; r < rows.size(); r++) {
                current = redacting ? redactedRows[r] : null;
                write(rows.get(r));
            }
            current = null;
            flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    abstract void write(Row row) throws IOException;

    abstract void flush() throws IOException;

    /**
     * jsonb as PostgreSQL prints it, made compact: its output puts one space after every ':' and
     * ',' outside strings and nothing else, so dropping those is all it takes. Re-parsing with
     * Jackson gives the same text at several times the cost, on the hottest path of an export.
     */
    public static String compactJsonb(String text) {
        // On UTF-8 bytes: JSON's structure is ASCII, and bytes of other characters only occur
        // inside strings. A char at a time through a StringBuilder was a hot spot of exports.
        if (text.indexOf(' ') < 0) {
            return text; // nothing to drop, found by an intrinsic scan ({} and [] mostly)
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int length = compact(utf8, utf8, 0, false);
        return length == utf8.length ? text : new String(utf8, 0, length, StandardCharsets.UTF_8);
    }

    /**
     * Copies jsonb text (UTF-8) into {@code into} from {@code at} without the spaces PostgreSQL
     * adds after ':' and ',' outside strings, and with every quote doubled when
     * {@code doubleQuotes} (for a quoted CSV field): the one pass {@link #compactJsonb} and the
     * CSV encoder share. {@code into} may be {@code utf8} itself when quotes are not doubled (the
     * text only shrinks). Returns the position after the last byte written.
     */
    static int compact(byte[] utf8, byte[] into, int at, boolean doubleQuotes) {
        int length = at;
        boolean inString = false;
        byte previous = 0;
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (inString) {
                if (b == '\\' && i + 1 < utf8.length) {
                    into[length++] = b;
                    b = utf8[++i];
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == ' ' && (previous == ':' || previous == ',')) {
                previous = b;
                continue;
            }
            previous = b;
            into[length++] = b;
            if (doubleQuotes && b == '"') {
                into[length++] = b;
            }
        }
        return length;
    }

    /**
     * {@code uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'} in UTC. Written digit by digit: up to three
     * timestamps a row made DateTimeFormatter a measurable part of an export's CPU time.
     */
    /** An instant as exported: UTC, six fraction digits. */
    public static String instant(java.time.Instant value) {
        return value == null ? null : timestamp(value.atOffset(ZoneOffset.UTC));
    }

    static String timestamp(OffsetDateTime value) {
        if (value == null) {
            return null;
        }
        OffsetDateTime utc = value.getOffset().equals(ZoneOffset.UTC) ? value : value.withOffsetSameInstant(ZoneOffset.UTC);
        char[] text = new char[27];
        digits(text, 0, utc.getYear(), 4);
        text[4] = '-';
        digits(text, 5, utc.getMonthValue(), 2);
        text[7] = '-';
        digits(text, 8, utc.getDayOfMonth(), 2);
        text[10] = 'T';
        digits(text, 11, utc.getHour(), 2);
        text[13] = ':';
        digits(text, 14, utc.getMinute(), 2);
        text[16] = ':';
        digits(text, 17, utc.getSecond(), 2);
        text[19] = '.';
        digits(text, 20, utc.getNano() / 1_000, 6);
        text[26] = 'Z';
        return new String(text);
    }

    /**
     * The shortest decimal text that reads back as the same double (Schubfach, as Java 19+'s
     * Double.toString; Java 17's may print more digits than needed).
     */
    static String shortest(double value) {
        return DoubleToDecimal.toString(value);
    }

    private static void digits(char[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** JSON lines: one object per row, every column, JSON columns nested (compact). */
    static final class Jsonl extends RowEncoder {
        private final JsonGenerator json;
        /** Column names encoded once, not once per row. */
        private final SerializedString[] names;

        Jsonl(List<Column> columns, Redaction redaction) {
            super(columns, redaction);
            names = columns.stream().map(column -> new SerializedString(column.name())).toArray(SerializedString[]::new);
            try {
                json = JSON.createGenerator(out);
                json.enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER.mappedFeature());
                // One object per line, nothing between them but the newline written after each.
                json.setRootValueSeparator(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        byte[] header() {
            return new byte[0];
        }

        @Override
        void write(Row row) throws IOException {
            json.writeStartObject();
            for (int i = 0; i < columns.size(); i++) {
                Column column = columns.get(i);
                json.writeFieldName(names[i]);
                if (row.getValue(i) == null) {
                    json.writeNull();
                    continue;
                }
                switch (column.type()) {
                    case TEXT -> json.writeString(text(row, i));
                    case JSON, JSON_ARRAY -> json.writeRawValue(json(row, i));
                    case INTEGER -> json.writeNumber(row.getLong(i));
                    case NUMBER -> json.writeNumber(row.getDouble(i));
                    case TIMESTAMP -> json.writeString(timestamp(row.getOffsetDateTime(i)));
                    case VERSIONS -> throw new IllegalStateException("merge state is never exported");
                }
            }
            json.writeEndObject();
            json.writeRaw('\n');
        }

        @Override
        void flush() throws IOException {
            json.flush();
        }
    }

    /** RFC 4180 CSV with a header row; JSON columns as compact JSON text; null as an empty field. */
    static final class Csv extends RowEncoder {
        private final CsvFields csv = new CsvFields();

        Csv(List<Column> columns, Redaction redaction) {
            super(columns, redaction);
        }

        @Override
        byte[] header() {
            out.reset();
            columns.forEach(column -> csv.field(column.name()));
            csv.end();
            csv.drainTo(out);
            return out.toByteArray();
        }

        @Override
        void write(Row row) {
            for (int i = 0; i < columns.size(); i++) {
                Object value = row.getValue(i);
                if (value != null && columns.get(i).type().isJson() && !redacted[i]) {
                    csv.compactJsonField(row.getString(i)); // compacted and quoted in one pass
                    continue;
                }
                csv.field(value == null ? null : switch (columns.get(i).type()) {
                    case TEXT -> text(row, i);
                    case JSON, JSON_ARRAY -> json(row, i);
                    case INTEGER -> Long.toString(row.getLong(i));
                    case NUMBER -> shortest(row.getDouble(i));
                    case TIMESTAMP -> timestamp(row.getOffsetDateTime(i));
                    case VERSIONS -> throw new IllegalStateException("merge state is never exported");
                });
            }
            csv.end();
        }

        @Override
        void flush() {
            csv.drainTo(out);
        }
    }
}
