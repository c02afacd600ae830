package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tokens of contract 6.5 through the real service: the summaries' {@code tokens} equal tiktoken's
 * counts of the emitted lines (by the rule, computed in the test), {@code tokenizer} changes them,
 * {@code max_tokens} at, one below and one above a line's count, bad values answered 400, and a
 * hostile line (a 1 MB run of one letter, control characters, surrogate pairs; NUL cannot be stored, so
 * its counting is checked in {@link ai.trainingstore.dataset.tokens.TokenCounterTest}).
 */
@QuarkusTest
class TokenDatasetTest extends DatasetTestSupport {

    private static final String P = unique("tokens") + "-";
    private static final String TRAJECTORIES = "/api/v1/datasets/trajectories";
    private static final String PLAIN = P + "a-plain";
    private static final String TOOLS = P + "b-tools";
    private static final String ODD = P + "c-odd";
    private static final String HUGE = P + "d-huge";
    private static final String TASK = P + "task";
    private static final int HUGE_RUN = 1_000_000;

    private static boolean published;

    private synchronized void publishOnce() {
        if (published) {
            return;
        }
        Instant t = Instant.parse("2026-06-01T10:00:00Z");
        publishMessages(Encoding.DOCUMENT, List.of(
                message(PLAIN, "user", "Hello there, how are you today?").seq(1).at(t),
                message(PLAIN, "assistant", "Fine, thanks! And you?").seq(2).at(t),
                message(TOOLS, "system", "You are a coding agent. 你好，世界 😀").seq(1).at(t)
                        .tools(tool("search", "Searches the repository for a text.",
                                "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}")),
                message(TOOLS, "user", "Find def handler_42 in acme/platform, please.").seq(2).at(t),
                message(TOOLS, "assistant", "").seq(3).at(t).calls(call("call_1", "search", "{\"query\": \"def handler_42\"}")),
                message(TOOLS, "tool", "Found 3 matches: src/handler.py:42").seq(4).at(t).answers("call_1"),
                message(TOOLS, "assistant", "It is in src/handler.py line 42.").seq(5).at(t).name("coder"),
                message(ODD, "user", "soh\u0001bell\u0007esc\u001b[0m tab\t cr\r 👩‍👩‍👧 𝔘𝔫𝔦 \ud83c\uddeb\ud83c\uddf7").seq(1).at(t),
                message(ODD, "assistant", "<|endoftext|> is ordinary text here.").seq(2).at(t),
                message(HUGE, "user", "a".repeat(HUGE_RUN)).seq(1).at(t),
                message(HUGE, "assistant", "That is a lot of a.").seq(2).at(t),
                message(P + "task-msg", "user", "Fix the failing test, 请.").seq(1).at(t).task(TASK),
                message(P + "task-msg", "assistant", "Done: the test passes.").seq(2).at(t.plusSeconds(1)).task(TASK)));
        publish(TASKS, Encoding.FLAT, task(TASK, "completed", t).put("task_type", "bugfix"));
        published = true;
    }

    private static List<String> ids(String... ids) {
        return List.of(ids);
    }

    @Test
    void theSummaryCountsTheEmittedLinesAsTiktokenDoesWithEitherEncoding() {
        publishOnce();
        Params params = Params.conversations(ids(PLAIN, TOOLS, ODD));
        List<JsonNode> lines = dataset(params);
        assertThat(lines).hasSize(3);
        long[] totals = new long[2];
        int i = 0;
        for (String encoding : List.of("o200k_base", "cl100k_base")) {
            List<Long> expected = TiktokenReference.chatLines(lines, encoding);
            JsonNode tokens = summary(params.with("tokenizer", encoding)).get("tokens");
            assertFigures(tokens, encoding, expected);
            // Counted in the openai shape whatever the format, and metadata is not part of the line.
            assertThat(summary(params.with("tokenizer", encoding, "format", "messages", "metadata", "true")).get("tokens"))
                    .isEqualTo(tokens);
            totals[i++] = tokens.get("total").asLong();
        }
        assertThat(summary(params).get("tokens").get("encoding").asText()).as("the default").isEqualTo("o200k_base");
        assertThat(totals[0]).as("the encodings count this text differently").isNotEqualTo(totals[1]);
    }

    @Test
    void maxTokensKeepsALineAtItsCountAndLeavesItOutOneBelow() {
        publishOnce();
        for (String encoding : List.of("o200k_base", "cl100k_base")) {
            JsonNode line = dataset(Params.conversations(ids(TOOLS))).get(0);
            long count = TiktokenReference.chatLines(List.of(line), encoding).get(0);
            Params one = Params.conversations(ids(TOOLS)).with("tokenizer", encoding);
            for (long max : new long[] {count, count + 1}) {
                assertThat(dataset(one.with("max_tokens", Long.toString(max)))).as("max_tokens=%d, count %d", max, count)
                        .hasSize(1);
                assertThat(summary(one.with("max_tokens", Long.toString(max))).get("emitted").asLong()).isEqualTo(1);
            }
            Params below = one.with("max_tokens", Long.toString(count - 1));
            assertThat(datasetBody(below)).as("max_tokens one below the count").isEmpty();
            JsonNode summary = summary(below.with("explain", "true"));
            assertThat(summary.get("emitted").asLong()).isZero();
            assertThat(summary.get("skipped").get("too_long").asLong()).isEqualTo(1);
            JsonNode example = summary.get("left_out").get("too_long").get(0);
            assertThat(example.get("id").asText()).isEqualTo(TOOLS);
            assertThat(example.get("detail").asText()).contains(count + " tokens", encoding, "max_tokens=" + (count - 1));
            assertThat(summary.get("tokens").get("total").asLong()).as("a line left out is not counted").isZero();
        }
        // The others pass: only the long one is left out, the limit counts emitted lines.
        Params all = Params.conversations(ids(PLAIN, TOOLS, ODD)).with("max_tokens", "40");
        List<Long> counts = TiktokenReference.chatLines(dataset(Params.conversations(ids(PLAIN, TOOLS, ODD))), "o200k_base");
        assertThat(dataset(all)).hasSize((int) counts.stream().filter(c -> c <= 40).count());
    }

    @Test
    void aHostileLineIsCountedAndHeldToMaxTokens() {
        publishOnce();
        Params params = Params.conversations(ids(HUGE));
        JsonNode line = dataset(params).get(0);
        // tiktoken cannot count a 1 MB run (its BPE is quadratic on one piece): it counts a
        // 10,000-letter run and the rest of the line; the run is 100 of those.
        String content = line.get("messages").get(0).get("content").asText();
        assertThat(content).hasSize(HUGE_RUN);
        ((com.fasterxml.jackson.databind.node.ObjectNode) line.get("messages").get(0)).put("content", "");
        for (String encoding : List.of("o200k_base", "cl100k_base")) {
            long run = TiktokenReference.counts(List.of("a".repeat(10_000))).of(encoding)[0] * 100L;
            long expected = TiktokenReference.chatLines(List.of(line), encoding).get(0) + run;
            JsonNode tokens = summary(params.with("tokenizer", encoding)).get("tokens");
            assertFigures(tokens, encoding, List.of(expected));
            assertThat(datasetBody(params.with("tokenizer", encoding, "max_tokens", Long.toString(expected - 1)))).isEmpty();
        }
    }

    @Test
    void trajectoriesCountEveryStringOfTheLine() {
        publishOnce();
        Params params = Params.of("task_id", TASK);
        Response response = get(TRAJECTORIES, params);
        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> lines = lines(new String(response.asByteArray(), StandardCharsets.UTF_8)).stream()
                .map(DatasetTestSupport::parse).toList();
        assertThat(lines).hasSize(1);
        for (String encoding : List.of("o200k_base", "cl100k_base")) {
            List<Long> expected = TiktokenReference.everyString(lines, encoding);
            JsonNode summary = parse(get(TRAJECTORIES + "/summary", params.with("tokenizer", encoding)).asString());
            assertFigures(summary.get("tokens"), encoding, expected);
            long count = expected.get(0);
            assertThat(get(TRAJECTORIES, params.with("tokenizer", encoding, "max_tokens", Long.toString(count)))
                    .asString()).isNotEmpty();
            Params below = params.with("tokenizer", encoding, "max_tokens", Long.toString(count - 1));
            assertThat(get(TRAJECTORIES, below).asString()).isEmpty();
            JsonNode left = parse(get(TRAJECTORIES + "/summary", below.with("explain", "true")).asString());
            assertThat(left.get("lines").asLong()).isZero();
            assertThat(left.get("skipped").get("too_long").asLong()).isEqualTo(1);
            assertThat(left.get("left_out").get("too_long").get(0).get("detail").asText())
                    .contains(count + " tokens", "max_tokens=" + (count - 1));
        }
    }

    @Test
    void badTokenParametersAre400AndSayWhatToFix() {
        List<String[]> bad = new ArrayList<>();
        for (String value : List.of("0", "-1", "abc", "1.5", "+5", "", " 5", "99999999999999999999", "1e3")) {
            bad.add(new String[] {"max_tokens", value, "max_tokens"});
        }
        for (String value : List.of("gpt2", "O200K_BASE", "", "p50k_base")) {
            bad.add(new String[] {"tokenizer", value, "tokenizer"});
        }
        for (String path : List.of(PATH, SUMMARY_PATH, TRAJECTORIES, TRAJECTORIES + "/summary")) {
            for (String[] parameter : bad) {
                Response response = get(path, Params.of(path.startsWith(TRAJECTORIES) ? "task_id" : "conversation_id",
                        P + "none", parameter[0], parameter[1]));
                assertThat(response.statusCode()).as("%s %s=%s: %s", path, parameter[0], parameter[1], response.asString())
                        .isEqualTo(400);
                assertThat(response.asString()).contains(parameter[2]);
            }
        }
        Response repeated = get(PATH, Params.of("max_tokens", "5", "max_tokens", "6"));
        assertThat(repeated.statusCode()).isEqualTo(400);
    }

    /** Exact figures: min, nearest-rank median ((n-1)/2) and p95 (ceil(0.95 n)), max, total. */
    static void assertFigures(JsonNode tokens, String encoding, List<Long> perLine) {
        List<Long> sorted = perLine.stream().sorted().toList();
        int n = sorted.size();
        assertThat(tokens.get("encoding").asText()).isEqualTo(encoding);
        assertThat(tokens.get("min").asLong()).as("min").isEqualTo(sorted.get(0));
        assertThat(tokens.get("median").asLong()).as("median").isEqualTo(sorted.get((n - 1) / 2));
        assertThat(tokens.get("p95").asLong()).as("p95").isEqualTo(sorted.get((int) Math.ceil(n * 0.95) - 1));
        assertThat(tokens.get("max").asLong()).as("max").isEqualTo(sorted.get(n - 1));
        assertThat(tokens.get("total").asLong()).as("total").isEqualTo(sorted.stream().mapToLong(Long::longValue).sum());
    }
}
