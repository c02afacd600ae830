package ai.trainingstore.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The index alone (no model, no database): the HNSW graph against the exact scan on seeded random
 * vectors (clustered, as sentence embeddings are), and filters that stay exact however few messages
 * pass them. Seeded and single-threaded, so the figures are the same at every run.
 */
class LuceneVectorIndexTest {

    static final int MESSAGES = 3000;

    @Test
    void hnswRecallAgainstTheExactScanAndFiltersStayExact() throws IOException {
        Random random = new Random(42);
        List<float[]> centres = new ArrayList<>();
        for (int c = 0; c < 30; c++) {
            centres.add(randomUnit(random, null, 0));
        }
        List<StoredVector> vectors = new ArrayList<>();
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < MESSAGES; i++) {
            float[] vector = randomUnit(random, centres.get(i % centres.size()), 0.6f);
            vectors.add(new StoredVector(i + 1, "m" + i, "c" + (i / 3), "agent-" + (i % 50), "task-" + (i % 7),
                    start.plusSeconds(i), vector));
        }
        Path approxDir = Files.createTempDirectory("hnsw-test");
        Path exactDir = Files.createTempDirectory("exact-test");
        try (LuceneVectorIndex approximate = new LuceneVectorIndex(approxDir, 0);
             LuceneVectorIndex exact = new LuceneVectorIndex(exactDir, Integer.MAX_VALUE)) {
            for (int from = 0; from < vectors.size(); from += 500) {
                approximate.add(vectors.subList(from, from + 500));
                exact.add(vectors.subList(from, from + 500));
            }
            assertThat(approximate.size()).isEqualTo(MESSAGES);
            // replacing a message's vector keeps one document
            approximate.add(List.of(vectors.get(0)));
            assertThat(approximate.size()).isEqualTo(MESSAGES);

            double recall = recallAt10(approximate, exact, 100, random, centres);
            System.out.printf("search: HNSW recall@10 against exact on %d clustered random vectors: %.3f%n", MESSAGES, recall);
            assertThat(recall).isGreaterThanOrEqualTo(0.9);

            // an exact score is the cosine similarity
            List<VectorIndex.Hit> self = exact.nearest(vectors.get(5).vector(), 1, VectorIndex.Filter.none());
            assertThat(self.get(0).messageId()).isEqualTo("m5");
            assertThat(self.get(0).score()).isCloseTo(1.0f, org.assertj.core.data.Offset.offset(1e-4f));

            // a filter that keeps 1 in 350 messages: the graph alone would miss them, the answer must not
            VectorIndex.Filter narrow = new VectorIndex.Filter(Set.of("agent-7"), Set.of("task-3"), Optional.empty(),
                    Optional.empty(), Optional.empty());
            for (int q = 0; q < 20; q++) {
                float[] query = randomUnit(random, centres.get(q), 0.6f);
                List<VectorIndex.Hit> want = exact.nearest(query, 5, narrow);
                List<VectorIndex.Hit> got = approximate.nearest(query, 5, narrow);
                assertThat(ids(got)).isEqualTo(ids(want));
                assertThat(got).allSatisfy(hit -> assertThat(Integer.parseInt(hit.messageId().substring(1)) % 350).isEqualTo(157));
            }
            // a time range (to exclusive), then with a conversation left out
            VectorIndex.Filter range = new VectorIndex.Filter(Set.of(), Set.of(), Optional.of(start.plusSeconds(100)),
                    Optional.of(start.plusSeconds(110)), Optional.empty());
            List<VectorIndex.Hit> inRange = approximate.nearest(centres.get(0), 50, range);
            assertThat(inRange).extracting(VectorIndex.Hit::messageId)
                    .containsExactlyInAnyOrder("m100", "m101", "m102", "m103", "m104", "m105", "m106", "m107", "m108", "m109")
                    .doesNotContain("m99", "m110");
            assertThat(exact.nearest(centres.get(0), 50, range)).hasSize(10);
            VectorIndex.Filter without = new VectorIndex.Filter(Set.of(), Set.of(), Optional.of(start.plusSeconds(98)),
                    Optional.of(start.plusSeconds(102)), Optional.of("c33"));
            assertThat(approximate.nearest(centres.get(0), 50, without)).extracting(VectorIndex.Hit::messageId)
                    .containsExactly("m98"); // m99, m100 and m101 are conversation c33
        }
    }

    /** The share of the exact top 10 the approximate index finds, over queries around the centres. */
    private static double recallAt10(LuceneVectorIndex approximate, LuceneVectorIndex exact, int queries, Random random,
            List<float[]> centres) {
        int found = 0;
        for (int q = 0; q < queries; q++) {
            float[] query = randomUnit(random, centres.get(q % centres.size()), 0.6f);
            Set<String> truth = ids(exact.nearest(query, 10, VectorIndex.Filter.none()));
            Set<String> got = ids(approximate.nearest(query, 10, VectorIndex.Filter.none()));
            got.retainAll(truth);
            found += got.size();
        }
        return found / (queries * 10.0);
    }

    private static Set<String> ids(List<VectorIndex.Hit> hits) {
        Set<String> ids = new HashSet<>();
        hits.forEach(hit -> ids.add(hit.messageId()));
        return ids;
    }

    /** A unit vector: around {@code centre} with Gaussian spread {@code spread}, or uniform on the sphere. */
    static float[] randomUnit(Random random, float[] centre, float spread) {
        float[] vector = new float[Embedder.DIMENSIONS];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) random.nextGaussian() * (centre == null ? 1 : spread / (float) Math.sqrt(vector.length))
                    + (centre == null ? 0 : centre[i]);
        }
        return Vectors.unit(vector);
    }

    /**
     * Times far from 1970 (year 1, 9999: ChronoUnit.MICROS overflowed there and stalled the whole index
     * in CI) keep their order; 'infinity' and '-infinity', beyond a long's microseconds, are indexed
     * at the ends of time, found, and the page they came in is not lost.
     */
    @Test
    void messagesAtTheEndsOfTimeAreIndexedAndFilteredWithoutOverflow() throws IOException {
        Random random = new Random(7);
        Instant beyondAd294276 = java.time.OffsetDateTime.MAX.toInstant();
        Instant beforeTheEpochLimit = java.time.OffsetDateTime.MIN.toInstant();
        Instant now = Instant.parse("2026-06-01T00:00:00Z");
        List<StoredVector> vectors = List.of(
                new StoredVector(1, "future", "c-future", "a", null, beyondAd294276, randomUnit(random, null, 0)),
                new StoredVector(2, "past", "c-past", "a", null, beforeTheEpochLimit, randomUnit(random, null, 0)),
                new StoredVector(3, "now", "c-now", "a", null, now, randomUnit(random, null, 0)),
                new StoredVector(4, "year9999", "c-9999", "a", null, Instant.parse("9999-12-31T23:59:59.999999Z"),
                        randomUnit(random, null, 0)),
                new StoredVector(5, "year1", "c-1", "a", null, Instant.parse("0001-01-01T00:00:00Z"),
                        randomUnit(random, null, 0)));
        try (LuceneVectorIndex index = new LuceneVectorIndex(Files.createTempDirectory("ends-of-time"), 0)) {
            index.add(vectors);
            assertThat(index.size()).isEqualTo(5);
            assertThat(ids(index.nearest(vectors.get(0).vector(), 5, VectorIndex.Filter.none())))
                    .containsExactlyInAnyOrder("future", "past", "now", "year9999", "year1");
            VectorIndex.Filter fromNow = new VectorIndex.Filter(Set.of(), Set.of(), Optional.of(now), Optional.empty(),
                    Optional.empty());
            assertThat(ids(index.nearest(vectors.get(2).vector(), 5, fromNow)))
                    .containsExactlyInAnyOrder("future", "now", "year9999");
            VectorIndex.Filter lastDay = new VectorIndex.Filter(Set.of(), Set.of(),
                    Optional.of(Instant.parse("9999-12-31T00:00:00Z")), Optional.of(Instant.parse("9999-12-31T23:59:59.999999Z")),
                    Optional.empty());
            assertThat(ids(index.nearest(vectors.get(2).vector(), 5, lastDay))).as("to is exclusive").isEmpty();
            VectorIndex.Filter beforeNow = new VectorIndex.Filter(Set.of(), Set.of(), Optional.empty(), Optional.of(now),
                    Optional.empty());
            assertThat(ids(index.nearest(vectors.get(2).vector(), 5, beforeNow))).containsExactlyInAnyOrder("past", "year1");
        }
    }

    /**
     * The store accepts identities longer than the 32,766 bytes Lucene allows in a term (the CI found the
     * index stalled on one agent_id): they are indexed by their hash, found, filtered on and returned whole.
     */
    @Test
    void identitiesLongerThanALuceneTermAreIndexedFilteredAndReturnedWhole() throws IOException {
        Random random = new Random(11);
        String longAgent = "a".repeat(40_000);
        String longConversation = "c\u00e9".repeat(20_000);
        String longMessage = "m".repeat(50_000);
        Instant at = Instant.parse("2026-06-01T00:00:00Z");
        List<StoredVector> vectors = List.of(
                new StoredVector(1, longMessage, longConversation, longAgent, "t".repeat(33_000), at, randomUnit(random, null, 0)),
                new StoredVector(2, "short", "c-short", "agent", "task", at, randomUnit(random, null, 0)));
        try (LuceneVectorIndex index = new LuceneVectorIndex(Files.createTempDirectory("long-ids"), 0)) {
            index.add(vectors);
            index.add(List.of(vectors.get(0)));
            assertThat(index.size()).as("replaced by its hashed id, not added twice").isEqualTo(2);
            VectorIndex.Filter byAgent = new VectorIndex.Filter(Set.of(longAgent), Set.of(), Optional.empty(),
                    Optional.empty(), Optional.empty());
            List<VectorIndex.Hit> hits = index.nearest(vectors.get(1).vector(), 5, byAgent);
            assertThat(hits).hasSize(1);
            assertThat(hits.get(0).messageId()).isEqualTo(longMessage);
            assertThat(hits.get(0).conversationId()).isEqualTo(longConversation);
            VectorIndex.Filter without = new VectorIndex.Filter(Set.of(), Set.of(), Optional.empty(), Optional.empty(),
                    Optional.of(longConversation));
            assertThat(ids(index.nearest(vectors.get(0).vector(), 5, without))).containsExactly("short");
        }
    }

    /**
     * A filter that passes more documents than asked for, among copies of the same texts stored by
     * earlier runs under other agents: n of them come back. CI saw SearchTest's k=10 searches answer
     * nothing on a long-lived database (Lucene 9's filtered HNSW search may end with fewer than n;
     * 10.2 falls back to an exact scan then, and so does the index now); this seeded case did not
     * reproduce it, so it holds the property, not the cause.
     */
    static final int COPIES = Integer.getInteger("copies", 5);

    @Test
    void aFilteredSearchAmongIdenticalVectorsStillFindsEveryPassingDocumentItAsksFor() throws IOException {
        Random random = new Random(5);
        List<float[]> corpus = new ArrayList<>();
        for (int c = 0; c < 5; c++) {
            float[] centre = randomUnit(random, null, 0);
            for (int i = 0; i < 10; i++) {
                corpus.add(randomUnit(random, centre, 0.6f));
            }
        }
        List<StoredVector> vectors = new ArrayList<>();
        Instant at = Instant.parse("2026-06-01T00:00:00Z");
        // Earlier runs stored the same 50 texts under agents of their own; this run's agent is "few".
        for (int run = 0; run <= COPIES; run++) {
            String agent = run == COPIES ? "few" : "run-" + run;
            for (int i = 0; i < corpus.size(); i++) {
                vectors.add(new StoredVector(vectors.size() + 1, agent + "-" + i, agent + "-c" + i, agent, null, at,
                        corpus.get(i).clone()));
            }
        }
        VectorIndex.Filter few = new VectorIndex.Filter(Set.of("few"), Set.of(), Optional.empty(), Optional.empty(),
                Optional.empty());
        try (LuceneVectorIndex index = new LuceneVectorIndex(Files.createTempDirectory("identical"), 0)) {
            for (int from = 0; from < vectors.size(); from += 500) {
                index.add(vectors.subList(from, Math.min(vectors.size(), from + 500)));
            }
            for (float[] query : List.of(corpus.get(0), corpus.get(27), randomUnit(random, null, 0))) {
                assertThat(index.nearest(query, 40, few)).hasSize(40)
                        .allSatisfy(hit -> assertThat(hit.messageId()).startsWith("few-"));
            }
        }
    }

    /**
     * Agents repeat themselves: the same system prompt, "ok", "A1" in thousands of conversations, each
     * the same vector. HNSW links identical vectors only to each other, so a graph full of them can trap
     * an unfiltered search in one such cluster (CI found the console's search listing "A1" at 0.16
     * while a conversation at 0.7 was indexed). Every query's top 10 must equal the exact scan's.
     */
    @Test
    void identicalVectorsByTheThousandDoNotTrapTheGraphSearch() throws IOException {
        Random random = new Random(11);
        List<float[]> centres = new ArrayList<>();
        for (int c = 0; c < 30; c++) {
            centres.add(randomUnit(random, null, 0));
        }
        List<float[]> repeated = new ArrayList<>();
        for (int r = 0; r < 6; r++) {
            repeated.add(randomUnit(random, null, 0));
        }
        int copies = Integer.getInteger("repeats", 3000);
        List<float[]> all = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            all.add(randomUnit(random, centres.get(i % centres.size()), 0.6f));
        }
        for (int i = 0; i < repeated.size() * copies; i++) {
            all.add(repeated.get(i % repeated.size()).clone());
        }
        java.util.Collections.shuffle(all, random);
        List<StoredVector> vectors = new ArrayList<>();
        Instant at = Instant.parse("2026-06-01T00:00:00Z");
        for (float[] vector : all) {
            vectors.add(new StoredVector(vectors.size() + 1, "m" + vectors.size(), "c" + vectors.size(), "agent", null, at, vector));
        }
        Path approxDir = Files.createTempDirectory("identical-hnsw");
        Path exactDir = Files.createTempDirectory("identical-exact");
        try (LuceneVectorIndex approximate = new LuceneVectorIndex(approxDir, 0);
             LuceneVectorIndex exact = new LuceneVectorIndex(exactDir, Integer.MAX_VALUE)) {
            for (int from = 0; from < vectors.size(); from += 500) {
                approximate.add(vectors.subList(from, Math.min(vectors.size(), from + 500)));
                exact.add(vectors.subList(from, Math.min(vectors.size(), from + 500)));
            }
            double recall = recallAt10(approximate, exact, 50, random, centres);
            System.out.printf("search: HNSW recall@10 among %d identical copies of %d vectors: %.3f%n", copies,
                    repeated.size(), recall);
            assertThat(recall).isGreaterThanOrEqualTo(0.95);
        }
    }
}
