package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Feedback's {@code correction} (contract section 1, J): what the scored assistant message should
 * have been, stored in its jsonb column as sent, flat (JSON text) or in a document (the JSON value).
 * Its shape is checked by the preferences dataset (6.3), not at ingest, so any JSON value is stored.
 * It merges like every field of a merged kind: a later record that leaves it out keeps it, an
 * explicit null clears it, whatever the arrival order. Malformed JSON is in {@code BadEntriesTest}.
 */
@QuarkusTest
class FeedbackCorrectionTest extends StoreTestSupport {

    /** An assistant message in OpenAI's shape: no content, one tool call (arguments as JSON text). */
    private static final String TOOL_CALL_CORRECTION = "{\"content\": null, \"tool_calls\": [{\"id\": \"call_1\","
            + " \"type\": \"function\", \"function\": {\"name\": \"search\", \"arguments\": \"{\\\"q\\\": \\\"redis\\\"}\"}}]}";

    @Test
    void aStringCorrectionIsStoredAsAJsonStringFlatOrInADocument() {
        String flat = unique("correction-flat");
        String document = unique("correction-document");
        List<String> entries = xaddTogether(FEEDBACK, List.of(
                fields("feedback_id", flat, "target_kind", "message", "target_id", "m-1", "name", "thumbs",
                        "label", "down", "correction", "\"Run the tests before answering.\""),
                fields("data", "{\"feedback_id\": \"" + document + "\", \"target_kind\": \"conversation\","
                        + " \"target_id\": \"c-1\", \"name\": \"thumbs\", \"value\": 0,"
                        + " \"correction\": \"Use \\\"git bisect\\\" ✓\"}")));
        awaitAcknowledged(FEEDBACK, entries);

        assertThat(awaitStoredRow(Kind.FEEDBACK, flat).get("correction"))
                .isEqualTo(json("\"Run the tests before answering.\""));
        assertThat(awaitStoredRow(Kind.FEEDBACK, document).get("correction"))
                .isEqualTo(json("\"Use \\\"git bisect\\\" ✓\""));
        assertThat(query("SELECT jsonb_typeof(correction) AS type FROM training_data.training_feedback"
                + " WHERE feedback_id IN (?, ?)", flat, document))
                .extracting(row -> row.get("type")).containsOnly("string");
        assertThat(awaitStoredRow(Kind.FEEDBACK, flat).get("attributes")).as("not kept twice").isEqualTo(json("{}"));
    }

    @Test
    void anObjectCorrectionIsStoredAsSentFlatOrInADocument() {
        String flat = unique("correction-flat");
        String document = unique("correction-document");
        String withContent = "{\"content\": \"It is in src/main, line 12.\", \"tool_calls\": []}";
        List<String> entries = xaddTogether(FEEDBACK, List.of(
                fields("feedback_id", flat, "target_kind", "message", "target_id", "m-2", "name", "correctness",
                        "value", "0", "correction", TOOL_CALL_CORRECTION),
                fields("data", "{\"feedback_id\": \"" + document + "\", \"target_kind\": \"message\","
                        + " \"target_id\": \"m-3\", \"name\": \"correctness\", \"label\": \"wrong\","
                        + " \"correction\": " + withContent + ", \"reviewer\": \"alice\"}")));
        awaitAcknowledged(FEEDBACK, entries);

        assertThat(awaitStoredRow(Kind.FEEDBACK, flat).get("correction")).isEqualTo(json(TOOL_CALL_CORRECTION));
        Map<String, Object> stored = awaitStoredRow(Kind.FEEDBACK, document);
        assertThat(stored.get("correction")).isEqualTo(json(withContent));
        assertThat(stored.get("attributes")).isEqualTo(json("{\"reviewer\": \"alice\"}"));
    }

    /** Valid JSON that is no usable correction is stored as sent: the preferences dataset judges it. */
    @Test
    void aCorrectionThatIsValidJsonButNoUsableCorrectionIsStoredAsSent() {
        List<String> sent = List.of("42", "[\"a\", \"b\"]", "{\"role\": \"assistant\"}", "\"\"", "true",
                "{\"content\": \"\", \"tool_calls\": []}");
        List<String> ids = sent.stream().map(json -> unique("odd-correction")).toList();
        List<Map<String, String>> entries = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            entries.add(fields("feedback_id", ids.get(i), "target_kind", "task", "target_id", "t-1", "name", "reward",
                    "value", "1", "correction", sent.get(i)));
        }
        List<String> entryIds = xaddTogether(FEEDBACK, entries);
        awaitAcknowledged(FEEDBACK, entryIds);

        for (int i = 0; i < sent.size(); i++) {
            assertThat(awaitStoredRow(Kind.FEEDBACK, ids.get(i)).get("correction")).as("correction %s", sent.get(i))
                    .isEqualTo(json(sent.get(i)));
        }
        assertThat(deadLetters(entryIds)).as("none of them dead-lettered").isEmpty();
    }

    /**
     * A reviewer adds a correction to a score given earlier: the later record carries the
     * correction and the label every feedback record needs, nothing else; the score, comment, source
     * and agent of the earlier record stay. The same row whether the later record arrives first.
     */
    @Test
    void aLaterRecordCarryingOnlyTheCorrectionKeepsTheOtherFields() {
        for (boolean laterArrivesFirst : new boolean[] {false, true}) {
            String id = unique("later-correction");
            Map<String, String> earlier = fields("feedback_id", id, "target_kind", "message", "target_id", "m-4",
                    "name", "correctness", "value", "0.2", "label", "bad", "comment", "wrong tool",
                    "source", "human", "agent_id", "agent-7", "occurred_at", "2026-05-01T10:00:00Z");
            Map<String, String> later = fields("data", "{\"feedback_id\": \"" + id + "\", \"target_kind\": \"message\","
                    + " \"target_id\": \"m-4\", \"name\": \"correctness\", \"label\": \"bad\","
                    + " \"correction\": " + TOOL_CALL_CORRECTION + ", \"occurred_at\": \"2026-05-01T10:05:00Z\"}");
            publishInTwoBatches(laterArrivesFirst ? later : earlier, laterArrivesFirst ? earlier : later);

            Map<String, Object> row = storedRow(Kind.FEEDBACK, id).orElseThrow();
            assertThat(row).as("later record %s", laterArrivesFirst ? "first" : "second")
                    .containsEntry("value", 0.2).containsEntry("label", "bad").containsEntry("comment", "wrong tool")
                    .containsEntry("source", "human").containsEntry("agent_id", "agent-7")
                    .containsEntry("correction", json(TOOL_CALL_CORRECTION));
        }
    }

    /** An explicit null carries the field: the newest record's null clears an older correction. */
    @Test
    void anExplicitNullInTheNewestRecordClearsTheCorrection() {
        for (boolean newestArrivesFirst : new boolean[] {false, true}) {
            String document = unique("null-correction");
            Map<String, String> older = fields("data", "{\"feedback_id\": \"" + document + "\","
                    + " \"target_kind\": \"message\", \"target_id\": \"m-5\", \"name\": \"thumbs\", \"label\": \"down\","
                    + " \"correction\": \"Say which file.\", \"occurred_at\": \"2026-05-02T10:00:00Z\"}");
            Map<String, String> newest = fields("data", "{\"feedback_id\": \"" + document + "\","
                    + " \"target_kind\": \"message\", \"target_id\": \"m-5\", \"name\": \"thumbs\", \"label\": \"up\","
                    + " \"correction\": null, \"occurred_at\": \"2026-05-02T10:01:00Z\"}");
            publishInTwoBatches(newestArrivesFirst ? newest : older, newestArrivesFirst ? older : newest);
            assertThat(storedRow(Kind.FEEDBACK, document).orElseThrow()).as("document, newest %s",
                            newestArrivesFirst ? "first" : "second")
                    .containsEntry("label", "up").containsEntry("correction", null);

            // Flat: the JSON text null is the same explicit null.
            String flat = unique("null-correction-flat");
            Map<String, String> olderFlat = fields("feedback_id", flat, "target_kind", "message", "target_id", "m-5",
                    "name", "thumbs", "label", "down", "correction", TOOL_CALL_CORRECTION,
                    "occurred_at", "2026-05-02T10:00:00Z");
            Map<String, String> newestFlat = fields("feedback_id", flat, "target_kind", "message", "target_id", "m-5",
                    "name", "thumbs", "label", "up", "correction", "null", "occurred_at", "2026-05-02T10:01:00Z");
            publishInTwoBatches(newestArrivesFirst ? newestFlat : olderFlat, newestArrivesFirst ? olderFlat : newestFlat);
            assertThat(storedRow(Kind.FEEDBACK, flat).orElseThrow()).containsEntry("label", "up")
                    .containsEntry("correction", null).containsEntry("attributes", json("{}"));
        }
    }

    /** Each entry in its own batch: the second is published once the first is stored and acknowledged. */
    private void publishInTwoBatches(Map<String, String> first, Map<String, String> second) {
        awaitAcknowledged(FEEDBACK, xaddTogether(FEEDBACK, List.of(first)));
        awaitAcknowledged(FEEDBACK, xaddTogether(FEEDBACK, List.of(second)));
    }
}
