package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The preferences dataset against hand-made cases for each rule of contract 6.3: ranked pairs of
 * siblings (ties, margins, which prompts are siblings, tool call ids, where the score comes from,
 * the newest feedback), corrections on a message and on a conversation, KTO labels, the three
 * formats, order and resume, the split, the summary and bad parameters. Every line received passes
 * {@link PreferenceValidator}.
 */
@QuarkusTest
class PreferenceDatasetTest extends PreferenceTestSupport {

    @SafeVarargs
    private static List<Rec> all(List<Rec>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }

    @Test
    void aGroupOfThreeSiblingsGivesOnePairOfItsHighestAndLowestInEveryFormat() {
        String a = unique("pref-three");
        String c1 = a + "-c1";
        String c2 = a + "-c2";
        String c3 = a + "-c3";
        publishMessages(Encoding.FLAT, all(simple(c1, a, "Be brief.", "What is 2+2?", "4"),
                simple(c2, a, "Be brief.", "What is 2+2?", "Four, I think"),
                simple(c3, a, "Be brief.", "What is 2+2?", "5")));
        publish(FEEDBACK, Encoding.FLAT, score("conversation", c1, "reward", 0.9),
                score("conversation", c2, "reward", 0.5), score("conversation", c3, "reward", 0.2));

        Params params = Params.of("agent_id", a, "score", "reward", "metadata", "true");
        List<JsonNode> lines = preferences(params);
        assertThat(lines).hasSize(1);
        JsonNode line = lines.get(0);
        assertThat(contents(line.at("/input/messages"))).containsExactly("Be brief.", "What is 2+2?");
        assertThat(contents(line.get("preferred_output"))).containsExactly("4");
        assertThat(contents(line.get("non_preferred_output"))).containsExactly("5");
        String id = rankedIdentity(c1, c3);
        assertThat(line.at("/metadata/id").asText()).isEqualTo(id);
        assertThat(line.at("/metadata/chosen_conversation_id").asText()).isEqualTo(c1);
        assertThat(line.at("/metadata/rejected_conversation_id").asText()).isEqualTo(c3);
        assertThat(line.at("/metadata/chosen_score").asDouble()).isEqualTo(0.9);
        assertThat(line.at("/metadata/rejected_score").asDouble()).isEqualTo(0.2);
        assertThat(line.at("/metadata/split").asText()).isEqualTo(referenceSplit(id, "0.1", "0", "0"));

        JsonNode trl = preferences(params.with("format", "trl")).get(0);
        assertThat(contents(trl.get("prompt"))).containsExactly("Be brief.", "What is 2+2?");
        assertThat(contents(trl.get("chosen"))).containsExactly("4");
        assertThat(contents(trl.get("rejected"))).containsExactly("5");
        assertThat(preferences(Params.of("agent_id", a, "score", "reward", "format", "trl"))).hasSize(1);

        List<JsonNode> kto = preferences(Params.of("agent_id", a, "score", "reward", "format", "kto", "metadata", "true"));
        assertThat(kto).extracting(l -> l.at("/metadata/conversation_id").asText()).containsExactly(c1, c2, c3);
        assertThat(kto).extracting(l -> l.get("label").asBoolean()).containsExactly(true, true, false);
        assertThat(kto.get(1).at("/metadata/score").asDouble()).isEqualTo(0.5);
        assertThat(contents(kto.get(1).get("completion"))).containsExactly("Four, I think");
        assertThat(preferences(Params.of("agent_id", a, "score", "reward", "format", "kto", "threshold", "0.6")))
                .extracting(l -> l.get("label").asBoolean()).containsExactly(true, false, false);

        JsonNode summary = preferenceSummary(params);
        assertThat(summary.get("emitted").asLong()).isEqualTo(1);
        assertThat(summary.at("/pairs/ranked").asLong()).isEqualTo(1);
        assertThat(summary.at("/pairs/corrections").asLong()).isZero();
        assertThat(summary.at("/skipped/tie").asLong()).isZero();
        assertThat(preferences(Params.of("agent_id", a))).as("no score: corrections only, none here").isEmpty();
    }

    @Test
    void tiesMarginsAndTheTieBreakOnConversationIds() {
        String a = unique("pref-ties");
        String prompt = "Name a colour.";
        // Group 1: all equal: a tie. Group 2: 0.7 vs 0.5 with margin 0.2: a tie; with 0.1 a pair.
        // Group 3: 0.9, 0.9, 0.1, 0.1: chosen the smaller id of the top, rejected the larger of the bottom.
        publishMessages(Encoding.FLAT, all(
                simple(a + "-g1-a", a, "g1", prompt, "red"), simple(a + "-g1-b", a, "g1", prompt, "blue"),
                simple(a + "-g2-a", a, "g2", prompt, "green"), simple(a + "-g2-b", a, "g2", prompt, "grey"),
                simple(a + "-g3-a", a, "g3", prompt, "one"), simple(a + "-g3-b", a, "g3", prompt, "two"),
                simple(a + "-g3-c", a, "g3", prompt, "three"), simple(a + "-g3-d", a, "g3", prompt, "four")));
        publish(FEEDBACK, Encoding.FLAT, score("conversation", a + "-g1-a", "r", 0.5),
                score("conversation", a + "-g1-b", "r", 0.5),
                score("conversation", a + "-g2-a", "r", 0.7), score("conversation", a + "-g2-b", "r", 0.5),
                score("conversation", a + "-g3-a", "r", 0.9), score("conversation", a + "-g3-b", "r", 0.9),
                score("conversation", a + "-g3-c", "r", 0.1), score("conversation", a + "-g3-d", "r", 0.1));

        Params params = Params.of("agent_id", a, "score", "r", "metadata", "true", "margin", "0.2");
        List<JsonNode> lines = preferences(params);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).at("/metadata/chosen_conversation_id").asText()).isEqualTo(a + "-g3-a");
        assertThat(lines.get(0).at("/metadata/rejected_conversation_id").asText()).isEqualTo(a + "-g3-d");
        assertThat(preferenceSummary(params).at("/skipped/tie").asLong()).isEqualTo(2);

        Params smallMargin = params.with();
        smallMargin.pairs.removeIf(pair -> pair[0].equals("margin"));
        smallMargin.add("margin", "0.1");
        List<JsonNode> more = preferences(smallMargin);
        assertThat(more).hasSize(2);
        assertThat(more).extracting(l -> l.at("/metadata/chosen_conversation_id").asText())
                .contains(a + "-g2-a", a + "-g3-a");
        JsonNode summary = preferenceSummary(smallMargin.with("explain", "true"));
        assertThat(summary.at("/skipped/tie").asLong()).isEqualTo(1);
        assertThat(summary.at("/left_out/tie/0/id").asText()).isEqualTo(a + "-g1-a");
        assertThat(summary.at("/left_out/tie/0/detail").asText()).contains("2 siblings");
    }

    @Test
    void siblingsHaveEqualPromptsUpToToolCallIdsAndArgumentOrderButNotAnotherSystemMessage() {
        String a = unique("pref-siblings");
        ObjectNode callA = call("call_a", "lookup", "{\"city\":\"Paris\",\"days\":2}");
        ObjectNode callB = callWithObject("x9", "lookup", "{\"days\":2.0,\"city\":\"Paris\"}");
        List<Rec> first = conversation(a + "-t1", a, m("user", "Weather?"), m("assistant", "").calls(callA),
                m("tool", "sunny").answers("call_a"), m("user", "So?"), m("assistant", "Take sunglasses."));
        List<Rec> second = conversation(a + "-t2", a, m("user", "Weather?"), m("assistant", "").calls(callB),
                m("tool", "sunny").answers("x9"), m("user", "So?"), m("assistant", "Take an umbrella."));
        // The same question and answers after another system message: no sibling of either.
        List<Rec> third = conversation(a + "-t3", a, m("system", "You are terse."), m("user", "Weather?"),
                m("assistant", "").calls(call("c1", "lookup", "{\"city\":\"Paris\",\"days\":2}")),
                m("tool", "sunny").answers("c1"), m("user", "So?"), m("assistant", "Nothing."));
        List<Rec> fourth = conversation(a + "-t4", a, m("system", "You are chatty."), m("user", "Weather?"),
                m("assistant", "").calls(call("c1", "lookup", "{\"city\":\"Paris\",\"days\":2}")),
                m("tool", "sunny").answers("c1"), m("user", "So?"), m("assistant", "Lovely day!"));
        publishMessages(Encoding.FLAT, all(first, second, third, fourth));
        publish(FEEDBACK, Encoding.FLAT, score("conversation", a + "-t1", "r", 1), score("conversation", a + "-t2", "r", 0),
                score("conversation", a + "-t3", "r", 1), score("conversation", a + "-t4", "r", 0));

        for (String format : List.of("openai", "trl")) {
            Params params = Params.of("agent_id", a, "score", "r", "metadata", "true", "format", format);
            List<JsonNode> lines = preferences(params);
            assertThat(lines).as(format).hasSize(1);
            JsonNode line = lines.get(0);
            assertThat(line.at("/metadata/id").asText()).isEqualTo(rankedIdentity(a + "-t1", a + "-t2"));
            JsonNode prompt = format.equals("openai") ? line.at("/input/messages") : line.get("prompt");
            assertThat(prompt).hasSize(4);
            assertThat(prompt.get(1).at("/tool_calls/0/id").asText()).isEqualTo("call_a");
            assertThat(contents(format.equals("openai") ? line.get("non_preferred_output") : line.get("rejected")))
                    .containsExactly("Take an umbrella.");
            JsonNode tools = format.equals("openai") ? line.at("/input/tools") : line.get("tools");
            assertThat(tools.get(0).at("/function/name").asText()).isEqualTo("lookup");
            if (format.equals("trl")) {
                assertThat(prompt.get(1).at("/tool_calls/0/function/arguments").isObject()).isTrue();
                assertThat(prompt.get(2).get("name").asText()).isEqualTo("lookup");
            }
        }
        JsonNode summary = preferenceSummary(Params.of("agent_id", a, "score", "r"));
        assertThat(summary.get("emitted").asLong()).isEqualTo(1);
        assertThat(summary.at("/skipped/tie").asLong()).as("groups of one count nowhere").isZero();
    }

    @Test
    void theScoreIsTheNewestFeedbackOnTheConversationElseOnItsTask() {
        String a = unique("pref-scores");
        String task1 = a + "-task1";
        String task2 = a + "-task2";
        publish(TASKS, Encoding.FLAT, task(task1, "completed", T0), task(task2, "completed", T0));
        List<Rec> one = simple(a + "-s1", a, "s", "Question", "Answer one");
        List<Rec> two = simple(a + "-s2", a, "s", "Question", "Answer two");
        List<Rec> three = simple(a + "-s3", a, "s", "Question", "Answer three");
        one.forEach(message -> message.task(task1));
        two.forEach(message -> message.task(task2));
        publishMessages(Encoding.FLAT, all(one, two, three));
        publish(FEEDBACK, Encoding.FLAT,
                // s1: only its task is scored.
                score("task", task1, "q", 0.6),
                // s2: its own score wins over its task's.
                score("task", task2, "q", 1.0), score("conversation", a + "-s2", "q", 0.3),
                // s3: two records of one name: the newest (by occurred_at) is its score.
                score("conversation", a + "-s3", "q", 0.95).put("source", "old").at(T0),
                score("conversation", a + "-s3", "q", 0.1).put("source", "new").at(T0.plusSeconds(60)));

        List<JsonNode> lines = preferences(Params.of("agent_id", a, "score", "q", "metadata", "true"));
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).at("/metadata/chosen_conversation_id").asText()).isEqualTo(a + "-s1");
        assertThat(lines.get(0).at("/metadata/chosen_score").asDouble()).isEqualTo(0.6);
        assertThat(lines.get(0).at("/metadata/rejected_conversation_id").asText()).isEqualTo(a + "-s3");
        assertThat(lines.get(0).at("/metadata/rejected_score").asDouble()).isEqualTo(0.1);
        List<JsonNode> kto = preferences(Params.of("agent_id", a, "score", "q", "format", "kto", "metadata", "true"));
        assertThat(kto).extracting(l -> l.at("/metadata/score").asDouble()).containsExactly(0.6, 0.3, 0.1);
    }

    @Test
    void correctionsOnAMessageAndOnAConversationAndBadOnesCountedPerFeedbackRecord() {
        String a = unique("pref-corr");
        String c = a + "-c";
        String other = a + "-other";
        publishMessages(Encoding.FLAT, all(conversation(c, a, m("system", "Geography tutor."),
                        m("user", "Capital of France?").id(a + "-u1"), m("assistant", "Lyon").id(a + "-m1"),
                        m("user", "Sure?").id(a + "-u2"), m("assistant", "Yes").id(a + "-m2")),
                simple(other, a + "-elsewhere", "s", "Question", "Answer").stream()
                        .map(message -> message.id(other + "-" + message.fields.path("seq").asText())).toList()));
        ObjectNode withCall = NODES.objectNode().putNull("content");
        withCall.putArray("tool_calls").add(call("k1", "atlas", "{\"country\":\"France\"}"));
        ObjectNode badCall = NODES.objectNode();
        badCall.putArray("tool_calls").add(call("k2", "atlas", "[1]"));
        publish(FEEDBACK, Encoding.FLAT,
                feedback("message", a + "-m1", "fix").put("label", "wrong").json("correction", TextNode.valueOf("Paris"))
                        .put("feedback_id", a + "-f1"),
                feedback("conversation", c, "fix").put("label", "wrong").json("correction", withCall)
                        .put("feedback_id", a + "-f2"),
                feedback("message", a + "-m1", "fix").put("value", 0).json("correction", "42").put("feedback_id", a + "-f3"),
                feedback("message", a + "-m2", "fix").put("value", 0).json("correction", "{}").put("feedback_id", a + "-f4"),
                feedback("message", a + "-u2", "fix").put("value", 0).json("correction", TextNode.valueOf("ok"))
                        .put("feedback_id", a + "-f5"),
                feedback("message", a + "-m2", "fix").put("value", 0).json("correction", badCall)
                        .put("feedback_id", a + "-f6"),
                // On a conversation outside the filters (another agent): nothing, counted nowhere.
                feedback("message", other + "-2", "fix").put("value", 0).json("correction", "7")
                        .put("feedback_id", a + "-f7"),
                feedback("conversation", other, "fix").put("value", 0).json("correction", TextNode.valueOf("Better"))
                        .put("feedback_id", a + "-f8"));

        Params params = Params.of("agent_id", a, "metadata", "true");
        List<JsonNode> lines = preferences(params);
        assertThat(lines).extracting(l -> l.at("/metadata/id").asText())
                .containsExactly("correction:" + a + "-f1", "correction:" + a + "-f2");
        JsonNode onMessage = lines.get(0);
        assertThat(contents(onMessage.at("/input/messages"))).containsExactly("Geography tutor.", "Capital of France?");
        assertThat(contents(onMessage.get("preferred_output"))).containsExactly("Paris");
        assertThat(contents(onMessage.get("non_preferred_output"))).containsExactly("Lyon");
        assertThat(onMessage.at("/metadata/feedback_id").asText()).isEqualTo(a + "-f1");
        JsonNode onConversation = lines.get(1);
        assertThat(contents(onConversation.at("/input/messages")))
                .containsExactly("Geography tutor.", "Capital of France?", "Lyon", "Sure?");
        assertThat(onConversation.at("/preferred_output/0/content").isNull()).isTrue();
        assertThat(onConversation.at("/preferred_output/0/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"country\":\"France\"}");
        assertThat(onConversation.at("/input/tools/0/function/name").asText()).isEqualTo("atlas");
        assertThat(contents(onConversation.get("non_preferred_output"))).containsExactly("Yes");

        JsonNode trl = preferences(Params.of("agent_id", a, "format", "trl")).get(1);
        assertThat(trl.at("/chosen/0/tool_calls/0/function/arguments/country").asText()).isEqualTo("France");

        JsonNode summary = preferenceSummary(params.with("explain", "true"));
        assertThat(summary.get("emitted").asLong()).isEqualTo(2);
        assertThat(summary.at("/pairs/corrections").asLong()).isEqualTo(2);
        assertThat(summary.at("/skipped/bad_correction").asLong()).isEqualTo(4);
        List<String> explained = new ArrayList<>();
        summary.at("/left_out/bad_correction").forEach(example -> explained.add(example.get("id").asText()));
        assertThat(explained).containsExactly("correction:" + a + "-f3", "correction:" + a + "-f4",
                "correction:" + a + "-f5", "correction:" + a + "-f6");
        assertThat(preferences(Params.of("agent_id", a, "pairs", "ranked", "score", "fix"))).as("ranked only").isEmpty();
        // The other agent's conversation, asked for: its correction counts and gives a line.
        assertThat(preferenceSummary(Params.of("agent_id", a + "-elsewhere")).at("/skipped/bad_correction").asLong())
                .isEqualTo(1);
        assertThat(preferences(Params.of("conversation_id", other))).hasSize(1);
    }

    @Test
    void ktoLabelsComeFromTheValueElseFromTheLabelWordInAnyCase() {
        String a = unique("pref-kto");
        List<String> labels = List.of("UP", "Pass", "accept", "Yes", "1", "true", "good", "positive",
                "down", "BAD", "Fail", "no", "0", "false", "reject", "negative", "meh");
        List<Rec> messages = new ArrayList<>();
        List<Rec> feedback = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            String c = a + "-" + (char) ('a' + i);
            ids.add(c);
            messages.addAll(simple(c, a, "s", "Q" + i, "A" + i));
            feedback.add(feedback("conversation", c, "thumbs").put("label", labels.get(i)));
        }
        String valued = a + "-z";
        ids.add(valued);
        messages.addAll(simple(valued, a, "s", "Q", "A"));
        feedback.add(feedback("conversation", valued, "thumbs").put("label", "down").put("value", 0.7));
        publishMessages(Encoding.FLAT, messages);
        publish(FEEDBACK, Encoding.FLAT, feedback);

        // Named by id: the query then reads only these conversations of the shared table.
        Params params = Params.conversations(ids).with("agent_id", a, "score", "thumbs", "format", "kto");
        List<JsonNode> lines = preferences(params);
        List<Boolean> expected = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            expected.add(i < 8);
        }
        expected.add(true); // the value 0.7 >= 0.5 decides, not its label
        assertThat(lines).extracting(l -> l.get("label").asBoolean()).containsExactlyElementsOf(expected);
        JsonNode summary = preferenceSummary(params.with("explain", "true"));
        assertThat(summary.at("/skipped/unlabeled").asLong()).isEqualTo(1);
        assertThat(summary.at("/left_out/unlabeled/0/id").asText()).isEqualTo(a + "-q");
        assertThat(summary.get("emitted").asLong()).isEqualTo(17);
    }

    @Test
    void linesComeInIdentityOrderResumeAfterEveryLineAndSplitByTheirIdentity() {
        String a = unique("pref-order");
        List<Rec> messages = new ArrayList<>();
        List<Rec> feedback = new ArrayList<>();
        for (int g = 0; g < 6; g++) {
            for (int s = 0; s < 2; s++) {
                String c = a + "-g" + g + "-" + s;
                messages.addAll(conversation(c, a, m("user", "Question " + g).id(c + "-u"),
                        m("assistant", "Answer " + s).id(c + "-a")));
                feedback.add(score("conversation", c, "r", s == 0 ? 1 : 0));
            }
        }
        publishMessages(Encoding.FLAT, messages);
        feedback.add(feedback("message", a + "-g0-1-a", "fix").put("label", "x")
                .json("correction", TextNode.valueOf("Better 1")).put("feedback_id", a + "-z"));
        feedback.add(feedback("message", a + "-g1-1-a", "fix").put("label", "x")
                .json("correction", TextNode.valueOf("Better 2")).put("feedback_id", a + "-\u00e9"));
        publish(FEEDBACK, Encoding.FLAT, feedback);

        Params params = Params.of("agent_id", a, "score", "r", "metadata", "true");
        List<String> ids = preferences(params).stream().map(l -> l.at("/metadata/id").asText()).toList();
        assertThat(ids).hasSize(8);
        assertThat(ids).isSortedAccordingTo(BYTEWISE);
        assertThat(ids.get(0)).isEqualTo("correction:" + a + "-z");
        List<String> body = lines(preferencesBody(params));
        for (int i = 0; i < ids.size(); i++) {
            assertThat(lines(preferencesBody(params.with("after", ids.get(i))))).as("after line %d", i)
                    .isEqualTo(body.subList(i + 1, body.size()));
        }
        assertThat(lines(preferencesBody(params.with("limit", "3")))).isEqualTo(body.subList(0, 3));

        Params split = params.with("validation_fraction", "0.5", "split_seed", "s1");
        List<String> validation = preferences(split.with("split", "validation")).stream()
                .map(l -> l.at("/metadata/id").asText()).toList();
        List<String> expected = ids.stream().filter(id -> referenceSplit(id, "0.5", "0", "s1").equals("validation"))
                .toList();
        assertThat(validation).isEqualTo(expected);
        assertThat(preferenceSummary(split).at("/splits/validation").asLong()).isEqualTo(expected.size());
        assertThat(preferenceSummary(split).at("/splits/train").asLong()).isEqualTo(8 - expected.size());
    }

    @Test
    void brokenAndUserlessConversationsAreCountedOnceUnderTheirReason() {
        String a = unique("pref-broken");
        publishMessages(Encoding.FLAT, all(
                conversation(a + "-orphan", a, m("user", "Q"), m("tool", "result").answers("nothing"), m("assistant", "A")),
                conversation(a + "-nouser", a, m("system", "s"), m("assistant", "Hello")),
                simple(a + "-ok1", a, "s", "Q", "A1"), simple(a + "-ok2", a, "s", "Q", "A2")));
        publish(FEEDBACK, Encoding.FLAT, score("conversation", a + "-orphan", "r", 1),
                score("conversation", a + "-nouser", "r", 1), score("conversation", a + "-ok1", "r", 1),
                score("conversation", a + "-ok2", "r", 0),
                feedback("conversation", a + "-orphan", "fix").put("label", "x").json("correction", TextNode.valueOf("B")));
        for (String format : List.of("openai", "kto")) {
            Params params = Params.of("agent_id", a, "score", "r", "format", format, "explain", "true");
            JsonNode summary = preferenceSummary(params);
            assertThat(summary.at("/skipped/orphan_tool_result").asLong()).as(format).isEqualTo(1);
            assertThat(summary.at("/skipped/no_user_message").asLong()).as(format).isEqualTo(1);
            assertThat(summary.at("/skipped/bad_correction").asLong()).as(format).isZero();
            assertThat(summary.at("/left_out/no_user_message/0/id").asText()).isEqualTo(a + "-nouser");
            assertThat(summary.get("emitted").asLong()).isEqualTo(format.equals("kto") ? 2 : 1);
        }
    }

    @Test
    void badParametersAre400sThatSayWhatToFix() {
        assertBadRequests(List.of(
                new String[] {"pairs", "ranked"},
                new String[] {"format", "kto"},
                new String[] {"format", "dpo"},
                new String[] {"pairs", "sorted", "score", "r"},
                new String[] {"score", "r", "margin", "-1"},
                new String[] {"score", "r", "margin", "abc"},
                new String[] {"score", "r", "margin", "NaN"},
                new String[] {"score", "r", "margin", "1f"},
                new String[] {"margin", "0.5"},
                new String[] {"score", "r", "format", "kto", "threshold", "x"},
                new String[] {"score", "r", "threshold", "0.5"},
                new String[] {"score", ""},
                new String[] {"score", "r", "format", "kto", "pairs", "ranked"},
                new String[] {"tokenizer_x", "1"},
                new String[] {"split", "dev"},
                new String[] {"limit", "-1"},
                new String[] {"metadata", "yes"}));
        assertThat(get(PREFERENCES, Params.of("pairs", "ranked")).asString()).contains("score");
    }
}
