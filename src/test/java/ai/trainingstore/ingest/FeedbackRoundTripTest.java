package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Feedback (contract section 1) comes back from PostgreSQL with every column as sent, in both
 * encodings: {@code value} stored as {@code double precision} whether it came as a JSON number or
 * as text holding one, the default identity {@code <target_kind>/<target_id>/<name>/<source>} (an
 * absent source as empty text), an explicit {@code feedback_id}, a label only, both, unknown fields
 * in {@code attributes}, {@code occurred_at} and {@code first_occurred_at} in UTC, and
 * {@code stream_entry_id}.
 */
@QuarkusTest
class FeedbackRoundTripTest extends StoreTestSupport {

    private static final String MILLIS = "1767225600123";
    private static final Instant AT_MILLIS = Instant.ofEpochMilli(1767225600123L);

    @Test
    void valueIsStoredAsDoublePrecision() {
        assertThat(query("SELECT data_type FROM information_schema.columns WHERE table_schema = 'training_data'"
                + " AND table_name = 'training_feedback' AND column_name = 'value'").get(0).get("data_type"))
                .isEqualTo("double precision");
    }

    @Test
    void flatFeedbackIsStoredWithEveryColumn() {
        String id = unique("feedback");
        String target = unique("task");
        String entryId = xadd(FEEDBACK,
                "feedback_id", id, "target_kind", "task", "target_id", target, "name", "correctness",
                "value", "0.75", "label", "good", "comment", "clear, but 1 step missing", "source", "human",
                "agent_id", "agent-9", "occurred_at", "2026-03-01T10:15:30.123456+02:00",
                "rubric", "v2", "reviewer", "{\"name\":\"alice\"}");

        assertStored(id, entryId, columns(
                "feedback_id", id, "target_kind", "task", "target_id", target, "name", "correctness",
                "value", 0.75, "label", "good", "comment", "clear, but 1 step missing", "source", "human",
                "agent_id", "agent-9", "correction", null,
                // A flat field the kind does not name is kept as its text, even when it looks like JSON.
                "attributes", json("{\"rubric\": \"v2\", \"reviewer\": \"{\\\"name\\\":\\\"alice\\\"}\"}"),
                "occurred_at", Instant.parse("2026-03-01T08:15:30.123456Z"),
                "first_occurred_at", Instant.parse("2026-03-01T08:15:30.123456Z"),
                "stream_entry_id", entryId));
        assertThat(query("SELECT pg_typeof(value)::text AS type, value = 0.75::float8 AS exact"
                + " FROM training_data.training_feedback WHERE feedback_id = ?", id).get(0))
                .containsEntry("type", "double precision").containsEntry("exact", true);
    }

    @Test
    void documentFeedbackIsStoredWithEveryColumn() {
        String id = unique("feedback");
        String target = unique("message");
        String entryId = xadd(FEEDBACK, "data", """
                {"feedback_id": "%s", "target_kind": "message", "target_id": "%s", "name": "helpfulness",
                 "value": 4, "label": "helpful", "comment": null, "source": "model", "agent_id": "judge-1",
                 "occurred_at": %s, "scale": {"min": 1, "max": 5}, "votes": [1, 2.50], "draft": false, "gone": null}
                """.formatted(id, target, MILLIS));

        assertStored(id, entryId, columns(
                "feedback_id", id, "target_kind", "message", "target_id", target, "name", "helpfulness",
                "value", 4.0, "label", "helpful", "comment", null, "source", "model", "agent_id", "judge-1",
                "correction", null,
                "attributes", json("{\"scale\": {\"min\": 1, \"max\": 5}, \"votes\": [1, 2.5], \"draft\": false,"
                        + " \"gone\": null}"),
                "occurred_at", AT_MILLIS,
                "first_occurred_at", AT_MILLIS,
                "stream_entry_id", entryId));
    }

    /** The contract's own example: an absent source counts as empty text, {@code task/t-1/reward/}. */
    @Test
    void feedbackWithoutIdAndSourceIsIdentifiedByTargetAndNameWithAnEmptySource() {
        String target = unique("t");
        String flatEntry = xadd(FEEDBACK, "target_kind", "task", "target_id", target, "name", "reward",
                "value", "-3");
        String expectedId = "task/" + target + "/reward/";
        assertStored(expectedId, flatEntry, columns(
                "feedback_id", expectedId, "target_kind", "task", "target_id", target, "name", "reward",
                "value", -3.0, "label", null, "comment", null, "source", null, "agent_id", null, "correction", null,
                "attributes", json("{}"),
                "occurred_at", entryTime(flatEntry),
                "first_occurred_at", entryTime(flatEntry),
                "stream_entry_id", flatEntry));
    }

    @Test
    void feedbackWithoutIdIsIdentifiedByTargetKindTargetIdNameAndSource() {
        String conversation = unique("conversation");
        String documentEntry = xadd(FEEDBACK, "data", """
                {"target_kind": "conversation", "target_id": "%s", "name": "thumbs", "label": "up",
                 "source": "human", "feedback_id": null, "occurred_at": "2026-01-01T00:00:00-05:00"}
                """.formatted(conversation));
        String expectedId = "conversation/" + conversation + "/thumbs/human";
        assertStored(expectedId, documentEntry, columns(
                "feedback_id", expectedId, "target_kind", "conversation", "target_id", conversation,
                "name", "thumbs", "value", null, "label", "up", "comment", null, "source", "human",
                "agent_id", null, "correction", null, "attributes", json("{}"),
                "occurred_at", Instant.parse("2026-01-01T05:00:00Z"),
                "first_occurred_at", Instant.parse("2026-01-01T05:00:00Z"),
                "stream_entry_id", documentEntry));
    }

    /**
     * Each target kind of the contract is accepted, and {@code value} is the same double whether
     * sent flat as text, in a document as text, or in a document as a JSON number.
     */
    @Test
    void valueIsTheSameDoubleWhetherSentAsJsonNumberOrAsText() {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("0.75", 0.75);
        values.put("-3", -3.0);
        values.put("1e-3", 0.001);
        values.put("0.1", 0.1);
        values.put("2", 2.0);
        values.put("-0", 0.0);
        values.put("1.7976931348623157e308", Double.MAX_VALUE);
        values.put("4.9e-324", Double.MIN_VALUE);
        values.put("123456789012345678901234567890", 1.2345678901234568e29);
        List<String> targetKinds = List.of("event", "task", "tool_execution", "workflow", "message", "conversation");
        Map<String, Double> expected = new LinkedHashMap<>();
        int i = 0;
        for (var value : values.entrySet()) {
            String targetKind = targetKinds.get(i++ % targetKinds.size());
            String flat = unique("flat");
            String text = unique("text");
            String number = unique("number");
            xadd(FEEDBACK, "feedback_id", flat, "target_kind", targetKind, "target_id", "x", "name", "score",
                    "value", value.getKey());
            xadd(FEEDBACK, "data", "{\"feedback_id\": \"" + text + "\", \"target_kind\": \"" + targetKind
                    + "\", \"target_id\": \"x\", \"name\": \"score\", \"value\": \"" + value.getKey() + "\"}");
            xadd(FEEDBACK, "data", "{\"feedback_id\": \"" + number + "\", \"target_kind\": \"" + targetKind
                    + "\", \"target_id\": \"x\", \"name\": \"score\", \"value\": " + value.getKey() + "}");
            for (String id : List.of(flat, text, number)) {
                expected.put(id, value.getValue());
            }
        }
        expected.forEach((id, value) -> assertThat(awaitStoredRow(Kind.FEEDBACK, id).get("value"))
                .as("value of %s", id).isEqualTo(value));
    }

    @Test
    void labelOnlyValueOnlyAndBothAreStored() {
        String target = unique("execution");
        String labelOnly = unique("feedback");
        String valueOnly = unique("feedback");
        String both = unique("feedback");
        List<String> entries = xaddTogether(FEEDBACK, List.of(
                fields("feedback_id", labelOnly, "target_kind", "tool_execution", "target_id", target,
                        "name", "verdict", "label", "pass", "source", "unit_tests"),
                fields("data", "{\"feedback_id\": \"" + valueOnly + "\", \"target_kind\": \"tool_execution\","
                        + " \"target_id\": \"" + target + "\", \"name\": \"latency_score\", \"value\": 0.5,"
                        + " \"label\": null}"),
                fields("feedback_id", both, "target_kind", "tool_execution", "target_id", target,
                        "name", "tests_passed", "value", "0.9", "label", "mostly")));

        assertThat(awaitStoredRow(Kind.FEEDBACK, labelOnly)).containsEntry("value", null)
                .containsEntry("label", "pass").containsEntry("source", "unit_tests")
                .containsEntry("stream_entry_id", entries.get(0));
        assertThat(awaitStoredRow(Kind.FEEDBACK, valueOnly)).containsEntry("value", 0.5)
                .containsEntry("label", null).containsEntry("stream_entry_id", entries.get(1));
        assertThat(awaitStoredRow(Kind.FEEDBACK, both)).containsEntry("value", 0.9)
                .containsEntry("label", "mostly").containsEntry("stream_entry_id", entries.get(2));
        awaitAcknowledged(FEEDBACK, entries);
    }

    /** The row is stored with exactly the expected columns, ingested_at set, and its entry acknowledged. */
    private void assertStored(String identity, String entryId, Map<String, Object> expected) {
        Map<String, Object> row = awaitStoredRow(Kind.FEEDBACK, identity);
        assertThat(row.get("ingested_at")).as("ingested_at").isNotNull();
        assertThat(recordColumns(row)).isEqualTo(expected);
        awaitAcknowledged(FEEDBACK, List.of(entryId));
    }
}
