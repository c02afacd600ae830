package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Preferences on data built to hurt: 10,000 siblings of one prompt (one group, one pair, whatever
 * its size) and corrections of 5 MB (a good one gives its line; a bad one is counted, not thrown).
 * Stored straight into the tables, as the consumers store them: the size limit of a stream entry
 * (1 MiB) would refuse a 5 MB correction at the door, but a store configured with a larger limit,
 * or an older row, can hold one.
 */
@QuarkusTest
class PreferenceHostileTest extends PreferenceTestSupport {

    private static final int SIBLINGS = 10_000;

    @Test
    void tenThousandSiblingsOfOnePromptGiveOnePairOrOneTie() {
        String p = unique("pref-many");
        String agent = p + "-agent";
        try {
            executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, agent_id,"
                    + " seq, attributes, occurred_at, stream_entry_id)"
                    + " SELECT c || '-' || m.seq, c, m.role, CASE m.seq WHEN 0 THEN 'The one question' ELSE 'answer ' || i END,"
                    + " ?, m.seq, '{}', now(), i || '-' || m.seq"
                    + " FROM generate_series(0, ? - 1) AS i, LATERAL (SELECT ? || lpad(i::text, 5, '0') AS c) AS id,"
                    + " (VALUES (0, 'user'), (1, 'assistant')) AS m(seq, role)", agent, SIBLINGS, p + "-c");
            // Scores: i / 10 (so many share a score) under 'r'; all equal under 'flat'.
            executeSql("INSERT INTO training_data.training_feedback (feedback_id, target_kind, target_id, name, value,"
                    + " occurred_at, first_occurred_at, stream_entry_id, version, field_versions)"
                    + " SELECT c || '/' || n, 'conversation', c, n, CASE n WHEN 'r' THEN (i / 10)::float8 ELSE 1 END,"
                    + " now(), now(), '0-0', '0-0', '{}'"
                    + " FROM generate_series(0, ? - 1) AS i, LATERAL (SELECT ? || lpad(i::text, 5, '0') AS c) AS id,"
                    + " (VALUES ('r'), ('flat')) AS f(n)", SIBLINGS, p + "-c");

            List<JsonNode> lines = preferences(Params.of("agent_id", agent, "score", "r", "metadata", "true"));
            assertThat(lines).hasSize(1);
            // Top score 999 is held by 9990..9999: the smallest id; bottom 0 by 0..9: the largest.
            assertThat(lines.get(0).at("/metadata/chosen_conversation_id").asText()).isEqualTo(p + "-c09990");
            assertThat(lines.get(0).at("/metadata/rejected_conversation_id").asText()).isEqualTo(p + "-c00009");
            JsonNode tie = preferenceSummary(Params.of("agent_id", agent, "score", "flat"));
            assertThat(tie.get("emitted").asLong()).isZero();
            assertThat(tie.at("/skipped/tie").asLong()).isEqualTo(1);
            assertThat(preferences(Params.of("agent_id", agent, "score", "flat", "format", "kto"))).hasSize(SIBLINGS);
        } finally {
            executeSql("DELETE FROM training_data.training_feedback WHERE target_id LIKE ?", p + "%");
            executeSql("DELETE FROM training_data.training_messages WHERE conversation_id LIKE ?", p + "%");
        }
    }

    @Test
    void correctionsOfFiveMegabytesGiveTheirLineOrAreCounted() {
        String a = unique("pref-huge");
        String c = a + "-c";
        publishMessages(Encoding.FLAT, conversation(c, a, m("user", "Write a long text.").id(a + "-u"),
                m("assistant", "Too short.").id(a + "-m")));
        publish(FEEDBACK, Encoding.FLAT,
                feedback("message", a + "-m", "fix").put("label", "x").json("correction", TextNode.valueOf("small"))
                        .put("feedback_id", a + "-f1"),
                feedback("message", a + "-m", "fix").put("label", "x").json("correction", TextNode.valueOf("small"))
                        .put("feedback_id", a + "-f2"));
        String huge = "long text ".repeat(500_000);
        executeSql("UPDATE training_data.training_feedback SET correction = to_jsonb(?::text) WHERE feedback_id = ?",
                huge, a + "-f1");
        executeSql("UPDATE training_data.training_feedback SET correction = jsonb_build_array(?::text) WHERE feedback_id = ?",
                huge, a + "-f2");

        for (String format : List.of("openai", "trl")) {
            List<JsonNode> lines = preferences(Params.of("agent_id", a, "format", format));
            assertThat(lines).hasSize(1);
            JsonNode chosen = format.equals("openai") ? lines.get(0).get("preferred_output") : lines.get(0).get("chosen");
            assertThat(chosen.get(0).get("content").asText()).isEqualTo(huge);
        }
        JsonNode summary = preferenceSummary(Params.of("agent_id", a, "explain", "true"));
        assertThat(summary.get("emitted").asLong()).isEqualTo(1);
        assertThat(summary.at("/skipped/bad_correction").asLong()).isEqualTo(1);
        assertThat(summary.at("/left_out/bad_correction/0/detail").asText()).contains("array");
    }
}
