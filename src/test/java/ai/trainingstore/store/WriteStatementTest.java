package ai.trainingstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.Column.Role;
import ai.trainingstore.kind.ColumnType;
import ai.trainingstore.kind.RecordKind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The batch statement of each kind, generated from its column list: one {@code $n::type[]}
 * parameter per written column in {@link RecordKind#writtenColumns()} order, the same columns
 * inserted and selected from {@code unnest}, then {@code ON CONFLICT DO NOTHING} for insert-once
 * kinds or, for merged kinds, one version-guarded CASE per named field other than the identity,
 * by its slot.
 */
class WriteStatementTest {

    private static final Pattern STATEMENT = Pattern.compile("INSERT INTO (\\S+) AS t \\(([^)]*)\\)\\nSELECT (.*)"
            + "\\nFROM unnest\\(([^)]*)\\) AS u\\(([^)]*)\\)\\nON CONFLICT \\((\\w+)\\) DO (.*)", Pattern.DOTALL);

    private static Matcher parts(RecordKind kind) {
        Matcher matcher = STATEMENT.matcher(WriteStatement.sql(kind));
        assertThat(matcher.matches()).as("statement of %s:%n%s", kind, WriteStatement.sql(kind)).isTrue();
        return matcher;
    }

    private static List<String> names(List<Column> columns) {
        return columns.stream().map(Column::name).toList();
    }

    private static List<String> split(String list) {
        return List.of(list.split(", "));
    }

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void oneArrayParameterPerWrittenColumnInOrder(RecordKind kind) {
        Matcher statement = parts(kind);
        List<Column> written = kind.writtenColumns();
        assertThat(statement.group(1)).isEqualTo("training_data." + kind.table());
        assertThat(split(statement.group(2))).as("inserted columns").isEqualTo(names(written));
        assertThat(split(statement.group(5))).as("unnest aliases").isEqualTo(names(written));
        List<String> parameters = new ArrayList<>();
        for (int i = 0; i < written.size(); i++) {
            parameters.add("$" + (i + 1) + "::" + written.get(i).type().batchArrayType());
        }
        assertThat(split(statement.group(4))).as("parameters").isEqualTo(parameters);
        assertThat(statement.group(6)).isEqualTo(kind.identity());
    }

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void eachColumnIsSelectedWithItsCast(RecordKind kind) {
        List<String> selected = new ArrayList<>();
        for (Column column : kind.writtenColumns()) {
            selected.add(column.type() == ColumnType.VERSIONS ? "string_to_array(u." + column.name() + ", ',', '')"
                    : column.type().isJson() ? "u." + column.name() + "::jsonb" : "u." + column.name());
        }
        assertThat(parts(kind).group(3)).isEqualTo(String.join(", ", selected));
    }

    @Test
    void theParameterTypesFollowTheColumnTypes() {
        assertThat(ColumnType.TEXT.batchArrayType()).isEqualTo("text[]");
        assertThat(ColumnType.JSON.batchArrayType()).isEqualTo("text[]");
        assertThat(ColumnType.JSON_ARRAY.batchArrayType()).isEqualTo("text[]");
        assertThat(ColumnType.INTEGER.batchArrayType()).isEqualTo("bigint[]");
        assertThat(ColumnType.NUMBER.batchArrayType()).isEqualTo("float8[]");
        assertThat(ColumnType.TIMESTAMP.batchArrayType()).isEqualTo("timestamptz[]");
        assertThat(ColumnType.VERSIONS.batchArrayType()).isEqualTo("text[]");
        assertThat(WriteStatement.sql(RecordKind.FEEDBACK)).contains("$4::float8[]");
        assertThat(RecordKind.FEEDBACK.writtenColumns().get(3).name()).isEqualTo("value");
    }

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void writtenColumnsAreFieldsThenSharedThenMergeStateWithoutIngestedAt(RecordKind kind) {
        List<String> expected = new ArrayList<>(names(kind.fields()));
        expected.add("attributes");
        expected.add("occurred_at");
        if (kind.merges()) {
            expected.add("first_occurred_at");
        }
        expected.add("stream_entry_id");
        if (kind.merges()) {
            expected.addAll(List.of("version", "field_versions", "attribute_versions"));
        }
        assertThat(names(kind.writtenColumns())).isEqualTo(expected);
        assertThat(names(kind.columns())).contains("ingested_at");
    }

    @ParameterizedTest
    @EnumSource(value = RecordKind.class, names = {"EVENTS", "MESSAGES"})
    void insertOnceKindsIgnoreAConflict(RecordKind kind) {
        assertThat(kind.merges()).isFalse();
        assertThat(parts(kind).group(7)).isEqualTo("NOTHING");
        assertThat(WriteStatement.sql(kind)).doesNotContain("UPDATE", "CASE", "field_versions");
    }

    @ParameterizedTest
    @EnumSource(value = RecordKind.class, names = {"TASKS", "TOOL_EXECUTIONS", "WORKFLOWS", "FEEDBACK"})
    void mergedKindsResolveEachNonIdentityFieldByItsSlotVersion(RecordKind kind) {
        String update = parts(kind).group(7);
        assertThat(update).startsWith("UPDATE SET\n    ");
        List<String> assignments = List.of(update.substring("UPDATE SET\n    ".length()).split(",\n    "));

        List<String> expected = new ArrayList<>();
        List<String> greatest = new ArrayList<>();
        List<Column> fields = kind.fields();
        for (int i = 0; i < fields.size(); i++) {
            String name = fields.get(i).name();
            String slot = "[" + (i + 1) + "]";
            if (!name.equals(kind.identity())) {
                expected.add(name + " = CASE WHEN excluded.field_versions" + slot + " > coalesce(t.field_versions"
                        + slot + ", '') THEN excluded." + name + " ELSE t." + name + " END");
            }
            greatest.add("greatest(t.field_versions" + slot + ", excluded.field_versions" + slot + ")");
        }
        expected.add("field_versions = ARRAY[" + String.join(", ", greatest) + "]");
        expected.add("attributes = CASE WHEN excluded.attributes = '{}' THEN t.attributes"
                + " ELSE training_data.merge_attributes(t.attributes, t.attribute_versions,"
                + " excluded.attributes, excluded.attribute_versions) END");
        expected.add("attribute_versions = CASE WHEN excluded.attribute_versions = '{}' THEN t.attribute_versions"
                + " ELSE training_data.merge_versions(t.attribute_versions, excluded.attribute_versions) END");
        expected.add("occurred_at = CASE WHEN excluded.version > t.version THEN excluded.occurred_at"
                + " ELSE t.occurred_at END");
        expected.add("stream_entry_id = CASE WHEN excluded.version > t.version THEN excluded.stream_entry_id"
                + " ELSE t.stream_entry_id END");
        expected.add("version = greatest(t.version, excluded.version)");
        expected.add("first_occurred_at = least(t.first_occurred_at, excluded.first_occurred_at)");
        expected.add("ingested_at = now()");
        assertThat(assignments).isEqualTo(expected);

        long cases = assignments.stream().filter(assignment -> assignment.contains("CASE WHEN excluded.field_versions"))
                .count();
        assertThat(cases).as("one CASE per named field but the identity").isEqualTo(fields.size() - 1);
        assertThat(assignments).noneMatch(assignment -> assignment.startsWith(kind.identity() + " ="));
    }

    @Test
    void feedbackMergesItsValueByTheFourthSlot() {
        assertThat(WriteStatement.sql(RecordKind.FEEDBACK)).contains("value = CASE WHEN excluded.field_versions[4]"
                + " > coalesce(t.field_versions[4], '') THEN excluded.value ELSE t.value END");
        assertThat(WriteStatement.sql(RecordKind.FEEDBACK)).doesNotContain("feedback_id = CASE")
                .contains("greatest(t.field_versions[9], excluded.field_versions[9])");
    }

    @Test
    void onlyTheKindsOwnRolesAreWritten() {
        for (RecordKind kind : RecordKind.values()) {
            assertThat(kind.writtenColumns()).allMatch(column -> column.role().written());
            assertThat(kind.writtenColumns()).noneMatch(column -> column.role() == Role.INGESTED_AT);
        }
    }
}
