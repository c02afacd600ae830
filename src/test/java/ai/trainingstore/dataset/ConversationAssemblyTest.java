package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The assembly rules of contract 6.1, one by one, on hand-made conversations published with XADD
 * in both encodings: the order of messages (rule 1), tool results from tool executions (rule 2),
 * trailing messages (rule 3), every skip reason and which one counts when several apply (rule 4),
 * the tools list, defined or inferred (rule 5), both formats and the metadata. Expected lines are
 * written out in full; every line also passes {@link OpenAiChatValidator}.
 */
@QuarkusTest
class ConversationAssemblyTest extends DatasetTestSupport {

    private static final Instant T = Instant.parse("2026-04-01T10:00:00Z");

    /** JSON written with single quotes, for readable expectations. */
    private static JsonNode j(String singleQuoted) {
        return parse(singleQuoted.replace('\'', '"'));
    }

    /** The one line of a conversation, asked with these extra parameters. */
    private static JsonNode lineOf(String conversationId, String... params) {
        List<JsonNode> lines = dataset(Params.of("conversation_id", conversationId).with(params));
        assertThat(lines).as("lines of %s", conversationId).hasSize(1);
        return lines.get(0);
    }

    /** Lines compared by value; the order of the tools list is not part of the contract. */
    private static void assertLine(JsonNode actual, JsonNode expected) {
        assertThat(value(toolsSorted(actual))).as("line").isEqualTo(value(toolsSorted(expected)));
    }

    private static JsonNode toolsSorted(JsonNode line) {
        ObjectNode copy = line.deepCopy();
        if (copy.has("tools")) {
            List<JsonNode> tools = new ArrayList<>();
            copy.get("tools").forEach(tools::add);
            tools.sort(java.util.Comparator.comparing(tool -> tool.path("function").path("name").asText()));
            copy.putArray("tools").addAll(tools);
        }
        return copy;
    }

    private static JsonNode withTools(JsonNode line, JsonNode tools) {
        ObjectNode copy = line.deepCopy();
        copy.set("tools", tools);
        return copy;
    }

    /** A prefix of ids this test owns, one per conversation and encoding. */
    private static String id(String name, Encoding encoding) {
        return PREFIX + name + "-" + encoding.name().toLowerCase();
    }

    private static final String PREFIX = unique("assembly") + "-";

    // ---- Rule 1: order ----

    @Test
    void messagesComeInSeqOrderThenOccurredAtThenMessageIdAndThoseWithoutSeqLast() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("order", encoding);
            // p0..p9 is the order the contract gives; published shuffled, times and ids chosen so
            // that any other order key (stream order, occurred_at alone, seq as text, message_id
            // alone, messages without seq first) gives a different order.
            Map<String, Rec> byLabel = new LinkedHashMap<>();
            byLabel.put("p0", message(c, "user", "p0").seq(-5).at(T.plusSeconds(7)).id(c + "-m"));
            byLabel.put("p1", message(c, "assistant", "p1").seq(1).at(T.plusSeconds(9)).id(c + "-z"));
            byLabel.put("p2", message(c, "user", "p2").seq(2).at(T.plusSeconds(1)).id(c + "-y"));
            byLabel.put("p3", message(c, "assistant", "p3").seq(2).at(T.plusSeconds(2)).id(c + "-a"));
            byLabel.put("p4", message(c, "user", "p4").seq(3).at(T.plusSeconds(3)).id(c + "-c1"));
            byLabel.put("p5", message(c, "assistant", "p5").seq(3).at(T.plusSeconds(3)).id(c + "-c2"));
            byLabel.put("p6", message(c, "user", "p6").seq(10).at(T).id(c + "-b"));
            byLabel.put("p7", message(c, "assistant", "p7").at(T.minusSeconds(10)).id(c + "-w"));
            byLabel.put("p8", message(c, "user", "p8").at(T.plusSeconds(4)).id(c + "-d1"));
            byLabel.put("p9", message(c, "assistant", "p9").at(T.plusSeconds(4)).id(c + "-d2"));
            List<Rec> shuffled = new ArrayList<>();
            for (String label : List.of("p5", "p9", "p2", "p7", "p0", "p4", "p8", "p1", "p6", "p3")) {
                shuffled.add(byLabel.get(label));
            }
            publishMessages(encoding, shuffled);

            assertLine(lineOf(c), j("{'messages':["
                    + "{'role':'user','content':'p0'},{'role':'assistant','content':'p1'},"
                    + "{'role':'user','content':'p2'},{'role':'assistant','content':'p3'},"
                    + "{'role':'user','content':'p4'},{'role':'assistant','content':'p5'},"
                    + "{'role':'user','content':'p6'},{'role':'assistant','content':'p7'},"
                    + "{'role':'user','content':'p8'},{'role':'assistant','content':'p9'}]}"));
            JsonNode metadata = lineOf(c, "metadata", "true").get("metadata");
            assertThat(Instant.parse(metadata.get("first_occurred_at").asText())).isEqualTo(T.minusSeconds(10));
            assertThat(Instant.parse(metadata.get("last_occurred_at").asText())).isEqualTo(T.plusSeconds(9));
        }
    }

    // ---- Rule 2: tool results ----

    @Test
    void parallelCallsGetTheirResultsFromToolExecutionsAfterTheToolMessagesThatFollowInCallOrder() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("parallel", encoding);
            publishMessages(encoding, List.of(
                    message(c, "user", "Weather in Paris and Rome, and the time?").seq(1),
                    message(c, "assistant", "").seq(2).calls(
                            call(c + "-paris", "get_weather", "{\"city\": \"Paris\"}"),
                            call(c + "-rome", "get_weather", "{\"city\":\"Rome\"}"),
                            call(c + "-time", "get_time", "{\"tz\":\"CET\"}")),
                    message(c, "tool", "18C").seq(3).answers(c + "-rome"),
                    message(c, "assistant", "Paris 21C, Rome 18C, 12:00.").seq(4)));
            publish(TOOL_EXECUTIONS, encoding,
                    execution(c + "-paris", "get_weather").json("output_result",
                            "{\"unit\": \"C\", \"temp\": 21, \"note\": \"sunny  day\"}"),
                    // Answered by a message too: the message wins, no second result.
                    execution(c + "-rome", "get_weather").json("output_result", "{\"temp\": 99}"),
                    // A JSON string is the content as itself.
                    execution(c + "-time", "get_time").json("output_result", TextNode.valueOf("12:00")));

            JsonNode line = lineOf(c);
            String parisResult = line.get("messages").get(3).get("content").asText();
            assertCompactJson(parisResult, "{\"temp\":21,\"unit\":\"C\",\"note\":\"sunny  day\"}");
            ((ObjectNode) line.get("messages").get(3)).put("content", "PARIS");
            assertLine(line, j("{'messages':["
                    + "{'role':'user','content':'Weather in Paris and Rome, and the time?'},"
                    + "{'role':'assistant','content':null,'tool_calls':["
                    + "{'id':'" + c + "-paris','type':'function','function':{'name':'get_weather','arguments':'{\\'city\\': \\'Paris\\'}'}},"
                    + "{'id':'" + c + "-rome','type':'function','function':{'name':'get_weather','arguments':'{\\'city\\':\\'Rome\\'}'}},"
                    + "{'id':'" + c + "-time','type':'function','function':{'name':'get_time','arguments':'{\\'tz\\':\\'CET\\'}'}}]},"
                    + "{'role':'tool','tool_call_id':'" + c + "-rome','content':'18C'},"
                    + "{'role':'tool','tool_call_id':'" + c + "-paris','content':'PARIS'},"
                    + "{'role':'tool','tool_call_id':'" + c + "-time','content':'12:00'},"
                    + "{'role':'assistant','content':'Paris 21C, Rome 18C, 12:00.'}],"
                    + "'tools':[" + inferredTool("get_weather", "{'city':{'type':'string'}}", "['city']") + ","
                    + inferredTool("get_time", "{'tz':{'type':'string'}}", "['tz']") + "]}"));
        }
    }

    @Test
    void anExecutionGivesItsErrorWhenItHasNoOutputAndItsOutputWhenItHasBoth() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("errors", encoding);
            publishMessages(encoding, List.of(
                    message(c, "user", "Search x, y and z.").seq(1),
                    message(c, "assistant", "Let me search.").seq(2).calls(
                            call(c + "-x", "search", "{\"q\":\"x\"}"),
                            call(c + "-y", "search", "{\"q\":\"y\"}"),
                            call(c + "-z", "search", "{\"q\":\"z\"}")),
                    message(c, "assistant", "Found them.").seq(3)));
            publish(TOOL_EXECUTIONS, encoding,
                    execution(c + "-x", "search").put("status", "failed").put("error", "timeout after 30 s"),
                    execution(c + "-y", "search").json("output_result", "[1, 2]").put("error", "partial"),
                    // Reported twice, as agents do: running, then completed with its output.
                    execution(c + "-z", "search").put("status", "running").at(T),
                    execution(c + "-z", "search").put("status", "completed").json("output_result", "{\"hits\": []}")
                            .at(T.plusSeconds(1)));

            assertLine(lineOf(c), j("{'messages':["
                    + "{'role':'user','content':'Search x, y and z.'},"
                    + "{'role':'assistant','content':'Let me search.','tool_calls':["
                    + "{'id':'" + c + "-x','type':'function','function':{'name':'search','arguments':'{\\'q\\':\\'x\\'}'}},"
                    + "{'id':'" + c + "-y','type':'function','function':{'name':'search','arguments':'{\\'q\\':\\'y\\'}'}},"
                    + "{'id':'" + c + "-z','type':'function','function':{'name':'search','arguments':'{\\'q\\':\\'z\\'}'}}]},"
                    + "{'role':'tool','tool_call_id':'" + c + "-x','content':'timeout after 30 s'},"
                    + "{'role':'tool','tool_call_id':'" + c + "-y','content':'[1,2]'},"
                    + "{'role':'tool','tool_call_id':'" + c + "-z','content':'{\\'hits\\':[]}'},"
                    + "{'role':'assistant','content':'Found them.'}],"
                    + "'tools':[" + inferredTool("search", "{'q':{'type':'string'}}", "['q']") + "]}"));
        }
    }

    @Test
    void aResultAnsweredByAMessageAnywhereInTheConversationIsNotAddedFromItsExecution() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("answered-later", encoding);
            // The result message is stored without seq, so it sorts last; the execution must not
            // be added after the call (the message answers it, rule 2). The line is then left out
            // as unanswered: the answer is not before the next assistant message.
            publishMessages(encoding, List.of(
                    message(c, "user", "q").seq(1),
                    message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}")),
                    message(c, "assistant", "a").seq(3),
                    message(c, "tool", "late").answers(c + "-1")));
            publish(TOOL_EXECUTIONS, encoding, execution(c + "-1", "f").json("output_result", "\"from execution\""));
            assertThat(dataset(Params.of("conversation_id", c))).isEmpty();
            assertThat(summary(Params.of("conversation_id", c)).get("skipped").get("unanswered_tool_call").asLong())
                    .isEqualTo(1);
        }
    }

    // ---- Rule 3: trailing messages ----

    @Test
    void messagesAfterTheLastAssistantMessageAreDroppedAndAFinalCallIsAValidEnd() {
        for (Encoding encoding : Encoding.values()) {
            String trailingUser = id("trailing-user", encoding);
            String finalCall = id("final-call", encoding);
            String finalCallWithExecution = id("final-call-execution", encoding);
            publishMessages(encoding, List.of(
                    message(trailingUser, "system", "Be brief.").seq(1),
                    message(trailingUser, "user", "hi").seq(2),
                    message(trailingUser, "assistant", "hello").seq(3),
                    message(trailingUser, "user", "trailing question").seq(4),
                    message(finalCall, "user", "Book a table at 19:00.").seq(1),
                    message(finalCall, "assistant", "").seq(2).calls(call(finalCall + "-1", "book", "{\"time\":\"19:00\"}")),
                    message(finalCall, "tool", "booked").seq(3).answers(finalCall + "-1"),
                    message(finalCall, "user", "thanks").seq(4),
                    message(finalCallWithExecution, "user", "Look it up.").seq(1),
                    message(finalCallWithExecution, "assistant", "").seq(2)
                            .calls(call(finalCallWithExecution + "-1", "lookup", "{\"k\":\"v\"}"))));
            publish(TOOL_EXECUTIONS, encoding,
                    execution(finalCallWithExecution + "-1", "lookup").json("output_result", "\"found\""));

            assertLine(lineOf(trailingUser), j("{'messages':[{'role':'system','content':'Be brief.'},"
                    + "{'role':'user','content':'hi'},{'role':'assistant','content':'hello'}]}"));
            assertLine(lineOf(finalCall), j("{'messages':[{'role':'user','content':'Book a table at 19:00.'},"
                    + "{'role':'assistant','content':null,'tool_calls':[{'id':'" + finalCall + "-1','type':'function',"
                    + "'function':{'name':'book','arguments':'{\\'time\\':\\'19:00\\'}'}}]}],"
                    + "'tools':[" + inferredTool("book", "{'time':{'type':'string'}}", "['time']") + "]}"));
            // The final call's own result (from its execution) is dropped with the rest.
            assertLine(lineOf(finalCallWithExecution), j("{'messages':[{'role':'user','content':'Look it up.'},"
                    + "{'role':'assistant','content':null,'tool_calls':[{'id':'" + finalCallWithExecution + "-1',"
                    + "'type':'function','function':{'name':'lookup','arguments':'{\\'k\\':\\'v\\'}'}}]}],"
                    + "'tools':[" + inferredTool("lookup", "{'k':{'type':'string'}}", "['k']") + "]}"));
        }
    }

    // ---- Rule 4: skip reasons ----

    @Test
    void eachBrokenConversationIsLeftOutAndCountedUnderTheFirstReasonThatApplies() {
        Map<String, String> expectedReason = new LinkedHashMap<>();
        List<String> valid = new ArrayList<>();
        for (Encoding encoding : Encoding.values()) {
            List<Rec> messages = new ArrayList<>();
            List<Rec> executions = new ArrayList<>();
            SkipCase cases = new SkipCase(encoding, messages, executions, expectedReason);

            cases.add("no-assistant", "no_assistant_message", c -> List.of(
                    message(c, "system", "s").seq(1), message(c, "user", "u").seq(2)));
            cases.add("no-assistant-and-orphan", "no_assistant_message", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "tool", "r").seq(2).answers(c + "-none")));
            cases.add("orphan", "orphan_tool_result", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "tool", "r").seq(2).answers(c + "-none"),
                    message(c, "assistant", "a").seq(3)));
            cases.add("orphan-before-its-call", "orphan_tool_result", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "tool", "early").seq(2).answers(c + "-1"),
                    message(c, "assistant", "").seq(3).calls(call(c + "-1", "f", "{}"))));
            cases.add("orphan-and-bad-arguments", "orphan_tool_result", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "tool", "r").seq(2).answers(c + "-none"),
                    message(c, "assistant", "").seq(3).calls(call(c + "-1", "f", "not json")),
                    message(c, "tool", "r").seq(4).answers(c + "-1"), message(c, "assistant", "a").seq(5)));
            cases.add("unanswered", "unanswered_tool_call", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{\"a\":1}")),
                    message(c, "assistant", "a").seq(3)));
            cases.add("answered-after-next-user", "unanswered_tool_call", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}")),
                    message(c, "user", "?").seq(3), message(c, "tool", "late").seq(4).answers(c + "-1"),
                    message(c, "assistant", "a").seq(5)));
            cases.add("one-of-two-unanswered", "unanswered_tool_call", c -> List.of(
                    message(c, "user", "u").seq(1),
                    message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}"), call(c + "-2", "f", "{}")),
                    message(c, "tool", "r").seq(3).answers(c + "-1"), message(c, "assistant", "a").seq(4)));
            cases.add("execution-without-result", "unanswered_tool_call", c -> {
                executions.add(execution(c + "-1", "f").put("status", "running"));
                return List.of(message(c, "user", "u").seq(1),
                        message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}")),
                        message(c, "assistant", "a").seq(3));
            });
            cases.add("unanswered-and-bad-arguments", "unanswered_tool_call", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{broken")),
                    message(c, "assistant", "a").seq(3)));
            for (Map.Entry<String, ObjectNode> bad : badCalls().entrySet()) {
                cases.add("bad-" + bad.getKey(), "bad_arguments", c -> {
                    ObjectNode call = bad.getValue().deepCopy().put("id", c + "-1");
                    return List.of(message(c, "user", "u").seq(1), message(c, "assistant", "").seq(2).calls(call),
                            message(c, "tool", "r").seq(3).answers(c + "-1"), message(c, "assistant", "a").seq(4));
                });
            }
            cases.add("bad-arguments-of-the-final-call", "bad_arguments", c -> List.of(
                    message(c, "user", "u").seq(1), message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "nope"))));
            cases.add("bad-arguments-and-missing-content", "bad_arguments", c -> {
                executions.add(execution(c + "-2", "f").json("output_result", TextNode.valueOf("")));
                return List.of(message(c, "user", "u").seq(1),
                        message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "[1]"), call(c + "-2", "f", "{}")),
                        message(c, "tool", "r").seq(3).answers(c + "-1"), message(c, "assistant", "a").seq(4));
            });
            cases.add("empty-output", "missing_content", c -> {
                executions.add(execution(c + "-1", "f").json("output_result", TextNode.valueOf("")));
                return List.of(message(c, "user", "u").seq(1),
                        message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}")),
                        message(c, "assistant", "a").seq(3));
            });
            cases.add("empty-error", "missing_content", c -> {
                executions.add(execution(c + "-1", "f").put("status", "failed").put("error", ""));
                return List.of(message(c, "user", "u").seq(1),
                        message(c, "assistant", "").seq(2).calls(call(c + "-1", "f", "{}")),
                        message(c, "assistant", "a").seq(3));
            });
            String control = id("skip-control", encoding);
            valid.add(control);
            messages.add(message(control, "user", "u").seq(1));
            messages.add(message(control, "assistant", "a").seq(2));
            publishMessages(encoding, messages);
            publish(TOOL_EXECUTIONS, encoding, executions);
        }

        List<String> all = new ArrayList<>(expectedReason.keySet());
        all.addAll(valid);
        Params params = Params.conversations(all).with("metadata", "true");
        assertThat(conversationIds(dataset(params))).as("only the valid conversations are emitted")
                .containsExactlyElementsOf(valid.stream().sorted(BYTEWISE).toList());

        Map<String, Long> expectedCounts = new LinkedHashMap<>();
        for (String reason : List.of("no_assistant_message", "orphan_tool_result", "unanswered_tool_call",
                "bad_arguments", "missing_content", "too_large", "bad_record", "too_long", "duplicate")) {
            expectedCounts.put(reason, expectedReason.values().stream().filter(reason::equals).count());
        }
        JsonNode summary = summary(params);
        Map<String, Long> skipped = new LinkedHashMap<>();
        summary.get("skipped").properties().forEach(entry -> skipped.put(entry.getKey(), entry.getValue().asLong()));
        assertThat(skipped).as("skipped by reason").isEqualTo(expectedCounts);
        assertThat(summary.get("emitted").asLong()).isEqualTo(valid.size());
        assertThat(summary.get("conversations").asLong()).isEqualTo(all.size());

        // Each broken conversation alone: counted under its own reason.
        for (Map.Entry<String, String> broken : expectedReason.entrySet()) {
            JsonNode alone = summary(Params.of("conversation_id", broken.getKey()));
            assertThat(alone.get("skipped").get(broken.getValue()).asLong()).as("%s under %s: %s", broken.getKey(),
                    broken.getValue(), alone).isEqualTo(1);
            assertThat(alone.get("emitted").asLong()).isZero();
        }
    }

    /** Calls whose arguments are not a JSON object nor the JSON text of one (ids set by the caller). */
    private static Map<String, ObjectNode> badCalls() {
        Map<String, ObjectNode> calls = new LinkedHashMap<>();
        calls.put("not-json", call("x", "f", "not json"));
        calls.put("array-text", call("x", "f", "[1,2]"));
        calls.put("trailing-text", call("x", "f", "{\"a\":1} and more"));
        calls.put("two-objects", call("x", "f", "{\"a\":1}{\"b\":2}"));
        calls.put("string-text", call("x", "f", "\"{\\\"a\\\":1}\""));
        calls.put("empty-text", call("x", "f", ""));
        calls.put("number", callWithObject("x", "f", "5"));
        calls.put("array", callWithObject("x", "f", "[{\"a\":1}]"));
        ObjectNode noArguments = call("x", "f", "{}");
        ((ObjectNode) noArguments.get("function")).remove("arguments");
        calls.put("no-arguments", noArguments);
        return calls;
    }

    /** Builds the conversations of the skip test, one per case and encoding. */
    private static final class SkipCase {
        private final Encoding encoding;
        private final List<Rec> messages;
        private final List<Rec> executions;
        private final Map<String, String> expected;

        SkipCase(Encoding encoding, List<Rec> messages, List<Rec> executions, Map<String, String> expected) {
            this.encoding = encoding;
            this.messages = messages;
            this.executions = executions;
            this.expected = expected;
        }

        void add(String name, String reason, java.util.function.Function<String, List<Rec>> conversation) {
            String c = id("skip-" + name, encoding);
            expected.put(c, reason);
            messages.addAll(conversation.apply(c));
        }
    }

    // ---- Rule 5: tools ----

    @Test
    void toolsAreTheLatestDefinitionsElseInferredFromTheArgumentsOfTheCalls() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("tools", encoding);
            ObjectNode weatherOld = tool("get_weather", "old", "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
            ObjectNode weatherNew = tool("get_weather", "new", "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                    + "\"units\":{\"type\":\"string\",\"enum\":[\"C\",\"F\"]}},\"required\":[\"city\"]}");
            ObjectNode unused = tool("unused_tool", "never called", "{\"type\":\"object\",\"properties\":{}}");
            publishMessages(encoding, List.of(
                    message(c, "system", "You help.").seq(1).tools(weatherOld, unused),
                    message(c, "user", "Weather in Oslo, and 2 + 3.5?").seq(2),
                    message(c, "assistant", "").seq(3).calls(
                            call(c + "-w", "get_weather", "{\"city\":\"Oslo\"}"),
                            call(c + "-c1", "calc", "{\"x\":2,\"y\":3.5,\"op\":\"add\",\"opts\":{\"round\":true},\"tags\":[\"a\"]}")),
                    message(c, "tool", "cold").seq(4).answers(c + "-w"),
                    message(c, "tool", "5.5").seq(5).answers(c + "-c1"),
                    message(c, "assistant", "").seq(6).tools(weatherNew)
                            .calls(callWithObject(c + "-c2", "calc", "{\"x\":7,\"op\":null,\"flag\":false}")),
                    message(c, "tool", "7").seq(7).answers(c + "-c2"),
                    message(c, "assistant", "Cold; 5.5; 7.").seq(8)));

            JsonNode line = lineOf(c);
            Map<String, JsonNode> tools = toolsByName(line);
            assertThat(tools.keySet()).containsExactlyInAnyOrder("get_weather", "unused_tool", "calc");
            assertThat(value(tools.get("get_weather"))).as("the latest definition").isEqualTo(value(weatherNew));
            assertThat(value(tools.get("unused_tool"))).as("defined, not called").isEqualTo(value(unused));
            assertInferred(tools.get("calc"), Map.of(
                    "x", Set.of("integer"), "y", Set.of("number"), "op", Set.of("string", "null"),
                    "opts", Set.of("object"), "tags", Set.of("array"), "flag", Set.of("boolean")), Set.of("x", "op"));
            // The call sent with an object has its arguments as JSON text of that object (openai format).
            JsonNode arguments = line.get("messages").get(5).get("tool_calls").get(0).get("function").get("arguments");
            assertThat(arguments.isTextual()).isTrue();
            assertThat(value(parse(arguments.asText()))).isEqualTo(value(j("{'x':7,'op':null,'flag':false}")));

            String plain = id("no-tools", encoding);
            String definedOnly = id("defined-only", encoding);
            publishMessages(encoding, List.of(
                    message(plain, "user", "u").seq(1), message(plain, "assistant", "a").seq(2),
                    message(definedOnly, "system", "s").seq(1).tools(unused),
                    message(definedOnly, "user", "u").seq(2), message(definedOnly, "assistant", "a").seq(3)));
            assertThat(lineOf(plain).has("tools")).as("no tools: left out").isFalse();
            assertLine(lineOf(definedOnly), withTools(j("{'messages':[{'role':'system','content':'s'},"
                    + "{'role':'user','content':'u'},{'role':'assistant','content':'a'}]}"), NODES.arrayNode().add(unused)));
        }
    }

    private static Map<String, JsonNode> toolsByName(JsonNode line) {
        Map<String, JsonNode> tools = new LinkedHashMap<>();
        line.path("tools").forEach(tool -> tools.put(tool.path("function").path("name").asText(), tool));
        return tools;
    }

    private static void assertInferred(JsonNode tool, Map<String, Set<String>> types, Set<String> required) {
        assertThat(tool.get("type").asText()).isEqualTo("function");
        assertThat(tool.get("function").path("description").isTextual()).as("a description, rule 5").isTrue();
        JsonNode parameters = tool.get("function").get("parameters");
        assertThat(parameters.get("type").asText()).isEqualTo("object");
        Map<String, Set<String>> seen = new HashMap<>();
        parameters.get("properties").properties().forEach(property -> {
            JsonNode type = property.getValue().get("type");
            Set<String> names = new HashSet<>();
            if (type.isArray()) {
                assertThat(type.size()).as("a list of several types").isGreaterThan(1);
                type.forEach(t -> names.add(t.asText()));
            } else {
                names.add(type.asText());
            }
            seen.put(property.getKey(), names);
        });
        assertThat(seen).as("property types").isEqualTo(types);
        Set<String> requiredSeen = new HashSet<>();
        parameters.get("required").forEach(key -> requiredSeen.add(key.asText()));
        assertThat(requiredSeen).as("required: keys in every call").isEqualTo(required);
    }

    /** The inferred definition, as JSON text with single quotes. */
    private static String inferredTool(String name, String properties, String required) {
        return "{'type':'function','function':{'name':'" + name + "','description':'','parameters':{'type':'object','properties':"
                + properties + ",'required':" + required + "}}}";
    }

    // ---- Formats and metadata ----

    @Test
    void theMessagesFormatHasArgumentsAsObjectsAndNamesEveryToolResult() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("messages-format", encoding);
            publishMessages(encoding, List.of(
                    message(c, "user", "Weather in Paris and Rome?").seq(1).name("alice"),
                    message(c, "assistant", "").seq(2).calls(
                            call(c + "-paris", "get_weather", "{\"city\":\"Paris\"}"),
                            callWithObject(c + "-rome", "get_weather", "{\"city\":\"Rome\",\"days\":2}")),
                    message(c, "tool", "18C").seq(3).answers(c + "-rome"),
                    message(c, "assistant", "21C and 18C.").seq(4)));
            publish(TOOL_EXECUTIONS, encoding, execution(c + "-paris", "get_weather").json("output_result", "\"21C\""));

            JsonNode expectedTools = j("[" + inferredTool("get_weather",
                    "{'city':{'type':'string'},'days':{'type':'integer'}}", "['city']") + "]");
            assertLine(lineOf(c, "format", "messages"), withTools(j("{'messages':["
                    + "{'role':'user','content':'Weather in Paris and Rome?','name':'alice'},"
                    + "{'role':'assistant','content':null,'tool_calls':["
                    + "{'id':'" + c + "-paris','type':'function','function':{'name':'get_weather','arguments':{'city':'Paris'}}},"
                    + "{'id':'" + c + "-rome','type':'function','function':{'name':'get_weather','arguments':{'city':'Rome','days':2}}}]},"
                    + "{'role':'tool','tool_call_id':'" + c + "-rome','name':'get_weather','content':'18C'},"
                    + "{'role':'tool','tool_call_id':'" + c + "-paris','name':'get_weather','content':'21C'},"
                    + "{'role':'assistant','content':'21C and 18C.'}]}"), expectedTools));
            JsonNode openai = lineOf(c, "format", "openai");
            assertThat(openai.get("messages").get(0).get("name").asText()).isEqualTo("alice");
            assertThat(openai.get("messages").get(1).get("tool_calls").get(1).get("function").get("arguments").asText())
                    .satisfies(text -> assertThat(value(parse(text))).isEqualTo(value(j("{'city':'Rome','days':2}"))));
            assertThat(openai.get("messages").get(2).has("name")).as("openai tool messages carry no added name").isFalse();
        }
    }

    @Test
    void metadataGivesIdsTaskStatusFeedbackTimesAndSplit() {
        for (Encoding encoding : Encoding.values()) {
            String c = id("metadata", encoding);
            String taskId = c + "-task";
            String otherTask = c + "-task-2";
            publish(TASKS, encoding, task(taskId, "running", T), task(taskId, "completed", T.plusSeconds(60)),
                    task(otherTask, "failed", T));
            publish(FEEDBACK, encoding,
                    feedback("conversation", c, "correctness").put("value", 0.9).put("source", "human"),
                    feedback("conversation", c, "thumbs").put("label", "up"),
                    feedback("task", taskId, "correctness").put("value", 0.1),
                    feedback("task", taskId, "reward").put("value", 1));
            publishMessages(encoding, List.of(
                    message(c, "user", "u").seq(1).agent(c + "-agent-a").task(taskId).at(T.plusSeconds(1)),
                    message(c, "assistant", "a").seq(2).agent(c + "-agent-b").task(taskId).at(T.plusSeconds(2)),
                    message(c, "user", "u2").seq(3).agent(c + "-agent-a").task(otherTask).at(T.plusSeconds(3)),
                    message(c, "assistant", "a2").seq(4).agent(c + "-agent-a").at(T.plusSeconds(4))));

            for (String format : List.of("openai", "messages")) {
                JsonNode metadata = lineOf(c, "metadata", "true", "format", format).get("metadata");
                assertThat(metadata.get("conversation_id").asText()).isEqualTo(c);
                assertThat(texts(metadata.get("agent_ids"))).containsExactlyInAnyOrder(c + "-agent-a", c + "-agent-b");
                assertThat(texts(metadata.get("task_ids"))).containsExactlyInAnyOrder(taskId, otherTask);
                assertThat(metadata.get("task_status").asText()).as("status of the first task referenced")
                        .isEqualTo("completed");
                assertThat(value(metadata.get("feedback"))).as("the conversation's feedback over its task's")
                        .isEqualTo(value(j("{'correctness':0.9,'thumbs':'up','reward':1}")));
                assertThat(Instant.parse(metadata.get("first_occurred_at").asText())).isEqualTo(T.plusSeconds(1));
                assertThat(Instant.parse(metadata.get("last_occurred_at").asText())).isEqualTo(T.plusSeconds(4));
                assertThat(metadata.get("split").asText()).isEqualTo(referenceSplit(c, "0.1", "0", "0"));
            }
            JsonNode split = lineOf(c, "metadata", "true", "validation_fraction", "0.5", "test_fraction", "0.25",
                    "split_seed", "s7").get("metadata");
            assertThat(split.get("split").asText()).isEqualTo(referenceSplit(c, "0.5", "0.25", "s7"));
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    /** The text is the given JSON by value, written compactly (no whitespace outside strings). */
    private static void assertCompactJson(String text, String expected) {
        JsonNode parsed = parse(text);
        assertThat(value(parsed)).as("value of %s", text).isEqualTo(value(parse(expected)));
        StringBuilder outside = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (inString) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    inString = false;
                }
            } else if (ch == '"') {
                inString = true;
            } else {
                outside.append(ch);
            }
        }
        assertThat(outside.toString()).as("no whitespace outside strings in %s", text).doesNotContainPattern("\\s");
    }
}
