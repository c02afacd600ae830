package ai.trainingstore.dataset.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The service's counts (jtokkit) against OpenAI's tiktoken on a varied corpus, string by string and
 * line by line, in both encodings; hostile texts; the summary's exact median and p95; the
 * operator's default checked at start-up.
 */
class TokenCounterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PIECES = List.of(
            "def handler(request):\n    return jsonify(user.to_dict()), 200\n",
            "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }",
            "{\"query\": \"def handler_42\", \"limit\": 10, \"nested\": {\"a\": [1, 2.5e-3, null, true]}}",
            "SELECT m.conversation_id COLLATE \"C\" FROM training_data.training_messages m WHERE m.seq > $1;",
            "你好，世界！这是一个测试。", "日本語のテキストとカタカナ、ひらがな。", "한국어 문장입니다.",
            "Привет, мир! Это проверка.", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีชาวโลก",
            "😀😃😄 👩‍👩‍👧‍👦 🇫🇷🇯🇵 ✅ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚", "e\u0301 n\u0303 a\u0308 (combining marks)",
            "    \t\t  \n\n\n   \r\n  trailing   ", "                                        ",
            "\n\n\n\n\n\n", "I'm sure they'LL say we've DON'T can't", "ALLCAPS lowercase CamelCaseWords snake_case",
            "1234567890 3.14159 -42 1e10 0x1F 007", "https://example.com/path?q=a%20b&x=1#frag",
            "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=", "deadbeefcafebabe0123456789abcdef",
            "<|endoftext|> <|im_start|>user<|im_end|> <|fim_prefix|>", "!!!??? ... --- *** ### @@@ ~~~",
            "\u0000\u0001\u0002\u0007\b\u001b[31mred\u001b[0m\u007f", "zero\u200bwidth\u200djoin\ufeffbom\u2028line",
            "\"quoted\" 'single' `back` «guillemets» „low\u201c", "tab\there\tand\u00a0nbsp\u3000ideographic space");

    /** A few hundred strings: the pieces, and seeded mixes of them cut at any character. */
    static List<String> corpus() {
        List<String> corpus = new ArrayList<>(PIECES);
        Random random = new Random(65);
        for (int i = 0; i < 300; i++) {
            StringBuilder text = new StringBuilder();
            int parts = 1 + random.nextInt(6);
            for (int p = 0; p < parts; p++) {
                String piece = PIECES.get(random.nextInt(PIECES.size()));
                int from = random.nextInt(piece.length());
                // Never cut between the halves of a surrogate pair: stored text is valid UTF-8.
                if (Character.isLowSurrogate(piece.charAt(from))) {
                    from--;
                }
                text.append(piece, from, piece.length()).append(random.nextBoolean() ? " " : "");
            }
            corpus.add(text.toString());
        }
        corpus.add("word ".repeat(3000));
        corpus.add("x".repeat(5000) + " " + "long_identifier_".repeat(300));
        corpus.add(String.join("", PIECES).repeat(20));
        corpus.add("");
        return corpus;
    }

    @Test
    void everyStringCountsWhatTiktokenCountsInBothEncodings() {
        List<String> corpus = corpus();
        TiktokenReference.Counts reference = TiktokenReference.counts(corpus);
        for (Tokenizer tokenizer : Tokenizer.values()) {
            TokenCounter counter = new TokenCounter(tokenizer);
            int[] expected = reference.of(tokenizer.id());
            for (int i = 0; i < corpus.size(); i++) {
                assertThat(counter.text(corpus.get(i))).as("%s, text %d: %s", tokenizer.id(), i,
                        abbreviated(corpus.get(i))).isEqualTo(expected[i]);
                // A second count comes from memory and must be the same.
                assertThat(counter.text(corpus.get(i))).isEqualTo(expected[i]);
            }
        }
        assertThat(reference.o200k()).as("the encodings differ on this corpus").isNotEqualTo(reference.cl100k());
    }

    @Test
    void wholeLinesCountWhatTheRuleGivesWithTiktokensCounts() {
        List<String> corpus = corpus();
        List<JsonNode> lines = new ArrayList<>();
        for (int i = 0; i + 4 < corpus.size(); i += 5) {
            lines.add(line(corpus.subList(i, i + 5), i));
        }
        for (Tokenizer tokenizer : Tokenizer.values()) {
            List<Long> expected = TiktokenReference.chatLines(lines, tokenizer.id());
            List<Long> expectedStrings = TiktokenReference.everyString(lines, tokenizer.id());
            TokenCounter counter = new TokenCounter(tokenizer);
            for (int i = 0; i < lines.size(); i++) {
                assertThat(counter.openAiLine(lines.get(i))).as("%s, line %d", tokenizer.id(), i).isEqualTo(expected.get(i));
                assertThat(counter.strings(lines.get(i))).as("%s, strings of line %d", tokenizer.id(), i)
                        .isEqualTo(expectedStrings.get(i));
            }
        }
    }

    @Test
    void keysNumbersBooleansAndNullsCountNothingAndEachMessageCostsThree() throws Exception {
        TokenCounter counter = new TokenCounter(Tokenizer.O200K_BASE);
        JsonNode empty = JSON.readTree("{\"messages\": [{\"a_long_key_name\": 12345, \"b\": true, \"c\": null, \"d\": []}]}");
        assertThat(counter.openAiLine(empty)).isEqualTo(3 + 3);
        JsonNode twoMessages = JSON.readTree("{\"messages\": [{\"role\": \"user\"}, {\"role\": \"user\"}],"
                + " \"metadata\": {\"not\": \"counted\"}}");
        assertThat(counter.openAiLine(twoMessages)).isEqualTo(3 + 2 * (3 + counter.text("user")));
        // JSON text written into a line as it is (a trajectory's task row) counts like the same tree.
        String row = "{\"task_id\": \"t-1\", \"input\": {\"text\": \"fix the test\", \"n\": 3}}";
        ObjectNode withRaw = JSON.createObjectNode();
        withRaw.putObject("extra").putRawValue("task", new com.fasterxml.jackson.databind.util.RawValue(row));
        assertThat(counter.strings(withRaw)).isEqualTo(counter.strings(JSON.readTree(row)))
                .isEqualTo(counter.text("t-1") + counter.text("fix the test"));
    }

    @Test
    void hostileTextsCountLikeTiktoken() {
        // tiktoken's own BPE is quadratic on one long piece (and crashes at 1 MB), so it checks
        // 10,000-character runs; the service's 1 MB run must then be 100 of them, exactly.
        List<String> runs = List.of("a".repeat(10_000), " ".repeat(10_000), "7".repeat(9_999) + "7",
                "\u0000".repeat(10_000), "😀".repeat(5_000), "a\u0000b\u0001c\u001f\n\r\t".repeat(1_000));
        TiktokenReference.Counts reference = TiktokenReference.counts(runs);
        for (Tokenizer tokenizer : Tokenizer.values()) {
            TokenCounter counter = new TokenCounter(tokenizer);
            for (int i = 0; i < runs.size(); i++) {
                assertThat(counter.text(runs.get(i))).as("%s, run %d", tokenizer.id(), i)
                        .isEqualTo(reference.of(tokenizer.id())[i]);
            }
        }
        TokenCounter o200k = new TokenCounter(Tokenizer.O200K_BASE);
        assertThat(o200k.text("a".repeat(1_000_000))).isEqualTo(100L * reference.o200k()[0]);
    }

    @Test
    void theTallyGivesExactNearestRankFiguresInBoundedMemory() {
        Random random = new Random(7);
        List<Long> counts = new ArrayList<>();
        TokenTally tally = new TokenTally(Tokenizer.CL100K_BASE);
        for (int i = 0; i < 10_001; i++) {
            long tokens = i % 100 == 0 ? TokenTally.DENSE + random.nextInt(1_000_000) : random.nextInt(5_000);
            counts.add(tokens);
            tally.add(tokens);
        }
        List<Long> sorted = counts.stream().sorted().toList();
        int n = sorted.size();
        assertThat(tally.figures()).isEqualTo(new TokenFigures("cl100k_base", sorted.get(0), sorted.get((n - 1) / 2),
                sorted.get((int) Math.ceil(n * 0.95) - 1), sorted.get(n - 1),
                sorted.stream().mapToLong(Long::longValue).sum()));
        TokenTally one = new TokenTally(Tokenizer.O200K_BASE);
        one.add(70_000);
        assertThat(one.figures()).isEqualTo(new TokenFigures("o200k_base", 70_000, 70_000, 70_000, 70_000, 70_000));
        assertThat(new TokenTally(Tokenizer.O200K_BASE).figures())
                .isEqualTo(new TokenFigures("o200k_base", 0, 0, 0, 0, 0));
        TokenTally twenty = new TokenTally(Tokenizer.O200K_BASE);
        LongStream.rangeClosed(1, 20).forEach(twenty::add);
        assertThat(twenty.figures()).isEqualTo(new TokenFigures("o200k_base", 1, 10, 19, 20, 210));
    }

    @Test
    void aBadDefaultTokenizerStopsStartUpNamingTheKeyAndTheChoices() {
        assertThat(DefaultTokenizer.parse("cl100k_base")).isEqualTo(Tokenizer.CL100K_BASE);
        assertThat(DefaultTokenizer.parse(" o200k_base ")).isEqualTo(Tokenizer.O200K_BASE);
        assertThatThrownBy(() -> DefaultTokenizer.parse("gpt2")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("training-store.datasets.tokenizer").hasMessageContaining("'gpt2'")
                .hasMessageContaining("o200k_base or cl100k_base");
    }

    /** An openai-shaped line from five texts: system, user, an assistant call, its result, tools. */
    private static JsonNode line(List<String> texts, int i) {
        ObjectNode line = JSON.createObjectNode();
        ArrayNode messages = line.putArray("messages");
        messages.addObject().put("role", "system").put("content", texts.get(0));
        messages.addObject().put("role", "user").put("content", texts.get(1)).put("name", "user_" + i);
        ObjectNode call = messages.addObject().put("role", "assistant").putNull("content")
                .putArray("tool_calls").addObject().put("id", "call_" + i).put("type", "function");
        call.putObject("function").put("name", "search").put("arguments",
                JSON.createObjectNode().put("q", texts.get(2)).put("n", i).toString());
        messages.addObject().put("role", "tool").put("content", texts.get(3)).put("tool_call_id", "call_" + i);
        messages.addObject().put("role", "assistant").put("content", "done " + i);
        ObjectNode function = line.putArray("tools").addObject().put("type", "function").putObject("function")
                .put("name", "search").put("description", texts.get(4));
        function.putObject("parameters").put("type", "object").putObject("properties").putObject("q").put("type", "string");
        return line;
    }

    private static String abbreviated(String text) {
        String shown = text.codePoints().limit(60).mapToObj(Character::toString).collect(Collectors.joining());
        return shown.length() < text.length() ? shown + "..." : shown;
    }
}
