package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the Parquet export tests share: downloading a format=parquet export into a file, checking
 * its headers, and the stored rows in the form DuckDB gives them back (worked out in PostgreSQL,
 * not by the exporter's code).
 */
abstract class ParquetTestSupport extends ExportTestSupport {

    static final String PARQUET_TYPE = "application/vnd.apache.parquet";
    /** Parquet's magic, first and last four bytes of every complete file. */
    static final byte[] MAGIC = {'P', 'A', 'R', '1'};

    /** A format=parquet export saved to a temporary file (deleted when the JVM exits). */
    static Path parquet(Kind kind, String... namesAndValues) {
        return parquetWith(null, kind, namesAndValues);
    }

    static Path parquetWith(String acceptEncoding, Kind kind, String... namesAndValues) {
        String[] params = Arrays.copyOf(namesAndValues, namesAndValues.length + 2);
        params[namesAndValues.length] = "format";
        params[namesAndValues.length + 1] = "parquet";
        HttpResponse<byte[]> response = rawGet(acceptEncoding, kind, params);
        assertThat(response.statusCode()).as("status of parquet export %s: %s", List.of(params),
                new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).as("Content-Type").hasValue(PARQUET_TYPE);
        assertThat(response.headers().firstValue("Content-Encoding")).as("never gzip on top of Parquet").isEmpty();
        assertThat(response.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"" + urlName(kind) + ".parquet\"");
        byte[] body = response.body();
        assertThat(Arrays.copyOf(body, 4)).as("starts with Parquet's magic").isEqualTo(MAGIC);
        assertThat(Arrays.copyOfRange(body, body.length - 4, body.length)).as("ends with the footer's magic")
                .isEqualTo(MAGIC);
        return save(body);
    }

    static Path save(byte[] bytes) {
        try {
            Path file = Files.createTempFile("export", ".parquet");
            file.toFile().deleteOnExit();
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> timestampColumns(Kind kind) {
        return exportedColumns(kind).stream().filter(Column::isTimestamp).map(Column::name).toList();
    }

    /** The rows of the file as DuckDB reads them. */
    List<Map<String, Object>> parquetRows(Kind kind, Path file) {
        try {
            return DuckDbParquet.rows(file, timestampColumns(kind));
        } catch (SQLException e) {
            throw new AssertionError("DuckDB cannot read the Parquet export: " + e.getMessage(), e);
        }
    }

    /**
     * The stored rows matching the condition, in export order, as DuckDB must read them from the
     * export: text as stored, JSON as compact text, bigint as Long, double as Double, timestamps as
     * microseconds since the epoch (PostgreSQL's exact extract), null as null.
     */
    List<Map<String, Object>> expectedParquetRows(Kind kind, String condition, Object... parameters) {
        StringBuilder select = new StringBuilder("SELECT ");
        List<Column> columns = exportedColumns(kind);
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            select.append(i == 0 ? "" : ", ");
            if (column.isJson()) {
                select.append(column.name()).append("::text");
            } else if (column.isTimestamp()) {
                select.append("(extract(epoch FROM ").append(column.name()).append(") * 1000000)::bigint");
            } else {
                select.append(column.name());
            }
            select.append(" AS ").append(column.name());
        }
        select.append(" FROM ").append(kind.table()).append(" WHERE ").append(condition)
                .append(" ORDER BY occurred_at, ").append(kind.identity());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> row : query(select.toString(), parameters)) {
            Map<String, Object> expected = new LinkedHashMap<>(row);
            for (Column column : columns) {
                if (column.isJson() && row.get(column.name()) != null) {
                    expected.put(column.name(), compact((String) row.get(column.name())));
                }
            }
            rows.add(expected);
        }
        return rows;
    }

    /** The identity column of each row of a file, in file order. */
    List<String> parquetIdentities(Kind kind, Path file) {
        return parquetRows(kind, file).stream().map(row -> (String) row.get(kind.identity())).toList();
    }
}
