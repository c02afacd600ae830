package ai.trainingstore.store;

import static ai.trainingstore.store.StoreRecords.contents;
import static ai.trainingstore.store.StoreRecords.document;
import static ai.trainingstore.store.StoreRecords.flat;
import static ai.trainingstore.store.StoreRecords.value;
import static ai.trainingstore.store.StoreRecords.version;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The merge rule as the batch fold applies it (contract section 1): each field from the newest
 * record that carries it, newest by (occurred_at, entry id), an explicit null included, an
 * uncarried field never overwriting; attributes key by key; occurred_at, stream entry id and
 * version from the newest record, first_occurred_at the earliest; insert-once kinds keep the first
 * record. And the fold is the same whatever the order and grouping of the records.
 */
class FoldTest {

    private static final RecordKind TASKS = RecordKind.TASKS;

    private static StoreRecord task(String entryId, String occurredAt, String... namesAndValues) {
        List<String> fields = new ArrayList<>(List.of("task_id", "t-1", "agent_id", "a", "status", "s"));
        if (occurredAt != null) {
            fields.addAll(List.of("occurred_at", occurredAt));
        }
        fields.addAll(List.of(namesAndValues));
        // Later pairs replace earlier ones (the defaults above).
        return flat(TASKS, entryId, fields.toArray(String[]::new));
    }

    @Test
    void eachFieldTakesTheValueOfTheNewestRecordCarryingIt() {
        StoreRecord older = task("1-0", "2026-01-01T00:00:00Z", "status", "running", "task_type", "summarize",
                "error", "slow");
        StoreRecord newer = task("2-0", "2026-01-01T00:00:01Z", "status", "done", "output", "{\"ok\": true}");

        StoreRecord folded = Fold.merge(older, newer);
        assertThat(value(folded, "status")).isEqualTo("done");
        assertThat(value(folded, "task_type")).as("carried only by the older record").isEqualTo("summarize");
        assertThat(value(folded, "error")).isEqualTo("slow");
        assertThat(value(folded, "output")).isEqualTo("{\"ok\": true}");
        assertThat(value(folded, "metadata")).as("carried by none").isNull();
        assertThat(version(folded, "metadata")).isNull();
        assertThat(version(folded, "status")).isEqualTo(newer.version());
        assertThat(version(folded, "task_type")).isEqualTo(older.version());
        assertThat(folded.occurredAt()).isEqualTo(Instant.parse("2026-01-01T00:00:01Z"));
        assertThat(folded.firstOccurredAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(folded.streamEntryId()).isEqualTo("2-0");
        assertThat(folded.version()).isEqualTo(newer.version());
        assertThat(contents(Fold.merge(newer, older))).as("the same in either order").isEqualTo(contents(folded));
    }

    @Test
    void anExplicitNullCountsAsCarryingTheField() {
        StoreRecord older = task("1-0", "2026-01-01T00:00:00Z", "output", "{\"draft\": 1}");
        StoreRecord cleared = document(TASKS, "2-0", "{\"task_id\": \"t-1\", \"agent_id\": \"a\", \"status\": \"s\","
                + " \"occurred_at\": \"2026-01-01T00:00:01Z\", \"output\": null, \"note\": null}");

        StoreRecord folded = Fold.merge(cleared, older);
        assertThat(value(folded, "output")).isNull();
        assertThat(version(folded, "output")).isEqualTo(cleared.version());
        assertThat(folded.attributes()).containsEntry("note", NullNode.getInstance());
    }

    @Test
    void aTieOnOccurredAtGoesToTheLaterEntryId() {
        StoreRecord first = task("1767225600123-1", "2026-01-01T00:00:00Z", "status", "first");
        StoreRecord second = task("1767225600123-2", "2026-01-01T00:00:00Z", "status", "second");
        StoreRecord laterMillis = task("1767225600124-0", "2026-01-01T00:00:00Z", "status", "later-millis");
        assertThat(value(Fold.merge(second, first), "status")).isEqualTo("second");
        assertThat(value(Fold.merge(first, second), "status")).isEqualTo("second");
        assertThat(value(Fold.merge(laterMillis, second), "status")).isEqualTo("later-millis");
        assertThat(Fold.merge(first, second).streamEntryId()).isEqualTo("1767225600123-2");
    }

    @Test
    void aRecordWithoutOccurredAtIsAsOldAsItsEntry() {
        StoreRecord timed = task("1767225600123-0", "2026-01-01T00:00:00Z", "status", "timed");
        StoreRecord untimed = task("1767225600500-0", null, "status", "untimed");
        assertThat(untimed.occurredAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00.500Z"));
        assertThat(value(Fold.merge(timed, untimed), "status")).as("its entry's 00:00:00.500 is later than 00:00:00")
                .isEqualTo("untimed");
        StoreRecord sameTime = task("1767225600000-0", null, "status", "same-time");
        assertThat(value(Fold.merge(sameTime, timed), "status")).as("the same instant: the later entry id")
                .isEqualTo("timed");
    }

    @Test
    void attributesMergeKeyByKey() {
        StoreRecord a = document(TASKS, "1-0", "{\"task_id\": \"t-1\", \"agent_id\": \"a\", \"status\": \"s\","
                + " \"occurred_at\": \"2026-01-01T00:00:00Z\", \"host\": \"w1\", \"priority\": 1, \"trace\": \"x\"}");
        StoreRecord b = flat(TASKS, "2-0", "task_id", "t-1", "agent_id", "a", "status", "s",
                "occurred_at", "2026-01-01T00:00:02Z", "priority", "2");
        StoreRecord c = document(TASKS, "3-0", "{\"task_id\": \"t-1\", \"agent_id\": \"a\", \"status\": \"s\","
                + " \"occurred_at\": \"2026-01-01T00:00:01Z\", \"priority\": 3, \"host\": null, \"region\": \"eu\"}");

        StoreRecord folded = Fold.merge(Fold.merge(a, b), c);
        assertThat(folded.attributes()).containsOnlyKeys("host", "priority", "trace", "region");
        assertThat(folded.attributes().get("priority")).as("b is the newest").isEqualTo(TextNode.valueOf("2"));
        assertThat(folded.attributes().get("host")).as("c's null is newer than a's w1").isEqualTo(NullNode.getInstance());
        assertThat(folded.attributes().get("trace")).isEqualTo(TextNode.valueOf("x"));
        assertThat(folded.attributes().get("region")).isEqualTo(TextNode.valueOf("eu"));
        assertThat(folded.attributeVersions()).containsEntry("priority", b.version()).containsEntry("host", c.version())
                .containsEntry("trace", a.version()).containsEntry("region", c.version());
        assertThat(folded.attributes().get("priority")).isNotEqualTo(IntNode.valueOf(3));
    }

    @Test
    void feedbackReScoredKeepsTheNewestValueAndTheLabelOfTheNewestRecordCarryingOne() {
        StoreRecord scored = flat(RecordKind.FEEDBACK, "1-0", "target_kind", "task", "target_id", "t", "name", "reward",
                "value", "0.5", "label", "ok", "occurred_at", "2026-01-01T00:00:00Z");
        StoreRecord rescored = document(RecordKind.FEEDBACK, "2-0", "{\"target_kind\": \"task\", \"target_id\": \"t\","
                + " \"name\": \"reward\", \"value\": 0.9, \"occurred_at\": \"2026-01-01T00:00:01Z\"}");
        StoreRecord late = flat(RecordKind.FEEDBACK, "3-0", "target_kind", "task", "target_id", "t", "name", "reward",
                "value", "-3", "occurred_at", "2025-12-31T00:00:00Z");

        assertThat(scored.identity()).isEqualTo("task/t/reward/").isEqualTo(rescored.identity());
        List<StoreRecord> folded = Fold.byIdentity(List.of(rescored, late, scored));
        assertThat(folded).hasSize(1);
        assertThat(value(folded.get(0), "value")).isEqualTo(0.9);
        assertThat(value(folded.get(0), "label")).isEqualTo("ok");
        assertThat(folded.get(0).firstOccurredAt()).isEqualTo(Instant.parse("2025-12-31T00:00:00Z"));
        assertThat(folded.get(0).streamEntryId()).isEqualTo("2-0");
    }

    @Test
    void byIdentityFoldsMergedKindsAndKeepsTheFirstOfInsertOnceKinds() {
        StoreRecord t1a = task("1-0", "2026-01-01T00:00:01Z", "status", "newer");
        StoreRecord t2 = flat(TASKS, "2-0", "task_id", "t-2", "agent_id", "a", "status", "s");
        StoreRecord t1b = task("3-0", "2026-01-01T00:00:00Z", "status", "older", "error", "e");
        List<StoreRecord> tasks = Fold.byIdentity(List.of(t1a, t2, t1b));
        assertThat(tasks).extracting(StoreRecord::identity).containsExactly("t-1", "t-2");
        assertThat(value(tasks.get(0), "status")).isEqualTo("newer");
        assertThat(value(tasks.get(0), "error")).isEqualTo("e");

        StoreRecord e1 = flat(RecordKind.EVENTS, "1-0", "event_id", "e", "event_type", "first", "agent_id", "a",
                "occurred_at", "2026-01-01T00:00:00Z");
        StoreRecord e2 = flat(RecordKind.EVENTS, "2-0", "event_id", "e", "event_type", "second", "agent_id", "a",
                "occurred_at", "2026-01-02T00:00:00Z");
        List<StoreRecord> events = Fold.byIdentity(List.of(e1, e2));
        assertThat(events).hasSize(1);
        assertThat(contents(events.get(0))).as("insert once: the first delivered, not the newest")
                .isEqualTo(contents(e1));
    }

    @Test
    void theFoldIsTheSameWhateverTheOrderDuplicatesAndGrouping() {
        List<StoreRecord> records = List.of(
                task("1-0", "2026-01-01T00:00:00Z", "status", "queued", "input", "{\"a\": 1}", "p", "low"),
                document(TASKS, "2-0", "{\"task_id\": \"t-1\", \"agent_id\": \"b\", \"status\": \"running\","
                        + " \"occurred_at\": \"2026-01-01T00:00:02Z\", \"output\": null, \"p\": null}"),
                task("3-0", "2026-01-01T00:00:02Z", "status", "tie-later-entry", "error", "x"),
                task("4-0", "2026-01-01T00:00:01Z", "status", "middle", "output", "[1]", "metadata", "{}", "q", "1"),
                task("5-0", null, "status", "untimed-1970", "task_type", "t"));
        List<Object> expected = null;
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<StoreRecord> order = new ArrayList<>(records);
            order.add(records.get(random.nextInt(records.size())));
            Collections.shuffle(order, random);
            // Fold a random prefix first, then fold its result with the rest: batches of any size.
            int split = random.nextInt(order.size() + 1);
            List<StoreRecord> folded = new ArrayList<>(Fold.byIdentity(order.subList(0, split)));
            folded.addAll(order.subList(split, order.size()));
            List<StoreRecord> result = Fold.byIdentity(folded);
            assertThat(result).hasSize(1);
            if (expected == null) {
                expected = contents(result.get(0));
                assertThat(value(result.get(0), "status")).as("ties 2-0 at 00:00:02, later entry id")
                        .isEqualTo("tie-later-entry");
                assertThat(value(result.get(0), "task_type")).as("only the 1970 entry carries it").isEqualTo("t");
                assertThat(value(result.get(0), "agent_id")).isEqualTo("a");
                assertThat(value(result.get(0), "error")).isEqualTo("x");
                assertThat(value(result.get(0), "output")).as("explicit null at 00:00:02 beats [1] at 00:00:01").isNull();
                assertThat(result.get(0).attributes()).containsEntry("p", NullNode.getInstance())
                        .containsEntry("q", TextNode.valueOf("1"));
            }
            assertThat(contents(result.get(0))).as("fold of %s split at %d", order.stream()
                    .map(StoreRecord::streamEntryId).toList(), split).isEqualTo(expected);
        }
    }
}
