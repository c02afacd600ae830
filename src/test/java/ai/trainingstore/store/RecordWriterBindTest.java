package ai.trainingstore.store;

import static ai.trainingstore.store.StoreRecords.document;
import static ai.trainingstore.store.StoreRecords.flat;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code RecordWriter.bind}: one array per written column, in the statement's parameter order,
 * each with the element type its {@code $n::type[]} cast expects (String for text, JSON and
 * versions, Long for integers, Double for numbers, OffsetDateTime in UTC for timestamps), one
 * element per record, null where a record has no value.
 */
class RecordWriterBindTest {

    private static final Map<RecordKind, List<StoreRecord>> RECORDS = Map.of(
            RecordKind.EVENTS, List.of(
                    flat(RecordKind.EVENTS, "1-0", "event_id", "e-1", "event_type", "t", "agent_id", "a",
                            "payload", "{\"x\": 1}", "note", "n", "occurred_at", "2026-01-01T01:00:00+01:00"),
                    document(RecordKind.EVENTS, "2-0", "{\"event_type\": \"t\", \"agent_id\": \"a\"}")),
            RecordKind.TASKS, List.of(
                    flat(RecordKind.TASKS, "1-0", "task_id", "t-1", "agent_id", "a", "status", "s", "output", "null"),
                    flat(RecordKind.TASKS, "2-0", "task_id", "t-2", "agent_id", "a", "status", "s", "error", "e")),
            RecordKind.TOOL_EXECUTIONS, List.of(
                    flat(RecordKind.TOOL_EXECUTIONS, "1-0", "execution_id", "x", "agent_id", "a", "tool_name", "t",
                            "duration_ms", "1200"),
                    flat(RecordKind.TOOL_EXECUTIONS, "2-0", "execution_id", "y", "agent_id", "a", "tool_name", "t")),
            RecordKind.WORKFLOWS, List.of(
                    flat(RecordKind.WORKFLOWS, "1-0", "workflow_id", "w", "workflow_type", "t", "phase", "p",
                            "agent_ids", "[\"a\"]")),
            RecordKind.MESSAGES, List.of(
                    flat(RecordKind.MESSAGES, "1-0", "conversation_id", "c", "role", "user", "content", "hi", "seq", "3",
                            "tools", "[]")),
            RecordKind.FEEDBACK, List.of(
                    flat(RecordKind.FEEDBACK, "1-0", "target_kind", "task", "target_id", "t", "name", "n", "value", "0.75"),
                    flat(RecordKind.FEEDBACK, "2-0", "target_kind", "task", "target_id", "t", "name", "m", "label", "ok",
                            "rubric", "v1", "correction", "\"Say which file.\"")));

    private static Class<?> elementType(Column column) {
        return switch (column.type()) {
            case TEXT, JSON, JSON_ARRAY, VERSIONS -> String.class;
            case INTEGER -> Long.class;
            case NUMBER -> Double.class;
            case TIMESTAMP -> OffsetDateTime.class;
        };
    }

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void oneArrayPerWrittenColumnWithTheElementTypeOfItsCast(RecordKind kind) {
        List<StoreRecord> records = RECORDS.get(kind);
        Tuple tuple = RecordWriter.bind(kind, records);
        List<Column> written = kind.writtenColumns();
        assertThat(tuple.size()).as("parameters of %s", kind).isEqualTo(written.size());
        for (int i = 0; i < written.size(); i++) {
            Column column = written.get(i);
            Object array = tuple.getValue(i);
            assertThat(array).as("parameter $%d (%s)", i + 1, column.name()).isInstanceOf(Object[].class);
            assertThat(array.getClass().getComponentType()).as("elements of $%d (%s)", i + 1, column.name())
                    .isEqualTo(elementType(column));
            assertThat((Object[]) array).as("one element per record: %s", column.name()).hasSize(records.size());
        }
    }

    private static Object[] parameter(RecordKind kind, Tuple tuple, String column) {
        List<String> names = kind.writtenColumns().stream().map(Column::name).toList();
        assertThat(names).contains(column);
        return (Object[]) tuple.getValue(names.indexOf(column));
    }

    @Test
    void valuesAreBoundAsTheRecordsHoldThem() {
        Tuple events = RecordWriter.bind(RecordKind.EVENTS, RECORDS.get(RecordKind.EVENTS));
        assertThat(parameter(RecordKind.EVENTS, events, "event_id")).containsExactly("e-1", "training:test/2-0");
        assertThat(parameter(RecordKind.EVENTS, events, "payload")).containsExactly("{\"x\": 1}", null);
        assertThat(parameter(RecordKind.EVENTS, events, "attributes")).containsExactly("{\"note\":\"n\"}", "{}");
        assertThat(parameter(RecordKind.EVENTS, events, "occurred_at")).containsExactly(
                OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
                OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 2_000_000, ZoneOffset.UTC));
        assertThat(parameter(RecordKind.EVENTS, events, "stream_entry_id")).containsExactly("1-0", "2-0");

        Tuple executions = RecordWriter.bind(RecordKind.TOOL_EXECUTIONS, RECORDS.get(RecordKind.TOOL_EXECUTIONS));
        assertThat(parameter(RecordKind.TOOL_EXECUTIONS, executions, "duration_ms")).containsExactly(1200L, null);

        Tuple feedback = RecordWriter.bind(RecordKind.FEEDBACK, RECORDS.get(RecordKind.FEEDBACK));
        assertThat(parameter(RecordKind.FEEDBACK, feedback, "value")).containsExactly(0.75, null);
        assertThat(parameter(RecordKind.FEEDBACK, feedback, "label")).containsExactly(null, "ok");
        assertThat(parameter(RecordKind.FEEDBACK, feedback, "feedback_id")).containsExactly("task/t/n/", "task/t/m/");
        assertThat(parameter(RecordKind.FEEDBACK, feedback, "correction")).containsExactly(null, "\"Say which file.\"");
    }

    @Test
    void mergeStateIsTheVersionAndOneCommaJoinedVersionPerFieldSlot() {
        List<StoreRecord> records = RECORDS.get(RecordKind.FEEDBACK);
        Tuple tuple = RecordWriter.bind(RecordKind.FEEDBACK, records);
        String v1 = records.get(0).version();
        String v2 = records.get(1).version();
        assertThat(parameter(RecordKind.FEEDBACK, tuple, "version")).containsExactly(v1, v2);
        // Slots: target_kind, target_id, name, value, label, comment, source, agent_id, feedback_id, correction.
        assertThat(parameter(RecordKind.FEEDBACK, tuple, "field_versions")).containsExactly(
                String.join(",", v1, v1, v1, v1, "", "", "", "", v1, ""),
                String.join(",", v2, v2, v2, "", v2, "", "", "", v2, v2));
        assertThat(parameter(RecordKind.FEEDBACK, tuple, "attribute_versions")).containsExactly("{}",
                "{\"rubric\":\"" + v2 + "\"}");
        assertThat(parameter(RecordKind.FEEDBACK, tuple, "first_occurred_at"))
                .containsExactly(parameter(RecordKind.FEEDBACK, tuple, "occurred_at"));

        Tuple tasks = RecordWriter.bind(RecordKind.TASKS, RECORDS.get(RecordKind.TASKS));
        String t1 = RECORDS.get(RecordKind.TASKS).get(0).version();
        assertThat(parameter(RecordKind.TASKS, tasks, "field_versions")[0]).as("output sent as null is carried")
                .isEqualTo(String.join(",", t1, t1, t1, "", "", "", t1, "", ""));
    }
}
