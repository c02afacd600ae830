package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@code explain=true} on the conversations summary (contract 6.1) names which conversations were
 * left out and why: per reason, the first 20 in conversation_id order, each with the message or call
 * that decided it. Without it the summary has no {@code left_out}; a bad value gets 400. The
 * conversations are published through Redis with message ids, so each detail can be checked
 * exactly. (too_large and bad_record: {@link LargeAndBadRecordsTest}.)
 */
@QuarkusTest
class SummaryExplainTest extends DatasetTestSupport {

    private static final String P = unique("explain") + "-";
    /** More unanswered calls than left_out keeps: the cap and the order. */
    private static final int UNANSWERED = 25;

    private static List<String> published;

    /** One conversation per reason, then UNANSWERED conversations whose call has no result, and one fine one. */
    private synchronized List<String> published() {
        if (published != null) {
            return published;
        }
        List<Rec> messages = new ArrayList<>();
        List<Rec> executions = new ArrayList<>();
        String alone = P + "a-alone";
        messages.add(message(alone, "user", "anyone there?").id(alone + "-m1").seq(1));
        String orphan = P + "b-orphan";
        messages.add(message(orphan, "user", "u").id(orphan + "-m1").seq(1));
        messages.add(message(orphan, "tool", "r").id(orphan + "-m2").seq(2).answers("call-nobody-made"));
        messages.add(message(orphan, "assistant", "a").id(orphan + "-m3").seq(3));
        String badArguments = P + "c-bad-arguments";
        messages.add(message(badArguments, "user", "u").id(badArguments + "-m1").seq(1));
        messages.add(message(badArguments, "assistant", "").id(badArguments + "-m2").seq(2)
                .calls(call(badArguments + "-call", "f", "{oops")));
        messages.add(message(badArguments, "tool", "r").id(badArguments + "-m3").seq(3).answers(badArguments + "-call"));
        messages.add(message(badArguments, "assistant", "a").id(badArguments + "-m4").seq(4));
        // Ingest refuses an empty stored message: an empty content comes from a tool execution's result.
        String emptyResult = P + "e-empty-result";
        messages.add(message(emptyResult, "user", "u").id(emptyResult + "-m1").seq(1));
        messages.add(message(emptyResult, "assistant", "").id(emptyResult + "-m2").seq(2)
                .calls(call(emptyResult + "-call", "f", "{}")));
        messages.add(message(emptyResult, "assistant", "a").id(emptyResult + "-m3").seq(3));
        executions.add(execution(emptyResult + "-call", "f").json("output_result", TextNode.valueOf("")));
        for (int i = 0; i < UNANSWERED; i++) {
            String c = unanswered(i);
            messages.add(message(c, "user", "u").id(c + "-m1").seq(1));
            messages.add(message(c, "assistant", "").id(c + "-m2").seq(2)
                    .calls(call(c + "-call-answered", "f", "{}"), call(c + "-call-open", "f", "{}")));
            messages.add(message(c, "tool", "r").id(c + "-m3").seq(3).answers(c + "-call-answered"));
            messages.add(message(c, "assistant", "a").id(c + "-m4").seq(4));
        }
        String fine = P + "z-fine";
        messages.add(message(fine, "user", "u").id(fine + "-m1").seq(1));
        messages.add(message(fine, "assistant", "a").id(fine + "-m2").seq(2));
        publish(TOOL_EXECUTIONS, Encoding.FLAT, executions);
        publishMessages(Encoding.DOCUMENT, messages);
        published = List.of(alone, orphan, badArguments, emptyResult, fine);
        return published;
    }

    /** Numbered so that conversation_id order is the order they were made in. */
    private static String unanswered(int i) {
        return P + "u-" + String.format("%03d", i);
    }

    private Params all() {
        List<String> ids = new ArrayList<>(published());
        IntStream.range(0, UNANSWERED).mapToObj(SummaryExplainTest::unanswered).forEach(ids::add);
        return Params.conversations(ids);
    }

    private static JsonNode only(JsonNode leftOut, String reason) {
        assertThat(leftOut.path(reason)).as("left_out.%s in %s", reason, leftOut).hasSize(1);
        return leftOut.path(reason).get(0);
    }

    @Test
    void eachReasonNamesTheConversationAndWhatDecidedIt() {
        Params params = all();
        JsonNode summary = summary(params.with("explain", "true"));
        JsonNode leftOut = summary.path("left_out");

        JsonNode alone = only(leftOut, "no_assistant_message");
        assertThat(alone.path("id").asText()).isEqualTo(P + "a-alone");
        assertThat(alone.path("detail").asText()).contains("none from the assistant");

        JsonNode orphan = only(leftOut, "orphan_tool_result");
        assertThat(orphan.path("id").asText()).isEqualTo(P + "b-orphan");
        assertThat(orphan.path("detail").asText()).contains("'" + P + "b-orphan-m2'").contains("'call-nobody-made'");

        JsonNode badArguments = only(leftOut, "bad_arguments");
        assertThat(badArguments.path("id").asText()).isEqualTo(P + "c-bad-arguments");
        assertThat(badArguments.path("detail").asText()).contains("'" + P + "c-bad-arguments-call'")
                .contains("not a JSON object");

        JsonNode emptyResult = only(leftOut, "missing_content");
        assertThat(emptyResult.path("id").asText()).isEqualTo(P + "e-empty-result");
        assertThat(emptyResult.path("detail").asText()).contains("tool execution '" + P + "e-empty-result-call'");

        JsonNode firstUnanswered = leftOut.path("unanswered_tool_call").get(0);
        assertThat(firstUnanswered.path("id").asText()).isEqualTo(unanswered(0));
        assertThat(firstUnanswered.path("detail").asText())
                .contains("call '" + unanswered(0) + "-call-open'")
                .contains("assistant message '" + unanswered(0) + "-m2'")
                .doesNotContain("-call-answered");

        // Reasons nothing was left out for are absent from left_out, but counted (0) in skipped.
        assertThat(leftOut.has("too_large")).isFalse();
        assertThat(summary.path("skipped").path("too_large").asLong()).isZero();
        assertThat(summary.path("emitted").asLong()).isEqualTo(1);
    }

    @Test
    void atMostTwentyPerReasonInConversationIdOrderWhileSkippedCountsThemAll() {
        JsonNode summary = summary(all().with("explain", "true"));
        List<String> listed = new ArrayList<>();
        summary.path("left_out").path("unanswered_tool_call").forEach(example -> listed.add(example.path("id").asText()));

        assertThat(listed).containsExactlyElementsOf(IntStream.range(0, 20).mapToObj(SummaryExplainTest::unanswered).toList());
        assertThat(summary.path("skipped").path("unanswered_tool_call").asLong()).isEqualTo(UNANSWERED);
        // The filters apply as to the counts: after= starts the list later.
        JsonNode resumed = summary(all().with("explain", "true", "after", unanswered(9)));
        assertThat(resumed.path("left_out").path("unanswered_tool_call").get(0).path("id").asText()).isEqualTo(unanswered(10));
        assertThat(resumed.path("left_out").path("unanswered_tool_call")).hasSize(UNANSWERED - 10);
    }

    @Test
    void withoutExplainTheSummaryIsUnchanged() {
        JsonNode plain = summary(all());
        JsonNode explicitlyNot = summary(all().with("explain", "false"));
        JsonNode explained = summary(all().with("explain", "true"));

        assertThat(plain.has("left_out")).isFalse();
        assertThat(explicitlyNot).isEqualTo(plain);
        ((com.fasterxml.jackson.databind.node.ObjectNode) explained).remove("left_out");
        assertThat(explained).as("explain changes nothing but left_out").isEqualTo(plain);
    }

    @Test
    void aBadExplainValueGets400AndTheDatasetItselfRefusesExplain() {
        for (String path : List.of(SUMMARY_PATH, "/api/v1/datasets/trajectories/summary")) {
            for (String value : List.of("yes", "1", "", "TRUE")) {
                Response response = export().get(path + "?explain=" + urlEncode(value));
                assertThat(response.statusCode()).as("%s explain=%s: %s", path, value, response.asString()).isEqualTo(400);
                assertThat(parse(response.asString()).path("error").asText()).contains("'explain' must be true or false");
            }
        }
        Response twice = export().get(SUMMARY_PATH + "?explain=true&explain=false");
        assertThat(twice.statusCode()).isEqualTo(400);
        // explain belongs to the summary: the dataset's lines are never changed by it.
        Response dataset = export().get(PATH + "?explain=true");
        assertThat(dataset.statusCode()).isEqualTo(400);
        assertThat(parse(dataset.asString()).path("error").asText()).contains("Unknown parameter 'explain'");
    }
}
