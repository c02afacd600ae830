package ai.trainingstore.dataset.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenAI's own tiktoken (the npm package, WASM) run with Node.js: the independent reference the
 * token tests compare the service's counts with. Counted at test time, not from a checked-in
 * fixture, so a changed corpus or a new encoding version is checked as it is. Needs Node.js and
 * {@code npm ci --prefix src/test/tiktoken} ({@code bin/local-services test-tools} does both; CI
 * runs it): without them the tests fail, never skip.
 *
 * <p>The rule of contract 6.5 is written here again on purpose, apart from the service's
 * {@link TokenCounter}: a mistake in one is not repeated in the other.
 */
public final class TiktokenReference {

    private static final Path SCRIPT = Path.of("src", "test", "tiktoken", "count.cjs");
    private static final Path MODULE = Path.of("src", "test", "tiktoken", "node_modules", "tiktoken");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TiktokenReference() {
    }

    /** tiktoken's counts ({@code encode_ordinary}) of each text: {@code [encoding][text]} for o200k_base, cl100k_base. */
    public static Counts counts(List<String> texts) {
        if (!Files.isDirectory(MODULE)) {
            throw new AssertionError(MODULE + " is missing: run bin/local-services test-tools (npm ci --prefix"
                    + " src/test/tiktoken) so the token counts can be checked against tiktoken");
        }
        Process node;
        try {
            node = new ProcessBuilder("node", SCRIPT.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new AssertionError("node is missing (" + e.getMessage() + "): run bin/local-services test-tools,"
                    + " which installs Node.js, so the token counts can be checked against tiktoken", e);
        }
        try {
            ObjectNode input = JSON.createObjectNode();
            texts.forEach(input.putArray("texts")::add);
            try (OutputStream stdin = node.getOutputStream()) {
                stdin.write(JSON.writeValueAsBytes(input));
            }
            byte[] output = node.getInputStream().readAllBytes();
            if (!node.waitFor(120, TimeUnit.SECONDS) || node.exitValue() != 0) {
                throw new AssertionError("node " + SCRIPT + " failed: " + new String(output, StandardCharsets.UTF_8));
            }
            JsonNode counts = JSON.readTree(output);
            return new Counts(ints(counts.get("o200k_base")), ints(counts.get("cl100k_base")));
        } catch (IOException e) {
            throw new AssertionError("node " + SCRIPT + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            node.destroy();
        }
    }

    /** Counts per text, per encoding. */
    public record Counts(int[] o200k, int[] cl100k) {
        public int[] of(String encoding) {
            return switch (encoding) {
                case "o200k_base" -> o200k;
                case "cl100k_base" -> cl100k;
                default -> throw new IllegalArgumentException(encoding);
            };
        }
    }

    /** Contract 6.5 on openai-shaped lines: 3, per message 3 and its strings, the strings of tools. */
    public static List<Long> chatLines(List<JsonNode> lines, String encoding) {
        List<String> texts = new ArrayList<>();
        List<long[]> plans = new ArrayList<>();
        for (JsonNode line : lines) {
            int from = texts.size();
            long fixed = 3;
            for (JsonNode message : line.get("messages")) {
                fixed += 3;
                collect(message, texts);
            }
            collect(line.get("tools"), texts);
            plans.add(new long[] {fixed, from, texts.size()});
        }
        return sums(texts, plans, encoding);
    }

    /** Trajectories (contract 6.5): every string value of each line, nothing else. */
    public static List<Long> everyString(List<JsonNode> lines, String encoding) {
        List<String> texts = new ArrayList<>();
        List<long[]> plans = new ArrayList<>();
        for (JsonNode line : lines) {
            int from = texts.size();
            collect(line, texts);
            plans.add(new long[] {0, from, texts.size()});
        }
        return sums(texts, plans, encoding);
    }

    private static List<Long> sums(List<String> texts, List<long[]> plans, String encoding) {
        int[] counts = texts.isEmpty() ? new int[0] : counts(texts).of(encoding);
        List<Long> sums = new ArrayList<>();
        for (long[] plan : plans) {
            long sum = plan[0];
            for (int i = (int) plan[1]; i < plan[2]; i++) {
                sum += counts[i];
            }
            sums.add(sum);
        }
        return sums;
    }

    private static void collect(JsonNode node, List<String> texts) {
        if (node == null) {
            return;
        }
        if (node.isTextual()) {
            texts.add(node.textValue());
        }
        node.forEach(child -> collect(child, texts));
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).intValue();
        }
        return values;
    }
}
