package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The trajectories dataset of contract 6.2 on hand-made tasks published with XADD: steps in time
 * order, calls and their observations (from tool messages, else from the execution the call names),
 * tool executions no call names as steps of their own, parallel calls, a task without messages,
 * feedback as the reward, every filter, the split, resuming, and bad parameters. Expected lines are
 * written out in full where the rule is about the shape; every line passes {@link #assertAtif}.
 */
@QuarkusTest
class TrajectoryDatasetTest extends DatasetTestSupport {

    private static final String TRAJECTORIES = "/api/v1/datasets/trajectories";
    private static final Instant T = Instant.parse("2026-05-02T23:59:58Z");
    private static final String P = unique("trajectory") + "-";
    private static final String AGENT = P + "agent";

    private static JsonNode j(String singleQuoted) {
        return parse(singleQuoted.replace('\'', '"'));
    }

    private static Instant t(int seconds) {
        return T.plusSeconds(seconds);
    }

    private static DatasetTestSupport.Rec ownTask(String taskId, String status, Instant at) {
        return task(taskId, status, at).agent(AGENT);
    }

    private static Response request(Params params) {
        return get(TRAJECTORIES, params);
    }

    /** The lines of a successful request, each checked against the ATIF shape. */
    private static List<JsonNode> trajectories(Params params) {
        Response response = request(params);
        assertThat(response.statusCode()).as("status of %s: %s", params, response.asString()).isEqualTo(200);
        assertThat(mediaType(response.contentType())).isEqualTo("application/x-ndjson");
        List<JsonNode> lines = lines(new String(response.asByteArray(), StandardCharsets.UTF_8)).stream()
                .map(DatasetTestSupport::parse).toList();
        lines.forEach(TrajectoryDatasetTest::assertAtif);
        return lines;
    }

    private static JsonNode only(Params params) {
        List<JsonNode> lines = trajectories(params);
        assertThat(lines).as("lines of %s", params).hasSize(1);
        return lines.get(0);
    }

    private static List<String> sessions(List<JsonNode> lines) {
        return lines.stream().map(line -> line.get("session_id").asText()).toList();
    }

    /**
     * ATIF v1.4 as the contract uses it: the root fields, steps numbered from 1 with an ISO-8601
     * UTC timestamp, a known source and a message string, calls with an object of arguments, every
     * observation result naming a call of its own step (or, alone, the call a tool message named).
     */
    static void assertAtif(JsonNode line) {
        assertThat(line.get("schema_version").asText()).isEqualTo("ATIF-v1.4");
        assertThat(line.get("session_id").isTextual()).as("session_id").isTrue();
        assertThat(line.get("agent").get("name").isTextual()).as("agent.name").isTrue();
        assertThat(line.get("extra").get("task").isObject()).as("extra.task").isTrue();
        assertThat(line.get("extra").get("feedback").isObject()).as("extra.feedback").isTrue();
        assertThat(line.get("steps").isArray()).isTrue();
        Instant previous = Instant.MIN;
        for (int i = 0; i < line.get("steps").size(); i++) {
            JsonNode step = line.get("steps").get(i);
            assertThat(step.get("step_id").asInt()).as("step_id of step %d", i).isEqualTo(i + 1);
            assertThat(step.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
            assertThat(step.get("source").asText()).isIn("system", "user", "agent");
            assertThat(step.get("message").isTextual()).as("message of step %d", i + 1).isTrue();
            Set<String> calls = new HashSet<>();
            for (JsonNode call : step.path("tool_calls")) {
                assertThat(call.get("tool_call_id").isTextual()).isTrue();
                assertThat(call.get("function_name").isTextual()).isTrue();
                assertThat(call.get("arguments").isObject()).as("arguments are an object").isTrue();
                calls.add(call.get("tool_call_id").asText());
            }
            for (JsonNode result : step.path("observation").path("results")) {
                assertThat(result.get("content").isTextual()).isTrue();
                if (!calls.isEmpty()) {
                    assertThat(calls).as("an observation answers a call of its step").contains(result.get("source_call_id").asText());
                }
            }
            Instant at = Instant.parse(step.get("timestamp").asText());
            assertThat(at).as("steps in time order").isAfterOrEqualTo(previous);
            previous = at;
        }
    }

    @Test
    void aTaskBecomesNumberedStepsWithObservationsPairedToTheirCallsAndItsFeedbackAsTheReward() {
        String task = P + "rich";
        publish(TASKS, Encoding.FLAT, ownTask(task, "running", t(0)).put("task_type", "code_generation")
                .put("workflow_id", P + "wf"), ownTask(task, "completed", t(9)));
        publish(TOOL_EXECUTIONS, Encoding.DOCUMENT,
                // Named by the assistant's first call and answered by no tool message: its result fills the observation.
                execution(P + "c1", "read_file").task(task).at(t(3)).json("output_result", "{'text': 'hi'}".replace('\'', '"')),
                // Of the task but named by no call: a step of its own, in time order.
                execution(P + "e9", "lint").task(task).at(t(2)).json("input_params", "{\"path\": \"a.py\"}")
                        .put("error", "E501 line too long"),
                // Named by the second call, which a tool message answers: the message wins, no step of its own.
                execution(P + "c2", "run_tests").task(task).at(t(4)).json("output_result", "\"ignored\""));
        publishMessages(Encoding.FLAT, List.of(
                message(P + "conv", "system", "You write code.").task(task).seq(0).at(t(1)),
                message(P + "conv", "user", "Fix the test.").task(task).seq(1).at(t(1)),
                message(P + "conv", "assistant", "").task(task).seq(2).at(t(3))
                        .calls(call(P + "c1", "read_file", "{\"path\":\"a.py\"}"), call(P + "c2", "run_tests", "{}")),
                message(P + "conv", "tool", "2 passed").task(task).seq(3).at(t(5)).answers(P + "c2"),
                message(P + "conv", "assistant", "Done.").task(task).seq(4).at(t(6))));
        publish(FEEDBACK, Encoding.DOCUMENT,
                feedback("task", task, "reward").put("value", 0.25).at(t(7)),
                feedback("task", task, "reward").put("value", 0.9).put("source", "judge").put("feedback_id", P + "f2").at(t(8)),
                feedback("task", task, "verdict").put("label", "pass").at(t(8)));

        JsonNode line = only(Params.of("task_id", task));
        JsonNode taskRow = parse(export().get("/api/v1/export/tasks?task_id=" + urlEncode(task)).asString().trim());
        String e = """
                {'schema_version': 'ATIF-v1.4', 'session_id': '%1$srich', 'agent': {'name': '%1$sagent'},
                 'steps': [
                  {'step_id': 1, 'timestamp': '2026-05-02T23:59:59.000000Z', 'source': 'system', 'message': 'You write code.',
                   'extra': {'message_id': '%2$s'}},
                  {'step_id': 2, 'timestamp': '2026-05-02T23:59:59.000000Z', 'source': 'user', 'message': 'Fix the test.',
                   'extra': {'message_id': '%3$s'}},
                  {'step_id': 3, 'timestamp': '2026-05-03T00:00:00.000000Z', 'source': 'agent', 'message': '',
                   'tool_calls': [{'tool_call_id': '%1$se9', 'function_name': 'lint', 'arguments': {'path': 'a.py'}}],
                   'observation': {'results': [{'source_call_id': '%1$se9', 'content': 'E501 line too long'}]},
                   'extra': {'execution_id': '%1$se9'}},
                  {'step_id': 4, 'timestamp': '2026-05-03T00:00:01.000000Z', 'source': 'agent', 'message': '',
                   'tool_calls': [{'tool_call_id': '%1$sc1', 'function_name': 'read_file', 'arguments': {'path': 'a.py'}},
                                  {'tool_call_id': '%1$sc2', 'function_name': 'run_tests', 'arguments': {}}],
                   'observation': {'results': [{'source_call_id': '%1$sc1', 'content': %7$s},
                                               {'source_call_id': '%1$sc2', 'content': '2 passed'}]},
                   'extra': {'message_id': '%4$s'}},
                  {'step_id': 5, 'timestamp': '2026-05-03T00:00:04.000000Z', 'source': 'agent', 'message': 'Done.',
                   'extra': {'message_id': '%5$s'}}],
                 'extra': {'task': %6$s, 'feedback': {'reward': 0.9, 'verdict': 'pass'}, 'workflow_id': '%1$swf'}}
                """;
        List<String> messageIds = query("SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?"
                + " ORDER BY seq", P + "conv").stream().map(row -> (String) row.get("message_id")).toList();
        // The execution's output_result as compact JSON text, a JSON string inside the line.
        String compactOutput = TextNode.valueOf("{\"text\":\"hi\"}").toString();
        String expected = String.format(e.replace('\'', '"'), P, messageIds.get(0), messageIds.get(1),
                messageIds.get(2), messageIds.get(4), taskRow.toString(), compactOutput);
        assertThat(value(line)).isEqualTo(value(parse(expected)));
        assertThat(line.get("extra").get("task").get("status").asText()).as("the merged task row").isEqualTo("completed");
    }

    @Test
    void aTaskWithoutMessagesIsItsToolExecutionsAndATaskWithNothingHasNoSteps() {
        String executionsOnly = P + "executions-only";
        String empty = P + "empty";
        publish(TASKS, Encoding.DOCUMENT, ownTask(executionsOnly, "failed", t(0)), ownTask(empty, "pending", t(0)));
        publish(TOOL_EXECUTIONS, Encoding.FLAT,
                execution(P + "x2", "deploy").task(executionsOnly).at(t(5)).json("input_params", "[1, 2]"),
                execution(P + "x1", "build").task(executionsOnly).at(t(1)).put("status", "running"));
        // The same execution again, finished: the merged row is what the step shows.
        publish(TOOL_EXECUTIONS, Encoding.FLAT,
                execution(P + "x1", "build").task(executionsOnly).at(t(2)).put("status", "completed")
                        .json("output_result", "\"built\""));

        JsonNode line = only(Params.of("task_id", executionsOnly));
        assertThat(value(line.get("steps"))).isEqualTo(value(j("""
                [{'step_id': 1, 'timestamp': '2026-05-03T00:00:00.000000Z', 'source': 'agent', 'message': '',
                  'tool_calls': [{'tool_call_id': '%1$sx1', 'function_name': 'build', 'arguments': {}}],
                  'observation': {'results': [{'source_call_id': '%1$sx1', 'content': 'built'}]},
                  'extra': {'execution_id': '%1$sx1'}},
                 {'step_id': 2, 'timestamp': '2026-05-03T00:00:03.000000Z', 'source': 'agent', 'message': '',
                  'tool_calls': [{'tool_call_id': '%1$sx2', 'function_name': 'deploy', 'arguments': {'input': [1, 2]}}],
                  'extra': {'execution_id': '%1$sx2'}}]
                """.formatted(P))));
        JsonNode nothing = only(Params.of("task_id", empty));
        assertThat(nothing.get("steps")).isEmpty();
        assertThat(nothing.get("extra").get("feedback")).isEmpty();
        assertThat(nothing.get("extra").get("workflow_id").isNull()).isTrue();
    }

    @Test
    void anExecutionOfAnotherTaskAnswersTheCallThatNamesItAndAnOrphanToolMessageIsAStepOfItsOwn() {
        String caller = P + "caller";
        String owner = P + "owner";
        publish(TASKS, Encoding.FLAT, ownTask(caller, "completed", t(0)), ownTask(owner, "completed", t(0)));
        publish(TOOL_EXECUTIONS, Encoding.FLAT, execution(P + "shared", "search").task(owner).at(t(1))
                .json("output_result", "{\"hits\": 3}"));
        publishMessages(Encoding.DOCUMENT, List.of(
                message(P + "conv-x", "user", "Find it.").task(caller).seq(0).at(t(0)),
                message(P + "conv-x", "assistant", "Searching").task(caller).seq(1).at(t(1))
                        .calls(call(P + "shared", "search", "not json"), call(P + "unknown", "open", "{\"id\":1}")),
                message(P + "conv-x", "tool", "stray result").task(caller).seq(2).at(t(2)).answers(P + "nobody"),
                message(P + "conv-x", "assistant", "Found.").task(caller).seq(3).at(t(3))));

        JsonNode line = only(Params.of("task_id", caller));
        JsonNode steps = line.get("steps");
        assertThat(steps).hasSize(4);
        JsonNode calling = steps.get(1);
        assertThat(value(calling.get("tool_calls"))).isEqualTo(value(j("""
                [{'tool_call_id': '%1$sshared', 'function_name': 'search', 'arguments': {}},
                 {'tool_call_id': '%1$sunknown', 'function_name': 'open', 'arguments': {'id': 1}}]""".formatted(P))));
        assertThat(calling.get("extra").get("invalid_arguments").get(P + "shared").asText())
                .as("arguments that are no object are kept beside the call").isEqualTo("not json");
        JsonNode answered = calling.get("observation").get("results");
        assertThat(answered).as("the other task's execution answers; the unknown call has none").hasSize(1);
        assertThat(answered.get(0).get("source_call_id").asText()).isEqualTo(P + "shared");
        assertThat(answered.get(0).get("content").asText()).isEqualTo("{\"hits\":3}");
        JsonNode orphan = steps.get(2);
        assertThat(orphan.get("source").asText()).isEqualTo("agent");
        assertThat(orphan.get("message").asText()).isEmpty();
        assertThat(value(orphan.get("observation"))).isEqualTo(value(j(
                "{'results': [{'source_call_id': '%snobody', 'content': 'stray result'}]}".formatted(P))));
        assertThat(steps.get(3).get("message").asText()).isEqualTo("Found.");

        JsonNode ownerLine = only(Params.of("task_id", owner));
        assertThat(ownerLine.get("steps")).as("the owner's execution is a step of the owner: no message there names it")
                .hasSize(1);
        assertThat(ownerLine.get("steps").get(0).get("extra").get("execution_id").asText()).isEqualTo(P + "shared");
    }

    @Test
    void filtersScoresLimitAndResumeSelectTasksInBytewiseTaskIdOrder() {
        String agent = P + "filters";
        List<String> ids = List.of(P + "f-B", P + "f-a", P + "f-\u00e9", P + "f-Z", P + "f-b");
        publish(TASKS, Encoding.FLAT,
                task(ids.get(0), "completed", t(0)).agent(agent).put("task_type", "review").put("workflow_id", P + "w1"),
                task(ids.get(1), "failed", t(10)).agent(agent).put("task_type", "code").put("workflow_id", P + "w1"),
                task(ids.get(2), "completed", t(20)).agent(agent).put("task_type", "code"),
                task(ids.get(3), "completed", t(30)).agent(agent).put("task_type", "code").put("workflow_id", P + "w2"),
                task(ids.get(4), "running", t(40)).agent(agent));
        publish(FEEDBACK, Encoding.FLAT,
                feedback("task", ids.get(0), "reward").put("value", 1.0),
                feedback("task", ids.get(2), "reward").put("value", 0.5),
                feedback("task", ids.get(3), "reward").put("value", 0.1),
                feedback("conversation", ids.get(4), "reward").put("value", 1.0)); // not on the task: does not count

        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(BYTEWISE);
        Params own = Params.of("agent_id", agent);
        assertThat(sessions(trajectories(own))).isEqualTo(sorted);
        assertThat(sessions(trajectories(own.with("status", "completed", "task_type", "code"))))
                .containsExactly(P + "f-Z", P + "f-\u00e9");
        assertThat(sessions(trajectories(own.with("workflow_id", P + "w1", "workflow_id", P + "w2"))))
                .containsExactly(P + "f-B", P + "f-Z", P + "f-a");
        assertThat(sessions(trajectories(own.with("task_id", ids.get(1), "task_id", ids.get(4)))))
                .containsExactly(P + "f-a", P + "f-b");
        assertThat(sessions(trajectories(own.with("from", t(10).toString(), "to", t(30).toString()))))
                .as("from inclusive, to exclusive, on the task's first_occurred_at").containsExactly(P + "f-a", P + "f-\u00e9");
        assertThat(sessions(trajectories(own.with("min_score", "reward:0.5"))))
                .containsExactly(P + "f-B", P + "f-\u00e9");
        assertThat(sessions(trajectories(own.with("max_score", "reward:0.5", "min_score", "reward:0.1"))))
                .containsExactly(P + "f-Z", P + "f-\u00e9");
        assertThat(trajectories(own.with("min_score", "reward:0.5")).get(0).get("extra").get("feedback").get("reward")
                .asDouble()).isEqualTo(1.0);
        assertThat(sessions(trajectories(own.with("limit", "2")))).isEqualTo(sorted.subList(0, 2));
        assertThat(sessions(trajectories(own.with("min_score", "reward:0", "limit", "1")))).containsExactly(P + "f-B");
        assertThat(trajectories(own.with("limit", "0"))).isEmpty();

        // Resuming after each line in turn gives the rest, with no gap and no duplicate.
        for (int i = 0; i < sorted.size(); i++) {
            assertThat(sessions(trajectories(own.with("after", sorted.get(i)))))
                    .as("after %s", sorted.get(i)).isEqualTo(sorted.subList(i + 1, sorted.size()));
        }
    }

    @Test
    void theSplitIsTheContractRuleOnTheTaskIdAndTheSplitsPartitionTheTasks() {
        String agent = P + "split";
        List<DatasetTestSupport.Rec> tasks = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ids.add(P + "s-" + i);
            tasks.add(task(ids.get(i), "completed", t(i)).agent(agent));
        }
        publish(TASKS, Encoding.DOCUMENT, tasks);
        Params own = Params.of("agent_id", agent, "validation_fraction", "0.25", "test_fraction", "0.2", "split_seed", "7");
        Set<String> seen = new HashSet<>();
        for (String split : List.of("train", "validation", "test")) {
            List<String> inSplit = sessions(trajectories(own.with("split", split)));
            List<String> expected = ids.stream().filter(id -> referenceSplit(id, "0.25", "0.2", "7").equals(split))
                    .sorted(BYTEWISE).toList();
            assertThat(inSplit).as("split %s", split).isEqualTo(expected);
            assertThat(inSplit).as("split %s is not empty with 60 tasks", split).isNotEmpty();
            inSplit.forEach(id -> assertThat(seen.add(id)).as("%s in one split only", id).isTrue());
        }
        assertThat(seen).hasSize(60);
    }

    @Test
    void gzipIsOfferedAndTheFileIsNamedAfterTheSplit() throws IOException {
        String task = P + "gzip";
        publish(TASKS, Encoding.FLAT, ownTask(task, "completed", t(0)));
        Response response = export().header("Accept-Encoding", "gzip").get(TRAJECTORIES + "?task_id=" + urlEncode(task)
                + "&split=train&validation_fraction=0");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header("Content-Disposition")).contains("trajectories-train.jsonl");
        // REST Assured decodes gzip itself; the raw request shows the encoding.
        var raw = send(java.net.http.HttpRequest.newBuilder(uri(TRAJECTORIES, Params.of("task_id", task)))
                .header("Authorization", "Bearer " + EXPORT_TOKEN).header("Accept-Encoding", "gzip").build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(raw.headers().firstValue("Content-Encoding")).hasValue("gzip");
        String body = new String(new GZIPInputStream(new ByteArrayInputStream(raw.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(parse(body.trim()).get("session_id").asText()).isEqualTo(task);
    }

    @Test
    void redactReplacesPersonalDataAndSecretsInEveryTextOfTheLineButNeverIds() {
        String task = P + "redact";
        String email = "jane.doe+ml@sub.example.co.uk";
        String phone = "+1-415-555-0100";
        String secret = "ghp_" + "Zq8JvT3mWc5LrN1xYb7KpD2sFh6GaE4uIo9R";
        publish(TASKS, Encoding.FLAT, ownTask(task, "failed", t(0)).put("error", "mail to " + email + " bounced"));
        publish(TOOL_EXECUTIONS, Encoding.FLAT,
                execution(P + "r1", "send_mail").task(task).at(t(2)).json("output_result", "{\"to\": \"" + email + "\"}"),
                execution(P + "r2", "call").task(task).at(t(4)).json("input_params", "{\"number\": \"" + phone + "\"}")
                        .put("error", "busy: " + phone));
        publishMessages(Encoding.FLAT, List.of(
                message(P + "conv-r", "user", "Write to " + email + " with key " + secret).task(task).seq(0).at(t(1)),
                message(P + "conv-r", "assistant", "").task(task).seq(1).at(t(2))
                        .calls(call(P + "r1", "send_mail", "{\"to\":\"" + email + "\"}")),
                message(P + "conv-r", "assistant", "Sent to " + email + ".").task(task).seq(2).at(t(3))));
        publish(FEEDBACK, Encoding.FLAT, feedback("task", task, "verdict").put("label", "ask " + email));

        JsonNode plain = only(Params.of("task_id", task));
        JsonNode redacted = only(Params.of("task_id", task, "redact", "all"));
        String text = redacted.toString();
        assertThat(plain.toString()).contains(email, phone, secret);
        assertThat(text).doesNotContain(email, phone, secret).contains("[REDACTED_EMAIL]", "[REDACTED_PHONE]",
                "[REDACTED_SECRET]");
        JsonNode steps = redacted.get("steps");
        assertThat(steps.get(0).get("message").asText()).isEqualTo("Write to [REDACTED_EMAIL] with key [REDACTED_SECRET]");
        assertThat(steps.get(1).get("tool_calls").get(0).get("arguments").get("to").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(steps.get(1).get("tool_calls").get(0).get("tool_call_id").asText()).isEqualTo(P + "r1");
        assertThat(parse(steps.get(1).get("observation").get("results").get(0).get("content").asText()).get("to")
                .asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(steps.get(3).get("tool_calls").get(0).get("arguments").get("number").asText())
                .isEqualTo("[REDACTED_PHONE]");
        assertThat(redacted.get("extra").get("task").get("error").asText()).isEqualTo("mail to [REDACTED_EMAIL] bounced");
        assertThat(redacted.get("extra").get("feedback").get("verdict").asText()).isEqualTo("ask [REDACTED_EMAIL]");
        for (String kept : List.of("session_id", "agent")) {
            assertThat(redacted.get(kept)).as(kept).isEqualTo(plain.get(kept));
        }
        assertThat(redacted.get("extra").get("task").get("task_id")).isEqualTo(plain.get("extra").get("task").get("task_id"));
        Response bad = request(Params.of("task_id", task, "redact", "names"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(parse(bad.asString()).get("error").asText()).contains("redact");
    }

    @Test
    void badParametersAreRefusedWithWhatToFix() {
        for (String[] bad : new String[][] {
                {"format=openai", "Unknown parameter 'format'"},
                {"conversation_id=x", "Unknown parameter 'conversation_id'"},
                {"split=holdout", "Unknown split"},
                {"min_score=reward", "<feedback name>:<number>"},
                {"max_score=reward:NaN", "finite decimal number"},
                {"limit=-1", "limit"},
                {"from=yesterday", "from"},
                {"from=2026-01-02&to=2026-01-01", "must be before"},
                {"validation_fraction=0.7&test_fraction=0.4", "over 1"},
                {"split=train&split=test", "split"},
                {"after=a%00b", "NUL"}}) {
            Response response = export().get(TRAJECTORIES + "?" + bad[0]);
            assertThat(response.statusCode()).as("%s: %s", bad[0], response.asString()).isEqualTo(400);
            assertThat(parse(response.asString()).get("error").asText()).as(bad[0]).contains(bad[1]);
        }
        assertThat(io.restassured.RestAssured.given().get(TRAJECTORIES).statusCode()).isEqualTo(401);
        assertThat(io.restassured.RestAssured.given().auth().oauth2(INGEST_TOKEN).get(TRAJECTORIES).statusCode())
                .isEqualTo(403);
    }
}
