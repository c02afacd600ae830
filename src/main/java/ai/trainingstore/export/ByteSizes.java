package ai.trainingstore.export;

import ai.trainingstore.kind.Column;
import java.util.List;
import java.util.stream.Collectors;

/**
 * SQL expressions for the bytes a value takes once fetched, computed by PostgreSQL before the
 * value itself is fetched, so a reader can ask for no more rows than its budget holds.
 *
 * <p>They are cheap where it matters: {@code octet_length} of text reads the length from the
 * value's header without decompressing it; a jsonb value that is not compressed is measured by its
 * stored size (close to its text, never far below it), and only a compressed jsonb value, which
 * can expand a hundredfold, is rendered to be measured. Every value also counts a fixed overhead,
 * so a row of many tiny values is not taken for nothing.
 */
public final class ByteSizes {

    /** What a value costs besides its bytes: the row decoder's and the encoder's own objects. */
    static final int PER_VALUE = 16;

    private ByteSizes() {
    }

    /** The size of a text (or other varlena) expression. */
    public static String text(String expression) {
        return "coalesce(octet_length(" + expression + "), 0)";
    }

    /** The size of a jsonb expression once rendered as text. */
    public static String jsonb(String expression) {
        return "coalesce(CASE WHEN pg_column_compression(" + expression + ") IS NULL THEN pg_column_size("
                + expression + ") ELSE octet_length(" + expression + "::text) END, 0)";
    }

    /** The size of one column of a kind's table (qualified by {@code alias} when given). */
    public static String of(Column column, String alias) {
        String name = alias == null ? column.name() : alias + "." + column.name();
        return switch (column.type()) {
            case TEXT -> text(name);
            case JSON, JSON_ARRAY -> jsonb(name);
            default -> "8";
        };
    }

    /** The size of a row of these columns, as one int8 expression. */
    public static String row(List<Column> columns, String alias) {
        return "(" + columns.stream().map(column -> of(column, alias)).collect(Collectors.joining(" + "))
                + " + " + PER_VALUE * columns.size() + ")::int8";
    }
}
