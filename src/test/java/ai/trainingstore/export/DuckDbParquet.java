package ai.trainingstore.export;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads Parquet files with DuckDB (its own Parquet reader, in-process, nothing of the store's
 * code): the schema as written, the row groups, and the rows with values in comparable form.
 */
final class DuckDbParquet {

    private DuckDbParquet() {
    }

    /** One column of a file's schema as DuckDB's parquet_schema() shows it. */
    record SchemaColumn(String name, String physicalType, String convertedType, String logicalType,
                        String repetition, String duckdbType) {
    }

    static List<SchemaColumn> schema(Path file) throws SQLException {
        List<SchemaColumn> columns = new ArrayList<>();
        for (Map<String, Object> row : query("SELECT name, type, converted_type, logical_type, repetition_type,"
                + " duckdb_type FROM parquet_schema(" + literal(file) + ") WHERE type IS NOT NULL ORDER BY column_id")) {
            columns.add(new SchemaColumn((String) row.get("name"), (String) row.get("type"),
                    (String) row.get("converted_type"), (String) row.get("logical_type"),
                    (String) row.get("repetition_type"), (String) row.get("duckdb_type")));
        }
        return columns;
    }

    /** Rows per row group, in file order. */
    static List<Long> rowGroupSizes(Path file) throws SQLException {
        return query("SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata(" + literal(file)
                + ") GROUP BY row_group_id ORDER BY row_group_id").stream()
                .map(row -> ((Number) row.get("n")).longValue()).toList();
    }

    /** The codec of every column chunk (distinct). */
    static List<String> compressions(Path file) throws SQLException {
        return query("SELECT DISTINCT compression FROM parquet_metadata(" + literal(file) + ")").stream()
                .map(row -> (String) row.get("compression")).toList();
    }

    /**
     * The rows in file order, every column by name: strings (JSON as its text), BIGINT as Long,
     * DOUBLE as Double, timestamps as microseconds since the epoch (Long); SQL null as null.
     */
    static List<Map<String, Object>> rows(Path file, List<String> timestampColumns) throws SQLException {
        List<String> names = schema(file).stream().map(SchemaColumn::name).toList();
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < names.size(); i++) {
            String name = '"' + names.get(i) + '"';
            select.append(i == 0 ? "" : ", ");
            select.append(timestampColumns.contains(names.get(i)) ? "epoch_us(" + name + ")" : name);
            select.append(" AS ").append(name);
        }
        select.append(" FROM read_parquet(").append(literal(file)).append(")");
        return query(select.toString());
    }

    static List<Map<String, Object>> query(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rows.getMetaData();
            List<Map<String, Object>> result = new ArrayList<>();
            while (rows.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    Object value = rows.getObject(i);
                    row.put(meta.getColumnLabel(i), value != null && meta.getColumnTypeName(i).equals("JSON")
                            ? rows.getString(i) : value);
                }
                result.add(row);
            }
            return result;
        }
    }

    private static String literal(Path file) {
        return "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
    }
}
