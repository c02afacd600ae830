package ai.trainingstore.dataset.dedup;

import static ai.trainingstore.dataset.dedup.DedupTexts.jaccard;
import static ai.trainingstore.dataset.dedup.DedupTexts.messages;
import static ai.trainingstore.dataset.dedup.DedupTexts.words;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.trainingstore.record.EntryParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The dedup component alone (contract 6.5), over thousands of generated lines: exact identity as
 * JSON values, the near-duplicate guarantees measured against the true Jaccard similarity, short
 * and wordless texts, and more lines than the signature file's buffer holds.
 */
class DuplicateFilterTest {

    private static final Dedup EXACT = new Dedup(Dedup.Mode.EXACT, Dedup.DEFAULT_NEAR_THRESHOLD);
    private static final Dedup NEAR = new Dedup(Dedup.Mode.NEAR, Dedup.DEFAULT_NEAR_THRESHOLD);

    private static JsonNode json(String text) {
        try {
            return EntryParser.JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static final String CALLS = """
            [{"role":"user","content":"find the handler"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function",
               "function":{"name":"search","arguments":"{\\"query\\":\\"handler\\",\\"limit\\":10}"}}]},
             {"role":"tool","tool_call_id":"call_a","content":"src/handler.py"},
             {"role":"assistant","content":"It is in src/handler.py."}]""";
    private static final String TOOLS = """
            [{"type":"function","function":{"name":"search","description":"Search",
              "parameters":{"type":"object","properties":{"query":{"type":"string"}}}}}]""";

    @Test
    void exactDuplicatesAreTheSameJsonValuesWhateverKeyOrderWhitespaceAndCallIds() {
        try (DuplicateFilter filter = new DuplicateFilter(EXACT, true)) {
            assertThat(filter.check("first", json(CALLS), json(TOOLS))).isNull();
            // Keys reordered, arguments respaced and reordered, another call id, 10 as 10.0 in a tool.
            String reordered = """
                    [{"content":"find the handler","role":"user"},
                     {"tool_calls":[{"type":"function","id":"x9","function":{"arguments":"{ \\"limit\\": 10,  \\"query\\": \\"handler\\" }",
                       "name":"search"}}],"role":"assistant","content":null},
                     {"content":"src/handler.py","tool_call_id":"x9","role":"tool"},
                     {"role":"assistant","content":"It is in src/handler.py."}]""";
            DuplicateFilter.Duplicate duplicate = filter.check("second", json(reordered), json(TOOLS));
            assertThat(duplicate).isNotNull();
            assertThat(duplicate.exact()).isTrue();
            assertThat(duplicate.detail()).isEqualTo("same messages and tools as first");
            // One character of one content: kept.
            assertThat(filter.check("third", json(CALLS.replace("src/handler.py\"}", "src/handler.pY\"}")), json(TOOLS)))
                    .isNull();
            // Other tools, or none: kept.
            assertThat(filter.check("fourth", json(CALLS), json(TOOLS.replace("\"Search\"", "\"Find\"")))).isNull();
            assertThat(filter.check("fifth", json(CALLS), null)).isNull();
            assertThat(filter.check("sixth", json(CALLS), null).detail()).isEqualTo("same messages and tools as fifth");
            // Two calls whose ids are swapped between the call and its result are not the same line.
            String twoCalls = CALLS.replace("[{\"id\":\"call_a\"", "[{\"id\":\"call_b\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"search\",\"arguments\":\"{}\"}},{\"id\":\"call_a\"");
            assertThat(filter.check("seventh", json(twoCalls), null)).isNull();
            assertThat(filter.check("eighth", json(twoCalls.replace("\"tool_call_id\":\"call_a\"",
                    "\"tool_call_id\":\"call_b\"")), null)).isNull();
        }
    }

    @Test
    void withoutNamesTheDetailCountsTheKeptLine() {
        try (DuplicateFilter filter = new DuplicateFilter(EXACT, false)) {
            filter.check("a", json(CALLS), null);
            filter.check("b", json(CALLS), json(TOOLS));
            assertThat(filter.check("c", json(CALLS), json(TOOLS)).detail())
                    .isEqualTo("same messages and tools as an earlier line (kept line #2)");
        }
    }

    /**
     * Pairs with one word changed in 300 (true Jaccard about 0.967, at least 0.95) are all removed,
     * among 1,000 kept lines in one answer (128 KB of signatures: past the file's 64 KB buffer), compared both ways.
     */
    @Test
    void nearPairsAtJaccard095OrMoreAreAlwaysRemoved() {
        Random random = new Random(11);
        List<List<String>> texts = new ArrayList<>();
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, true)) {
            for (int i = 0; i < 1_000; i++) {
                List<String> words = words(random, 300);
                texts.add(words);
                assertThat(filter.check("line-" + i, messages(words), null)).as("distinct line %s", i).isNull();
            }
            for (int i = 0; i < texts.size(); i++) {
                List<String> changed = new ArrayList<>(texts.get(i));
                changed.set(random.nextInt(changed.size()), "changed" + i);
                double truth = jaccard(messages(texts.get(i)), messages(changed));
                assertThat(truth).isGreaterThanOrEqualTo(0.95);
                DuplicateFilter.Duplicate duplicate = filter.check("near-" + i, messages(changed), null);
                assertThat(duplicate).as("one word changed in line %s (Jaccard %.3f)", i, truth).isNotNull();
                assertThat(duplicate.exact()).isFalse();
                assertThat(duplicate.keptId()).isEqualTo("line-" + i);
                assertThat(duplicate.detail()).matches("near duplicate of line-" + i
                        + ": estimated Jaccard similarity (0\\.[89]\\d\\d|1\\.000) of word 5-grams");
            }
        }
    }

    /**
     * More kept lines than the cache of signatures holds: the oldest ones' signatures are read back
     * from the file, and their near duplicates are still found.
     */
    @Test
    void nearDuplicatesOfLinesPastTheCacheAreFound() {
        Random random = new Random(16);
        List<List<String>> first = new ArrayList<>();
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, false)) {
            for (int i = 0; i < DuplicateFilter.MAX_CACHED_SIGNATURES + 1_000; i++) {
                List<String> words = words(random, 60);
                if (i < 200) {
                    first.add(words);
                }
                assertThat(filter.check("line-" + i, messages(words), null)).as("distinct line %s", i).isNull();
            }
            for (int i = 0; i < first.size(); i++) {
                List<String> changed = new ArrayList<>(first.get(i));
                changed.set(changed.size() - 1, "changed" + i); // one 5-gram of 56 differs: Jaccard 55/57
                DuplicateFilter.Duplicate duplicate = filter.check("near-" + i, messages(changed), null);
                assertThat(duplicate).as("last word changed in line %s", i).isNotNull();
                assertThat(duplicate.keptOrdinal()).isEqualTo(i);
            }
        }
    }

    /** Signatures are compared 8 values at a time: the count of disagreeing values is the bytes' count. */
    @Test
    void mismatchesCountTheDisagreeingValues() {
        Random random = new Random(17);
        for (int round = 0; round < 10_000; round++) {
            byte[] a = new byte[MinHash.HASHES];
            byte[] b = new byte[MinHash.HASHES];
            random.nextBytes(a);
            double agree = random.nextDouble();
            int expected = 0;
            for (int i = 0; i < a.length; i++) {
                b[i] = random.nextDouble() < agree ? a[i] : (byte) (a[i] ^ (1 + random.nextInt(255)));
                expected += a[i] == b[i] ? 0 : 1;
            }
            long[] left = longs(a);
            long[] right = longs(b);
            assertThat(DuplicateFilter.mismatches(left, right, 0, MinHash.HASHES)).isEqualTo(expected);
            // stopped early past what is allowed, never under it
            int allowed = random.nextInt(MinHash.HASHES);
            int counted = DuplicateFilter.mismatches(left, right, 0, allowed);
            assertThat(counted > allowed).isEqualTo(expected > allowed);
            if (expected <= allowed) {
                assertThat(counted).isEqualTo(expected);
            }
        }
    }

    private static long[] longs(byte[] bytes) {
        long[] longs = new long[bytes.length / Long.BYTES];
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(longs);
        return longs;
    }

    /** Pairs sharing half their words (true Jaccard at most 0.5) are all kept, 1,000 of them. */
    @Test
    void nearPairsAtJaccard05OrLessAreNeverRemoved() {
        Random random = new Random(12);
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, false)) {
            for (int i = 0; i < 1_000; i++) {
                List<String> words = words(random, 300);
                List<String> half = new ArrayList<>(words.subList(0, 200));
                half.addAll(words(random, 100));
                double truth = jaccard(messages(words), messages(half));
                assertThat(truth).isLessThanOrEqualTo(0.5).isGreaterThan(0.45);
                assertThat(filter.check("a-" + i, messages(words), null)).isNull();
                assertThat(filter.check("b-" + i, messages(half), null)).as("pair %s at Jaccard %.3f", i, truth).isNull();
            }
        }
    }

    /** The estimate is the true Jaccard similarity on average, with MinHash's error (0.035 at 0.8 for 128 values). */
    @Test
    void theEstimateIsUnbiasedWithTheExpectedError() {
        Random random = new Random(13);
        MinHash minHash = new MinHash();
        long[] first = new long[MinHash.HASHES];
        long[] second = new long[MinHash.HASHES];
        int pairs = 1_000;
        double sumError = 0;
        double sumSquares = 0;
        for (int i = 0; i < pairs; i++) {
            List<String> words = words(random, 400);
            List<String> other = new ArrayList<>(words);
            for (int w = 0; w < 9; w++) {
                other.set(random.nextInt(other.size()), "x" + w + "-" + i);
            }
            ArrayNode a = messages(words);
            ArrayNode b = messages(other);
            minHash.signature(a, first);
            minHash.signature(b, second);
            int agree = 0;
            for (int h = 0; h < MinHash.HASHES; h++) {
                if ((byte) MinHash.mix(first[h]) == (byte) MinHash.mix(second[h])) {
                    agree++;
                }
            }
            double error = DuplicateFilter.estimate(agree) - jaccard(a, b);
            sumError += error;
            sumSquares += error * error;
        }
        double bias = sumError / pairs;
        double spread = Math.sqrt(sumSquares / pairs);
        assertThat(bias).as("mean error").isCloseTo(0, within(0.006));
        assertThat(spread).as("root mean square error near Jaccard 0.8").isBetween(0.025, 0.045);
    }

    @Test
    void textsUnderFiveWordsCompareExactlyByTheirWords() {
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, true)) {
            assertThat(filter.check("a", messages("Hello", "there, friend"), null)).isNull();
            DuplicateFilter.Duplicate same = filter.check("b", messages("hello", "THERE friend!"), null);
            assertThat(same).isNotNull();
            assertThat(same.exact()).isFalse();
            assertThat(same.keptId()).isEqualTo("a");
            assertThat(filter.check("c", messages("hello", "there friend again"), null)).as("4 words, not 3").isNull();
            assertThat(filter.check("d", messages("hello there", "friend"), null)).as("the same words, split otherwise")
                    .isNotNull();
            assertThat(filter.check("e", messages("hello", "there, friend").addAll(messages("once more", "today")),
                    null)).as("six words: 5-grams").isNull();
            // Letters and digits of any script are words; punctuation and symbols are not.
            assertThat(filter.check("f", messages("Straße 42", "日本 ✓"), null)).isNull();
            assertThat(filter.check("g", messages("STRASSE 42", "日本"), null)).as("ß lowercases to itself").isNull();
            assertThat(filter.check("h", messages("straße", "42 — 日本!"), null)).isNotNull();
        }
    }

    @Test
    void linesWithoutWordsAreJudgedByTheirIdentityOnly() {
        String onlyCalls = """
                [{"role":"user","content":"?!"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1",
                  "type":"function","function":{"name":"f","arguments":"{\\"n\\":1}"}}]}]""";
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, true)) {
            assertThat(filter.check("a", json(onlyCalls), null)).isNull();
            assertThat(filter.check("b", json(onlyCalls.replace("\\\"n\\\":1", "\\\"n\\\":2")), null)).isNull();
            assertThat(filter.check("c", json(onlyCalls), null).detail()).isEqualTo("same messages and tools as a");
        }
    }

    @Test
    void theThresholdDecides() {
        Random random = new Random(14);
        Dedup strict = new Dedup(Dedup.Mode.NEAR, 1.0);
        try (DuplicateFilter filter = new DuplicateFilter(strict, false)) {
            for (int i = 0; i < 200; i++) {
                List<String> words = words(random, 300);
                List<String> changed = new ArrayList<>(words);
                for (int w = 0; w < 6; w++) {
                    changed.set(w * 50, "other" + w);
                }
                assertThat(jaccard(messages(words), messages(changed))).isLessThan(0.9);
                assertThat(filter.check("a" + i, messages(words), null)).isNull();
                assertThat(filter.check("b" + i, messages(changed), null)).as("under 1.0 is kept").isNull();
                assertThat(filter.check("c" + i, messages(changed), null)).as("1.0: the same text").isNotNull();
            }
        }
    }

    @Test
    void aFiveMegabyteMessageAndTenThousandIdenticalLines() {
        Random random = new Random(15);
        String huge = String.join(" ", words(random, 1_000_000));
        assertThat(huge.length()).isGreaterThan(5_000_000);
        try (DuplicateFilter filter = new DuplicateFilter(NEAR, true)) {
            assertThat(filter.check("huge", messages(huge, "ok"), null)).isNull();
            assertThat(filter.check("huge-again", messages(huge + " more", "ok"), null).keptId()).isEqualTo("huge");
            for (int i = 0; i < 10_000; i++) {
                DuplicateFilter.Duplicate duplicate = filter.check("same-" + i, messages("the same question", "the same answer"), null);
                assertThat(duplicate == null).isEqualTo(i == 0);
            }
        }
    }
}
