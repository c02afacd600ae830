package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The filters of contract 6.1, each alone and combined, on six conversations made to tell them
 * apart (times around the bounds, agents, tasks and their merged status, tool calls, feedback on
 * the conversation and on its task); and every kind of bad parameter, which gets 400 with a JSON
 * error on the dataset and on its summary, never a silent full export.
 */
@QuarkusTest
class ConversationFiltersTest extends DatasetTestSupport {

    private static final String P = unique("filters") + "-";
    private static final String C1 = P + "c1";
    private static final String C2 = P + "c2";
    private static final String C3 = P + "c3";
    private static final String C4 = P + "c4";
    private static final String C5 = P + "c5";
    private static final String C6 = P + "c6";
    private static final List<String> ALL = List.of(C1, C2, C3, C4, C5, C6);
    private static final String A1 = P + "agent-1";
    private static final String A2 = P + "agent-2";
    private static final String A3 = P + "agent-3";
    private static final String T1 = P + "task-1";
    private static final String T2 = P + "task-2";
    private static final String T3 = P + "task-3";

    private static boolean published;

    /**
     * c1: agent 1, task 1 (completed), 2026-03-01, tools, conversation correctness 0.9.
     * c2: agent 2, task 2 (failed), 2026-03-02, no tools, task correctness 0.4.
     * c3: agents 1 and 3, task 3 (running, then completed), 2026-03-03, tools, conversation
     *     correctness 0.5 over its task's 0.95.
     * c4: no agent, no task, first message exactly 2026-03-04T00:00:00Z, no tools, no feedback.
     * c5: agent 2, task 1, 2026-03-05, tools, conversation reward 1.
     * c6: first message 2026-02-28T23:59:59.999999Z, the rest in March; no tools.
     */
    private synchronized void publishOnce() {
        if (published) {
            return;
        }
        Encoding flat = Encoding.FLAT;
        publish(TASKS, flat, task(T1, "completed", Instant.parse("2026-03-01T09:00:00Z")),
                task(T2, "failed", Instant.parse("2026-03-02T09:00:00Z")),
                task(T3, "running", Instant.parse("2026-03-03T09:00:00Z")),
                task(T3, "completed", Instant.parse("2026-03-03T09:30:00Z")));
        publish(FEEDBACK, Encoding.DOCUMENT,
                feedback("conversation", C1, "correctness").put("value", 0.9),
                feedback("task", T2, "correctness").put("value", 0.4),
                feedback("conversation", C3, "correctness").put("value", 0.5),
                feedback("task", T3, "correctness").put("value", 0.95),
                feedback("conversation", C5, "reward").put("value", 1));
        List<Rec> messages = new ArrayList<>();
        messages.addAll(withTools(C1, Instant.parse("2026-03-01T10:00:00Z"), A1, T1));
        messages.addAll(plain(C2, Instant.parse("2026-03-02T10:00:00Z"), A2, T2));
        messages.addAll(withTools(C3, Instant.parse("2026-03-03T10:00:00Z"), A1, T3));
        messages.add(message(C3, "user", "and one more").seq(5).agent(A3).at(Instant.parse("2026-03-03T10:05:00Z")));
        messages.add(message(C3, "assistant", "done").seq(6).agent(A1).at(Instant.parse("2026-03-03T10:06:00Z")));
        messages.addAll(plain(C4, Instant.parse("2026-03-04T00:00:00Z"), null, null));
        messages.addAll(withTools(C5, Instant.parse("2026-03-05T10:00:00Z"), A2, T1));
        messages.add(message(C6, "user", "u").seq(1).at(Instant.parse("2026-02-28T23:59:59.999999Z")));
        messages.add(message(C6, "assistant", "a").seq(2).at(Instant.parse("2026-03-02T12:00:00Z")));
        publishMessages(Encoding.DOCUMENT, messages);
        published = true;
    }

    private static List<Rec> plain(String c, Instant at, String agent, String task) {
        Rec user = message(c, "user", "hello").seq(1).at(at);
        Rec assistant = message(c, "assistant", "hi").seq(2).at(at.plusSeconds(1));
        if (agent != null) {
            user.agent(agent);
            assistant.agent(agent);
        }
        if (task != null) {
            user.task(task);
            assistant.task(task);
        }
        return List.of(user, assistant);
    }

    private static List<Rec> withTools(String c, Instant at, String agent, String task) {
        return List.of(
                message(c, "user", "look it up").seq(1).at(at).agent(agent).task(task),
                message(c, "assistant", "").seq(2).at(at.plusSeconds(1)).agent(agent).task(task)
                        .calls(call(c + "-call", "lookup", "{\"q\":\"x\"}")),
                message(c, "tool", "found").seq(3).at(at.plusSeconds(2)).answers(c + "-call"),
                message(c, "assistant", "it is x").seq(4).at(at.plusSeconds(3)).agent(agent).task(task));
    }

    /** The conversations a request on all six gives, in order, with the summary agreeing. */
    private List<String> matching(String... params) {
        publishOnce();
        Params request = Params.conversations(ALL).with("metadata", "true").with(params);
        List<String> ids = conversationIds(dataset(request));
        assertThat(summary(request).get("emitted").asLong()).as("summary of %s", request).isEqualTo(ids.size());
        // Without metadata the filters must select the same conversations (the query then reads
        // less: feedback and task status only for the filters that use them).
        Params plain = Params.conversations(ALL).with(params);
        assertThat(dataset(plain)).as("lines of %s", plain).hasSize(ids.size());
        assertThat(summary(plain).get("emitted").asLong()).as("summary of %s", plain).isEqualTo(ids.size());
        return ids;
    }

    @Test
    void withoutFiltersEveryConversationComesInIdOrder() {
        assertThat(matching()).containsExactly(C1, C2, C3, C4, C5, C6);
    }

    @Test
    void fromAndToBoundTheFirstMessageFromInclusiveToExclusive() {
        assertThat(matching("from", "2026-03-02")).as("c6 starts in February").containsExactly(C2, C3, C4, C5);
        assertThat(matching("from", "2026-03-04T00:00:00Z")).as("from is inclusive").containsExactly(C4, C5);
        assertThat(matching("to", "2026-03-04T00:00:00Z")).as("to is exclusive").containsExactly(C1, C2, C3, C6);
        assertThat(matching("from", "2026-03-01", "to", "2026-03-03")).containsExactly(C1, C2);
        assertThat(matching("to", "2026-03-01")).as("c6's first message is before March").containsExactly(C6);
        assertThat(matching("from", "2026-02-28T23:59:59.999999Z", "to", "2026-03-01T00:00:00Z")).containsExactly(C6);
        assertThat(matching("from", "2026-03-03T11:00:00+01:00", "to", "2026-03-03T10:00:00.000001Z"))
                .as("offsets").containsExactly(C3);
    }

    @Test
    void conversationIdAgentAndTaskMatchAnyOfTheirValues() {
        publishOnce();
        assertThat(conversationIds(dataset(Params.of("conversation_id", C3, "conversation_id", C3, "metadata", "true"))))
                .as("a repeated id: one line").containsExactly(C3);
        assertThat(conversationIds(dataset(Params.of("conversation_id", C3, "conversation_id", C1, "metadata", "true"))))
                .containsExactly(C1, C3);
        assertThat(matching("agent_id", A1)).containsExactly(C1, C3);
        assertThat(matching("agent_id", A3)).as("an agent of one message").containsExactly(C3);
        assertThat(matching("agent_id", A1, "agent_id", A2)).containsExactly(C1, C2, C3, C5);
        assertThat(matching("agent_id", P + "nobody")).isEmpty();
        assertThat(matching("task_id", T1)).containsExactly(C1, C5);
        assertThat(matching("task_id", T2, "task_id", T3)).containsExactly(C2, C3);
    }

    @Test
    void taskStatusIsTheStatusOfAReferencedTaskAfterMerging() {
        assertThat(matching("task_status", "completed")).containsExactly(C1, C3, C5);
        assertThat(matching("task_status", "failed")).containsExactly(C2);
        assertThat(matching("task_status", "running")).as("task 3 is completed now").isEmpty();
        assertThat(matching("task_status", "failed", "task_status", "completed")).containsExactly(C1, C2, C3, C5);
    }

    @Test
    void hasToolsSelectsConversationsWithOrWithoutToolCalls() {
        assertThat(matching("has_tools", "true")).containsExactly(C1, C3, C5);
        assertThat(matching("has_tools", "false")).containsExactly(C2, C4, C6);
    }

    @Test
    void scoresUseTheConversationsFeedbackElseItsTasks() {
        assertThat(matching("min_score", "correctness:0.5")).as("0.9, 0.5 inclusive; c3's own 0.5 over its task's 0.95")
                .containsExactly(C1, C3);
        assertThat(matching("min_score", "correctness:0.3")).as("c2 by its task's 0.4").containsExactly(C1, C2, C3);
        assertThat(matching("max_score", "correctness:0.5")).containsExactly(C2, C3);
        assertThat(matching("min_score", "correctness:0.45", "max_score", "correctness:0.95")).containsExactly(C1, C3);
        assertThat(matching("min_score", "correctness:0.96")).isEmpty();
        assertThat(matching("min_score", "reward:1")).containsExactly(C5);
        assertThat(matching("max_score", "reward:0.99")).isEmpty();
        assertThat(matching("min_score", "correctness:-1", "min_score", "reward:0")).as("both names must match")
                .isEmpty();
        assertThat(matching("min_score", "correctness:1e-1")).containsExactly(C1, C2, C3);
    }

    @Test
    void limitCapsTheLinesAndCombinesWithFilters() {
        assertThat(matching("limit", "2")).containsExactly(C1, C2);
        assertThat(matching("limit", "0")).isEmpty();
        assertThat(matching("limit", "100")).hasSize(6);
        assertThat(matching("has_tools", "false", "limit", "2")).containsExactly(C2, C4);
        assertThat(matching("agent_id", A1, "has_tools", "true", "task_status", "completed",
                "from", "2026-03-02")).containsExactly(C3);
    }

    // ---- Bad parameters ----

    @Test
    void badParametersGet400WithAJsonErrorOnTheDatasetAndItsSummary() {
        List<String[]> bad = List.of(
                new String[] {"unknown", "1"},
                new String[] {"status", "completed"},
                new String[] {"min_score", "x"},
                new String[] {"min_score", "a:b"},
                new String[] {"min_score", ":0.5"},
                new String[] {"min_score", "correctness:"},
                new String[] {"max_score", "correctness:NaN"},
                new String[] {"max_score", "correctness:Infinity"},
                new String[] {"max_score", "correctness:0x1p-2"},
                new String[] {"validation_fraction", "1.5"},
                new String[] {"validation_fraction", "-0.1"},
                new String[] {"validation_fraction", "abc"},
                new String[] {"test_fraction", "2"},
                new String[] {"test_fraction", "NaN"},
                new String[] {"split", "dev"},
                new String[] {"split", "Train"},
                new String[] {"format", "jsonl"},
                new String[] {"format", "csv"},
                new String[] {"format", "OPENAI"},
                new String[] {"has_tools", "yes"},
                new String[] {"has_tools", "1"},
                new String[] {"has_tools", ""},
                new String[] {"metadata", "yes"},
                new String[] {"from", "2026-13-01"},
                new String[] {"from", "yesterday"},
                new String[] {"to", "2026-02-30"},
                new String[] {"from", "2026-03-01T10:00:00"},
                new String[] {"limit", "-1"},
                new String[] {"limit", "ten"});
        for (String[] parameter : bad) {
            assertBadRequest(Params.of(parameter[0], parameter[1]));
        }
        assertBadRequest(Params.of("validation_fraction", "0.6", "test_fraction", "0.5"));
        assertBadRequest(Params.of("test_fraction", "0.95"));
        assertBadRequest(Params.of("from", "2026-03-02", "to", "2026-03-01"));
        assertBadRequest(Params.of("format", "openai", "format", "messages"));
        assertBadRequest(Params.of("split", "train", "split", "test"));
        // Fractions may add up to 1 exactly.
        assertThat(get(PATH, Params.of("conversation_id", C1, "validation_fraction", "0.5", "test_fraction", "0.5"))
                .statusCode()).isEqualTo(200);
    }

    private static void assertBadRequest(Params params) {
        for (String path : List.of(PATH, SUMMARY_PATH)) {
            Response response = get(path, params.with("conversation_id", C1));
            assertThat(response.statusCode()).as("%s%s: %s", path, params, response.asString()).isEqualTo(400);
            assertThat(mediaType(response.contentType())).as("%s%s", path, params).isEqualTo("application/json");
            JsonNode error = parse(response.asString());
            assertThat(error.path("error").isTextual() && !error.path("error").asText().isBlank())
                    .as("a JSON error for %s%s: %s", path, params, response.asString()).isTrue();
        }
    }

    @Test
    void theDatasetNeedsATokenWithTheExportScope() {
        assertThat(io.restassured.RestAssured.given().get(PATH + "?conversation_id=" + urlEncode(C1)).statusCode())
                .isEqualTo(401);
        assertThat(io.restassured.RestAssured.given().auth().oauth2(INGEST_TOKEN)
                .get(PATH + "?conversation_id=" + urlEncode(C1)).statusCode()).isEqualTo(403);
        assertThat(io.restassured.RestAssured.given().auth().oauth2(INGEST_TOKEN)
                .get(SUMMARY_PATH + "?conversation_id=" + urlEncode(C1)).statusCode()).isEqualTo(403);
    }
}
