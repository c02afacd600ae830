package ai.trainingstore.store;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.ColumnType;
import ai.trainingstore.kind.RecordKind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one set-based statement that writes a batch of one kind: {@code INSERT ... SELECT FROM
 * unnest(arrays)}, one bind parameter per column whatever the batch size, so PostgreSQL plans it
 * once. Insert-once kinds ignore a conflict; merged kinds resolve it per field with the versions
 * kept in the row, which makes the outcome independent of arrival order and of concurrent writers
 * (the row lock of {@code ON CONFLICT DO UPDATE} serializes them).
 *
 * <p>Built only from the kind's fixed column names, never from input.
 */
final class WriteStatement {

    private WriteStatement() {
    }

    static String sql(RecordKind kind) {
        List<String> columns = new ArrayList<>();
        List<String> parameters = new ArrayList<>();
        List<String> selected = new ArrayList<>();
        for (Column column : kind.writtenColumns()) {
            columns.add(column.name());
            parameters.add("$" + (parameters.size() + 1) + "::" + column.type().batchArrayType());
            selected.add(selectExpression(column));
        }
        return "INSERT INTO " + kind.qualifiedTable() + " AS t (" + String.join(", ", columns) + ")\nSELECT "
                + String.join(", ", selected) + "\nFROM unnest(" + String.join(", ", parameters) + ") AS u("
                + String.join(", ", columns) + ")\nON CONFLICT (" + kind.identity() + ") DO "
                + (kind.merges() ? mergeClause(kind) : "NOTHING");
    }

    /** JSON is bound as text and cast here; field versions come as one comma-joined text per row. */
    private static String selectExpression(Column column) {
        if (column.type() == ColumnType.VERSIONS) {
            // unnest cannot take an array of arrays of different lengths.
            return "string_to_array(u." + column.name() + ", ',', '')";
        }
        return column.type().isJson() ? "u." + column.name() + "::jsonb" : "u." + column.name();
    }

    private static String mergeClause(RecordKind kind) {
        List<String> assignments = new ArrayList<>();
        List<String> newestVersions = new ArrayList<>();
        for (int i = 0; i < kind.fields().size(); i++) {
            String column = kind.fields().get(i).name();
            String slot = "[" + (i + 1) + "]";
            if (!column.equals(kind.identity())) {
                assignments.add(column + " = CASE WHEN excluded.field_versions" + slot
                        + " > coalesce(t.field_versions" + slot + ", '') THEN excluded." + column
                        + " ELSE t." + column + " END");
            }
            newestVersions.add("greatest(t.field_versions" + slot + ", excluded.field_versions" + slot + ")");
        }
        String newer = "excluded.version > t.version";
        assignments.add("field_versions = ARRAY[" + String.join(", ", newestVersions) + "]");
        // Merging in no attributes leaves the stored ones as they are (each key keeps its value and
        // version): the common record without extra fields skips two SQL function calls, which cost
        // about as much as the rest of the update together (EXPLAIN ANALYZE, docs/performance.md).
        assignments.add("attributes = CASE WHEN excluded.attributes = '{}' THEN t.attributes ELSE " + RecordKind.SCHEMA
                + ".merge_attributes(t.attributes, t.attribute_versions, excluded.attributes, excluded.attribute_versions) END");
        assignments.add("attribute_versions = CASE WHEN excluded.attribute_versions = '{}' THEN t.attribute_versions ELSE "
                + RecordKind.SCHEMA + ".merge_versions(t.attribute_versions, excluded.attribute_versions) END");
        assignments.add("occurred_at = CASE WHEN " + newer + " THEN excluded.occurred_at ELSE t.occurred_at END");
        assignments.add("stream_entry_id = CASE WHEN " + newer
                + " THEN excluded.stream_entry_id ELSE t.stream_entry_id END");
        assignments.add("version = greatest(t.version, excluded.version)");
        assignments.add("first_occurred_at = least(t.first_occurred_at, excluded.first_occurred_at)");
        assignments.add("ingested_at = now()");
        return "UPDATE SET\n    " + assignments.stream().collect(Collectors.joining(",\n    "));
    }
}
