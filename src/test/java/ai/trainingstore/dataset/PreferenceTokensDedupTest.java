package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * max_tokens, tokenizer and dedup on the preferences dataset (contract 6.3's last paragraph, 6.5):
 * a pair counts prompt + the longer output, a kto line prompt + completion; duplicates are judged on
 * prompt + chosen + rejected (kto: prompt + completion) and tools, the earlier line kept.
 */
@QuarkusTest
class PreferenceTokensDedupTest extends PreferenceTestSupport {

    private static final String ANSWER = "Paris ist die Hauptstadt Frankreichs; パリはフランスの首都です。 Париж — столица Франции.";

    /** Contract 6.5 by hand: per message 3 plus its role and content; per line 3. */
    private static long tokens(EncodingType type, String[][] messages) {
        com.knuddels.jtokkit.api.Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(type);
        long tokens = 3;
        for (String[] message : messages) {
            tokens += 3 + encoding.countTokensOrdinary(message[0]) + encoding.countTokensOrdinary(message[1]);
        }
        return tokens;
    }

    /** One conversation and a correction of its answer (the chosen output is the longer one). */
    private String correctedConversation(String a) {
        String c = a + "-c";
        publishMessages(Encoding.FLAT, simple(c, a, "Geography tutor.", "Capital of France?", "Lyon"));
        publish(FEEDBACK, Encoding.FLAT, feedback("conversation", c, "fix").put("label", "wrong")
                .json("correction", TextNode.valueOf(ANSWER)).put("feedback_id", a + "-f1"));
        return c;
    }

    @Test
    void maxTokensLeavesOutAPairOverPromptPlusTheLongerOutputAndTheTokenizerChoosesTheEncoding() {
        String a = unique("pref-tok");
        correctedConversation(a);
        String identity = "correction:" + a + "-f1";
        Params params = Params.of("agent_id", a);
        for (EncodingType type : List.of(EncodingType.O200K_BASE, EncodingType.CL100K_BASE)) {
            String encoding = type.getName();
            long count = tokens(type, new String[][] {{"system", "Geography tutor."}, {"user", "Capital of France?"},
                    {"assistant", ANSWER}});
            Params asked = params.with("tokenizer", encoding);
            JsonNode summary = preferenceSummary(asked);
            assertThat(summary.at("/tokens/encoding").asText()).isEqualTo(encoding);
            assertThat(summary.at("/tokens/max").asLong()).as(encoding).isEqualTo(count);
            assertThat(summary.at("/tokens/total").asLong()).as(encoding).isEqualTo(count);

            // At the count and above: kept; one below: too long, in the export and the summary alike.
            assertThat(preferences(asked.with("max_tokens", String.valueOf(count)))).hasSize(1);
            assertThat(preferences(asked.with("max_tokens", String.valueOf(count + 1)))).hasSize(1);
            assertThat(preferences(asked.with("max_tokens", String.valueOf(count - 1)))).isEmpty();
            JsonNode cut = preferenceSummary(asked.with("max_tokens", String.valueOf(count - 1), "explain", "true"));
            assertThat(cut.get("emitted").asLong()).isZero();
            assertThat(cut.at("/skipped/too_long").asLong()).isEqualTo(1);
            assertThat(cut.at("/left_out/too_long/0/id").asText()).isEqualTo(identity);
            assertThat(cut.at("/left_out/too_long/0/detail").asText()).contains(count + " tokens (" + encoding + ")");
            assertThat(cut.at("/pairs/corrections").asLong()).isZero();
        }
        assertThat(preferenceSummary(params).at("/tokens/encoding").asText()).as("the default").isEqualTo("o200k_base");
        assertThat(tokens(EncodingType.O200K_BASE, new String[][] {{"user", ANSWER}}))
                .as("the encodings count this text differently").isNotEqualTo(tokens(EncodingType.CL100K_BASE,
                        new String[][] {{"user", ANSWER}}));
    }

    @Test
    void ktoLinesCountPromptPlusCompletion() {
        String a = unique("pref-tok-kto");
        String c = a + "-c";
        publishMessages(Encoding.FLAT, simple(c, a, "Be brief.", "What is 2+2?", "Four, as everyone knows."));
        publish(FEEDBACK, Encoding.FLAT, score("conversation", c, "reward", 0.9));
        long count = tokens(EncodingType.O200K_BASE, new String[][] {{"system", "Be brief."}, {"user", "What is 2+2?"},
                {"assistant", "Four, as everyone knows."}});
        Params params = Params.of("agent_id", a, "score", "reward", "format", "kto");
        assertThat(preferenceSummary(params).at("/tokens/max").asLong()).isEqualTo(count);
        assertThat(preferences(params.with("max_tokens", String.valueOf(count)))).hasSize(1);
        assertThat(preferences(params.with("max_tokens", String.valueOf(count - 1)))).isEmpty();
        assertThat(preferenceSummary(params.with("max_tokens", String.valueOf(count - 1))).at("/skipped/too_long")
                .asLong()).isEqualTo(1);
    }

    @Test
    void dedupExactKeepsTheFirstOfTwoEqualCorrectionPairsAndAResumedAnswerIsTheRest() {
        String a = unique("pref-dedup");
        // Two conversations with the same messages, each corrected alike; a third corrected otherwise.
        publishMessages(Encoding.FLAT, Stream.of(simple(a + "-c1", a, "Tutor.", "Capital of Italy?", "Milan"),
                simple(a + "-c2", a, "Tutor.", "Capital of Italy?", "Milan"),
                simple(a + "-c3", a, "Tutor.", "Capital of Spain?", "Barcelona")).flatMap(List::stream).toList());
        publish(FEEDBACK, Encoding.FLAT,
                feedback("conversation", a + "-c1", "fix").put("label", "wrong")
                        .json("correction", TextNode.valueOf("Rome")).put("feedback_id", a + "-f1"),
                feedback("conversation", a + "-c2", "fix").put("label", "wrong")
                        .json("correction", TextNode.valueOf("Rome")).put("feedback_id", a + "-f2"),
                feedback("conversation", a + "-c3", "fix").put("label", "wrong")
                        .json("correction", TextNode.valueOf("Madrid")).put("feedback_id", a + "-f3"));
        String f1 = "correction:" + a + "-f1";
        String f2 = "correction:" + a + "-f2";
        String f3 = "correction:" + a + "-f3";
        Params params = Params.of("agent_id", a, "metadata", "true");
        assertThat(ids(preferences(params))).containsExactly(f1, f2, f3);

        for (String format : List.of("openai", "trl")) {
            Params dedup = params.with("format", format, "dedup", "exact");
            assertThat(ids(preferences(dedup))).as(format).containsExactly(f1, f3);
            JsonNode summary = preferenceSummary(dedup.with("explain", "true"));
            assertThat(summary.get("emitted").asLong()).isEqualTo(2);
            assertThat(summary.at("/skipped/duplicate").asLong()).isEqualTo(1);
            assertThat(summary.at("/left_out/duplicate/0/id").asText()).isEqualTo(f2);
            assertThat(summary.at("/left_out/duplicate/0/detail").asText()).contains(f1);
        }
        assertThat(ids(preferences(params.with("dedup", "near")))).containsExactly(f1, f3);

        // Resumed: the lines up to the cursor are judged, not emitted; the rest is exactly the rest.
        Params dedup = params.with("dedup", "exact");
        assertThat(ids(preferences(dedup.with("after", f1)))).containsExactly(f3);
        assertThat(ids(preferences(dedup.with("after", f2)))).containsExactly(f3);
        assertThat(ids(preferences(params.with("after", f1)))).as("without dedup").containsExactly(f2, f3);
        JsonNode resumed = preferenceSummary(dedup.with("after", f1));
        assertThat(resumed.get("emitted").asLong()).isEqualTo(1);
        assertThat(resumed.at("/skipped/duplicate").asLong()).isEqualTo(1);
        assertThat(preferenceSummary(dedup.with("after", f2)).at("/skipped/duplicate").asLong())
                .as("the duplicate is before the cursor").isZero();
    }

    @Test
    void badTokenAndDedupValuesAre400s() {
        assertBadRequests(List.of(
                new String[] {"max_tokens", "0"},
                new String[] {"max_tokens", "-5"},
                new String[] {"max_tokens", "ten"},
                new String[] {"tokenizer", "gpt2"},
                new String[] {"dedup", "fuzzy"},
                new String[] {"near_threshold", "0.5"},
                new String[] {"dedup", "near", "near_threshold", "1.5"},
                new String[] {"dedup", "near", "near_threshold", "0"},
                new String[] {"score", "r", "format", "kto", "dedup", "maybe"}));
    }

    private static List<String> ids(List<JsonNode> lines) {
        return lines.stream().map(line -> line.at("/metadata/id").asText()).toList();
    }
}
