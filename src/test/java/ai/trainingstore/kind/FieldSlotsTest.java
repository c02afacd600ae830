package ai.trainingstore.kind;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The named fields of a merged kind are slots of {@code field_versions}, by position: stored rows
 * hold one version per slot. {@code merged-field-slots.txt} records every merged kind's fields in
 * slot order; the current {@link RecordKind#fields()} must start with that list. New fields may
 * only be appended (and are then appended to the file too); a field removed, renamed or moved
 * would make every stored row's versions belong to other fields.
 */
class FieldSlotsTest {

    private static final String RECORDED = "merged-field-slots.txt";

    /** The recorded slots of each merged kind, by kind id, in file order. */
    static Map<String, List<String>> recordedSlots() {
        try (InputStream in = FieldSlotsTest.class.getClassLoader().getResourceAsStream(RECORDED)) {
            assertThat(in).as(RECORDED + " on the test classpath").isNotNull();
            Map<String, List<String>> slots = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String content = line.strip();
                if (content.isEmpty() || content.startsWith("#")) {
                    continue;
                }
                int colon = content.indexOf(':');
                assertThat(colon).as("line '%s' of %s is <kind id>: <fields>", content, RECORDED).isPositive();
                String kind = content.substring(0, colon).strip();
                List<String> fields = Arrays.stream(content.substring(colon + 1).split(",")).map(String::strip).toList();
                assertThat(slots.put(kind, fields)).as("kind %s recorded once", kind).isNull();
            }
            return slots;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fieldNames(RecordKind kind) {
        return kind.fields().stream().map(Column::name).toList();
    }

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void aMergedKindKeepsEveryRecordedSlotInPlace(RecordKind kind) {
        if (!kind.merges()) {
            return;
        }
        List<String> recorded = recordedSlots().get(kind.id());
        assertThat(recorded).as("slots of merged kind %s recorded in %s (add the kind's line)", kind.id(), RECORDED)
                .isNotNull();
        List<String> current = fieldNames(kind);
        assertThat(current.size()).as("%s has at least its %d recorded fields: fields are never removed (%s)",
                kind.id(), recorded.size(), RECORDED).isGreaterThanOrEqualTo(recorded.size());
        for (int slot = 0; slot < recorded.size(); slot++) {
            assertThat(current.get(slot)).as("slot %d of %s: fields are never renamed or moved, only appended (%s)",
                    slot + 1, kind.id(), RECORDED).isEqualTo(recorded.get(slot));
        }
    }

    @Test
    void everyMergedKindIsRecordedAndNothingElse() {
        assertThat(recordedSlots().keySet()).as("kinds in " + RECORDED).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(RecordKind.values()).filter(RecordKind::merges).map(RecordKind::id).toList());
    }

    /**
     * The file keeps up: a field appended to a merged kind is appended to its line in the same
     * change, so that the next change is checked against it too.
     */
    @Test
    void appendedFieldsAreRecordedToo() {
        recordedSlots().forEach((id, recorded) -> assertThat(fieldNames(RecordKind.byId(id).orElseThrow()))
                .as("fields of %s: append the new ones to its line in %s", id, RECORDED).isEqualTo(recorded));
    }

    /** Slots are the named fields only: occurred_at and the shared columns are not slots. */
    @Test
    void slotsAreNamedFieldsOnly() {
        for (RecordKind kind : RecordKind.values()) {
            assertThat(fieldNames(kind)).as("fields of %s", kind.id()).doesNotContain("occurred_at", "attributes",
                    "first_occurred_at", "ingested_at", "stream_entry_id", "version", "field_versions",
                    "attribute_versions").doesNotHaveDuplicates();
        }
    }
}
