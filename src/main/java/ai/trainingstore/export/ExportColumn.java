package ai.trainingstore.export;

import ai.trainingstore.kind.Field;
import ai.trainingstore.kind.FieldType;
import ai.trainingstore.kind.RecordKind;
import java.util.ArrayList;
import java.util.List;

/**
 * A column of an export, derived from the kind's fields plus the columns every table has. The
 * merge state of merged kinds ({@code version}, {@code field_versions}, {@code attribute_versions})
 * is internal and not exported.
 */
public record ExportColumn(String name, FieldType type) {

    public static List<ExportColumn> of(RecordKind kind) {
        List<ExportColumn> columns = new ArrayList<>();
        for (Field field : kind.fields()) {
            columns.add(new ExportColumn(field.name(), field.type()));
        }
        columns.add(new ExportColumn("attributes", FieldType.JSON));
        columns.add(new ExportColumn("occurred_at", FieldType.TIMESTAMP));
        if (kind.merges()) {
            columns.add(new ExportColumn("first_occurred_at", FieldType.TIMESTAMP));
        }
        columns.add(new ExportColumn("ingested_at", FieldType.TIMESTAMP));
        columns.add(new ExportColumn("stream_entry_id", FieldType.TEXT));
        return columns;
    }

    /** The select-list expression: JSON as its text, so it is written out without being parsed. */
    String selectExpression() {
        return type.isJson() ? name + "::text AS " + name : name;
    }
}
