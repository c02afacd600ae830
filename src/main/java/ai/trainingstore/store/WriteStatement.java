package ai.trainingstore.store;

import ai.trainingstore.kind.Field;
import ai.trainingstore.kind.FieldType;
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
        List<String> arrayTypes = new ArrayList<>();
        List<String> selected = new ArrayList<>();
        for (Field field : kind.fields()) {
            columns.add(field.name());
            arrayTypes.add(field.type() == FieldType.INTEGER ? "bigint[]" : "text[]");
            selected.add(field.type().isJson() ? "u." + field.name() + "::jsonb" : "u." + field.name());
        }
        add(columns, arrayTypes, selected, "attributes", "text[]", "u.attributes::jsonb");
        add(columns, arrayTypes, selected, "occurred_at", "timestamptz[]", "u.occurred_at");
        add(columns, arrayTypes, selected, "stream_entry_id", "text[]", "u.stream_entry_id");
        if (kind.merges()) {
            add(columns, arrayTypes, selected, "first_occurred_at", "timestamptz[]", "u.first_occurred_at");
            add(columns, arrayTypes, selected, "version", "text[]", "u.version");
            // One comma-joined string per row: unnest cannot take an array of arrays of different lengths.
            add(columns, arrayTypes, selected, "field_versions", "text[]", "string_to_array(u.field_versions, ',', '')");
            add(columns, arrayTypes, selected, "attribute_versions", "text[]", "u.attribute_versions::jsonb");
        }
        StringBuilder sql = new StringBuilder()
                .append("INSERT INTO ").append(kind.qualifiedTable()).append(" AS t (")
                .append(String.join(", ", columns)).append(")\nSELECT ").append(String.join(", ", selected))
                .append("\nFROM unnest(");
        for (int i = 0; i < arrayTypes.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append('$').append(i + 1).append("::").append(arrayTypes.get(i));
        }
        sql.append(") AS u(").append(String.join(", ", columns)).append(")\nON CONFLICT (")
                .append(kind.identity()).append(") DO ");
        sql.append(kind.merges() ? mergeClause(kind) : "NOTHING");
        return sql.toString();
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
        assignments.add("attributes = " + RecordKind.SCHEMA + ".merge_attributes(t.attributes, t.attribute_versions,"
                + " excluded.attributes, excluded.attribute_versions)");
        assignments.add("attribute_versions = " + RecordKind.SCHEMA
                + ".merge_versions(t.attribute_versions, excluded.attribute_versions)");
        assignments.add("occurred_at = CASE WHEN " + newer + " THEN excluded.occurred_at ELSE t.occurred_at END");
        assignments.add("stream_entry_id = CASE WHEN " + newer
                + " THEN excluded.stream_entry_id ELSE t.stream_entry_id END");
        assignments.add("version = greatest(t.version, excluded.version)");
        assignments.add("first_occurred_at = least(t.first_occurred_at, excluded.first_occurred_at)");
        assignments.add("ingested_at = now()");
        return "UPDATE SET\n    " + assignments.stream().collect(Collectors.joining(",\n    "));
    }

    private static void add(List<String> columns, List<String> types, List<String> selected,
                            String column, String type, String expression) {
        columns.add(column);
        types.add(type);
        selected.add(expression);
    }
}
