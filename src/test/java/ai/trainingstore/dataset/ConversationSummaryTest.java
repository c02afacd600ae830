package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /summary} counts what the same request emits (contract 6.1): for many requests (filters,
 * splits, formats, metadata, limit, after) its {@code emitted}, {@code messages},
 * {@code tool_calls} and {@code tokens} equal what the export's lines hold, counted here line by
 * line; its {@code splits} equal the split of the emitted lines; its {@code skipped} equal the
 * reasons this test built its broken conversations for; and {@code conversations} is emitted plus
 * skipped.
 */
@QuarkusTest
class ConversationSummaryTest extends DatasetTestSupport {

    private static final String P = unique("summary") + "-";
    private static final String AGENT_A = P + "agent-a";
    private static final String AGENT_B = P + "agent-b";
    private static final int COUNT = 64;

    /** What this test built: per conversation, its skip reason (null: emitted), tool calls, agent. */
    private record Built(String id, String reason, boolean hasToolCalls, String agent) {
    }

    private static List<Built> built;

    private synchronized List<Built> built() {
        if (built != null) {
            return built;
        }
        List<Built> conversations = new ArrayList<>();
        List<Rec> messages = new ArrayList<>();
        List<Rec> executions = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            String c = P + String.format("%03d", i);
            String agent = i % 2 == 0 ? AGENT_A : AGENT_B;
            String padding = "word ".repeat(i * 7 % 50);
            switch (i % 16) {
                case 0, 8 -> { // plain
                    messages.add(message(c, "user", "question " + i + " " + padding).seq(1).agent(agent));
                    messages.add(message(c, "assistant", "answer " + i).seq(2).agent(agent));
                    conversations.add(new Built(c, null, false, agent));
                }
                case 1, 9, 13 -> { // 1 to 3 calls answered by messages
                    int calls = 1 + i % 3;
                    messages.add(message(c, "system", "You use tools.").seq(1).agent(agent));
                    messages.add(message(c, "user", "do " + i + " " + padding).seq(2).agent(agent));
                    JsonNode[] toolCalls = new JsonNode[calls];
                    for (int k = 0; k < calls; k++) {
                        toolCalls[k] = call(c + "-" + k, "tool_" + k, "{\"n\":" + k + ",\"s\":\"" + padding + "\"}");
                        messages.add(message(c, "tool", "result " + k).seq(4 + k).answers(c + "-" + k));
                    }
                    messages.add(message(c, "assistant", "").seq(3).agent(agent).calls(toolCalls));
                    messages.add(message(c, "assistant", "done " + i).seq(10).agent(agent));
                    conversations.add(new Built(c, null, true, agent));
                }
                case 2, 10 -> { // results from executions
                    messages.add(message(c, "user", "search " + i).seq(1).agent(agent));
                    messages.add(message(c, "assistant", "").seq(2).agent(agent)
                            .calls(call(c + "-a", "search", "{\"q\":\"a\"}"), call(c + "-b", "search", "{\"q\":\"b\"}")));
                    messages.add(message(c, "assistant", "found " + padding).seq(3).agent(agent));
                    executions.add(execution(c + "-a", "search").agent(agent).json("output_result", "{\"hits\":[1,2," + i + "]}"));
                    executions.add(execution(c + "-b", "search").agent(agent).put("error", "timeout"));
                    conversations.add(new Built(c, null, true, agent));
                }
                case 3, 11, 15 -> { // a trailing user message, dropped
                    messages.add(message(c, "user", "hi " + i).seq(1).agent(agent));
                    messages.add(message(c, "assistant", "hello " + padding).seq(2).agent(agent));
                    messages.add(message(c, "user", "trailing").seq(3).agent(agent));
                    conversations.add(new Built(c, null, false, agent));
                }
                case 4 -> {
                    messages.add(message(c, "user", "alone").seq(1).agent(agent));
                    conversations.add(new Built(c, "no_assistant_message", false, agent));
                }
                case 12 -> {
                    messages.add(message(c, "user", "u").seq(1).agent(agent));
                    messages.add(message(c, "assistant", "").seq(2).agent(agent).calls(call(c + "-1", "f", "{}")));
                    messages.add(message(c, "assistant", "a").seq(3).agent(agent));
                    executions.add(execution(c + "-1", "f").agent(agent).json("output_result", TextNode.valueOf("")));
                    conversations.add(new Built(c, "missing_content", true, agent));
                }
                case 5 -> {
                    messages.add(message(c, "user", "u").seq(1).agent(agent));
                    messages.add(message(c, "tool", "r").seq(2).answers(c + "-none"));
                    messages.add(message(c, "assistant", "a").seq(3).agent(agent));
                    conversations.add(new Built(c, "orphan_tool_result", false, agent));
                }
                case 6, 14 -> {
                    messages.add(message(c, "user", "u").seq(1).agent(agent));
                    messages.add(message(c, "assistant", "").seq(2).agent(agent).calls(call(c + "-1", "f", "{}")));
                    messages.add(message(c, "assistant", "a").seq(3).agent(agent));
                    conversations.add(new Built(c, "unanswered_tool_call", true, agent));
                }
                case 7 -> {
                    messages.add(message(c, "user", "u").seq(1).agent(agent));
                    messages.add(message(c, "assistant", "").seq(2).agent(agent).calls(call(c + "-1", "f", "{oops")));
                    messages.add(message(c, "tool", "r").seq(3).answers(c + "-1"));
                    messages.add(message(c, "assistant", "a").seq(4).agent(agent));
                    conversations.add(new Built(c, "bad_arguments", true, agent));
                }
                default -> throw new IllegalStateException();
            }
        }
        publish(TOOL_EXECUTIONS, Encoding.FLAT, executions);
        publishMessages(Encoding.DOCUMENT, messages);
        built = List.copyOf(conversations);
        return built;
    }

    private List<String> ids() {
        return built().stream().map(Built::id).toList();
    }

    @Test
    void theSummaryCountsWhatTheExportEmitsForManyRequests() {
        String middle = ids().get(COUNT / 3);
        List<String[]> requests = List.of(
                new String[] {},
                new String[] {"split", "validation", "validation_fraction", "0.5"},
                new String[] {"split", "train", "validation_fraction", "0.5"},
                new String[] {"split", "test", "validation_fraction", "0.3", "test_fraction", "0.3"},
                new String[] {"validation_fraction", "0.3", "test_fraction", "0.3", "split_seed", "x"},
                new String[] {"has_tools", "true"},
                new String[] {"has_tools", "false"},
                new String[] {"agent_id", AGENT_A},
                new String[] {"format", "messages", "metadata", "true"},
                new String[] {"metadata", "true", "split", "validation", "validation_fraction", "0.4"},
                new String[] {"after", middle},
                new String[] {"after", middle, "agent_id", AGENT_B, "has_tools", "true"},
                new String[] {"limit", "5"},
                new String[] {"limit", "0"},
                new String[] {"limit", "7", "has_tools", "true", "format", "messages"},
                new String[] {"split", "train", "validation_fraction", "0.5", "limit", "3"});
        for (String[] request : requests) {
            assertSummaryIsTheExport(Params.conversations(ids()).with(request));
        }
    }

    private void assertSummaryIsTheExport(Params params) {
        String description = Arrays.toString(params.pairs.stream().filter(pair -> !pair[0].equals("conversation_id"))
                .map(pair -> pair[0] + "=" + pair[1]).toArray());
        JsonNode summary = summary(params);
        List<String> lines = lines(datasetBody(params));
        long messages = 0;
        long toolCalls = 0;
        List<Long> tokens = new ArrayList<>();
        for (String line : lines) {
            JsonNode parsed = parse(line);
            messages += parsed.get("messages").size();
            for (JsonNode message : parsed.get("messages")) {
                toolCalls += message.path("tool_calls").size();
            }
        }
        // Tokens: tiktoken's counts of the same lines in the openai shape (contract 6.5), whatever the format.
        Params openAi = new Params();
        params.pairs.stream().filter(pair -> !pair[0].equals("format") && !pair[0].equals("metadata"))
                .forEach(pair -> openAi.add(pair[0], pair[1]));
        tokens.addAll(TiktokenReference.chatLines(dataset(openAi), "o200k_base"));
        assertThat(summary.get("emitted").asLong()).as("emitted, %s", description).isEqualTo(lines.size());
        assertThat(summary.get("messages").asLong()).as("messages, %s", description).isEqualTo(messages);
        assertThat(summary.get("tool_calls").asLong()).as("tool_calls, %s", description).isEqualTo(toolCalls);
        assertTokens(summary.get("tokens"), tokens, description);

        Map<String, Long> skipped = new LinkedHashMap<>();
        summary.get("skipped").properties().forEach(entry -> skipped.put(entry.getKey(), entry.getValue().asLong()));
        Map<String, Long> expectedSkipped = expectedSkipped(params);
        assertThat(skipped).as("skipped, %s", description).isEqualTo(expectedSkipped);
        assertThat(summary.get("conversations").asLong()).as("conversations, %s", description)
                .isEqualTo(lines.size() + expectedSkipped.values().stream().mapToLong(Long::longValue).sum());

        // splits: with a limit, what the export reached before it stopped: the requested split
        // holds exactly the emitted lines, and without a split parameter they are the emitted lines.
        Map<String, Long> splits = new LinkedHashMap<>();
        summary.get("splits").properties().forEach(entry -> splits.put(entry.getKey(), entry.getValue().asLong()));
        if (params.value("split") != null) {
            assertThat(splits.get(params.value("split"))).as("the requested split, %s", description)
                    .isEqualTo(lines.size());
        } else {
            assertThat(splits.values().stream().mapToLong(Long::longValue).sum()).as("splits add up to emitted, %s",
                    description).isEqualTo(lines.size());
        }
        // Without a limit, splits are the split of every emitted line (ids from the same request
        // with metadata), whatever the split parameter.
        if (params.value("limit") == null) {
            String requested = params.value("split");
            Params everySplit = new Params();
            params.pairs.stream().filter(pair -> !pair[0].equals("split") && !pair[0].equals("metadata"))
                    .forEach(pair -> everySplit.add(pair[0], pair[1]));
            Map<String, Long> expectedSplits = new LinkedHashMap<>(Map.of("train", 0L, "validation", 0L, "test", 0L));
            for (JsonNode line : dataset(everySplit.with("metadata", "true"))) {
                expectedSplits.merge(line.get("metadata").get("split").asText(), 1L, Long::sum);
            }
            assertThat(splits).as("splits, %s", description).isEqualTo(expectedSplits);
            if (requested != null) {
                assertThat(splits.get(requested)).isEqualTo(lines.size());
            }
        }
    }

    /** The skip reasons of the built conversations that the request reaches, in the export's order. */
    private Map<String, Long> expectedSkipped(Params params) {
        Map<String, Long> expected = new LinkedHashMap<>();
        for (String reason : List.of("no_assistant_message", "orphan_tool_result", "unanswered_tool_call",
                "bad_arguments", "missing_content", "too_large", "bad_record", "too_long", "duplicate")) {
            expected.put(reason, 0L);
        }
        String after = params.value("after");
        String agent = params.value("agent_id");
        String hasTools = params.value("has_tools");
        String split = params.value("split");
        String validation = params.value("validation_fraction") == null ? "0.1" : params.value("validation_fraction");
        String test = params.value("test_fraction") == null ? "0" : params.value("test_fraction");
        String seed = params.value("split_seed") == null ? "0" : params.value("split_seed");
        long limit = params.value("limit") == null ? Long.MAX_VALUE : Long.parseLong(params.value("limit"));
        long emitted = 0;
        for (Built conversation : built().stream().sorted((a, b) -> BYTEWISE.compare(a.id(), b.id())).toList()) {
            if (emitted >= limit) {
                break;
            }
            if ((after != null && BYTEWISE.compare(conversation.id(), after) <= 0)
                    || (agent != null && !agent.equals(conversation.agent()))
                    || (hasTools != null && Boolean.parseBoolean(hasTools) != conversation.hasToolCalls())
                    || (split != null && !split.equals(referenceSplit(conversation.id(), validation, test, seed)))) {
                continue;
            }
            if (conversation.reason() == null) {
                emitted++;
            } else {
                expected.merge(conversation.reason(), 1L, Long::sum);
            }
        }
        return expected;
    }

    /** Exactly: min, nearest-rank median and p95, max, total (all zero without lines). */
    private static void assertTokens(JsonNode tokens, List<Long> perLine, String description) {
        if (perLine.isEmpty()) {
            for (String name : List.of("min", "median", "p95", "max", "total")) {
                assertThat(tokens.get(name).asLong()).as("tokens.%s, %s", name, description).isZero();
            }
            return;
        }
        TokenDatasetTest.assertFigures(tokens, "o200k_base", perLine);
    }
}
