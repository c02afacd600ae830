package ai.trainingstore.dataset;

import static ai.trainingstore.dataset.dedup.DedupTexts.jaccard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code dedup=exact|near} on the conversations dataset (contract 6.5), through Redis, PostgreSQL
 * and HTTP: which lines are left out and which kept (the earlier one), the summary's
 * {@code duplicate} count and explain's detail, resuming with {@code after} (judged against the
 * lines before the cursor), splits, bad values, and hostile data (a 5 MB message, 10,000 identical
 * conversations). The true Jaccard similarity of the near pairs is computed here from the
 * contract's definition.
 */
@QuarkusTest
class ConversationDedupTest extends DatasetTestSupport {

    private static final String P = unique("dedup") + "-";
    private static final String VERSIONS = "/api/v1/datasets/versions";
    private static final String AGENT = P + "agent";
    private static final String ORIGINAL = P + "a-original";
    private static final String COPY = P + "b-copy";
    private static final String ONE_CHARACTER = P + "c-one-character";
    private static final String LONG = P + "d-long";
    private static final String LONG_ONE_WORD = P + "e-long-one-word";
    private static final String LONG_HALF = P + "f-long-half";
    private static final String SHORT = P + "g-short";
    private static final String SHORT_SAME_WORDS = P + "h-short-same-words";
    private static final String SHORT_OTHER = P + "i-short-other";
    private static final List<String> EVERY = List.of(ORIGINAL, COPY, ONE_CHARACTER, LONG, LONG_ONE_WORD, LONG_HALF,
            SHORT, SHORT_SAME_WORDS, SHORT_OTHER);

    private static boolean published;
    private static String longText;
    private static String longOneWord;
    private static String longHalf;

    private synchronized Params all() {
        if (!published) {
            publishAll();
            published = true;
        }
        // By conversation id: the query reads these conversations only, whatever else the shared database holds.
        return Params.conversations(EVERY).with("metadata", "true");
    }

    private void publishAll() {
        Random random = new Random(21);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            words.add("w" + Integer.toString(random.nextInt(50_000), 36));
        }
        longText = String.join(" ", words);
        List<String> changed = new ArrayList<>(words);
        changed.set(150, "changed");
        longOneWord = String.join(" ", changed);
        List<String> half = new ArrayList<>(words.subList(0, 200));
        for (int i = 0; i < 100; i++) {
            half.add("h" + i);
        }
        longHalf = String.join(" ", half);

        Instant t = Instant.parse("2025-02-01T10:00:00Z");
        List<Rec> messages = new ArrayList<>();
        messages.addAll(withCall(ORIGINAL, t, "call-1", "{\"query\":\"handler\",\"limit\":10}", "It is in src/handler.py."));
        // Other message ids, times and call id, arguments spelled otherwise: the same line.
        messages.addAll(withCall(COPY, t.plusSeconds(3600), "zz-9", "{ \"limit\": 10, \"query\": \"handler\" }",
                "It is in src/handler.py."));
        // One character: another line for exact; for near the same words (lowercased), so a duplicate.
        messages.addAll(withCall(ONE_CHARACTER, t, "call-1", "{\"query\":\"handler\",\"limit\":10}", "It is in src/handler.pY."));
        messages.addAll(pair(LONG, longText, t));
        messages.addAll(pair(LONG_ONE_WORD, longOneWord, t));
        messages.addAll(pair(LONG_HALF, longHalf, t));
        messages.add(message(SHORT, "user", "Hi there").agent(AGENT).id(SHORT + "-1").seq(1).at(t));
        messages.add(message(SHORT, "assistant", "Hello!").agent(AGENT).id(SHORT + "-2").seq(2).at(t));
        messages.add(message(SHORT_SAME_WORDS, "user", "hi, THERE").agent(AGENT).id(SHORT_SAME_WORDS + "-1").seq(1).at(t));
        messages.add(message(SHORT_SAME_WORDS, "assistant", "hello").agent(AGENT).id(SHORT_SAME_WORDS + "-2").seq(2).at(t));
        messages.add(message(SHORT_OTHER, "user", "hi there").agent(AGENT).id(SHORT_OTHER + "-1").seq(1).at(t));
        messages.add(message(SHORT_OTHER, "assistant", "hello friend").agent(AGENT).id(SHORT_OTHER + "-2").seq(2).at(t));
        publishMessages(Encoding.FLAT, messages);
    }

    private static List<Rec> withCall(String c, Instant t, String callId, String arguments, String answer) {
        return List.of(
                message(c, "user", "Find the failing handler in module seven").agent(AGENT).id(c + "-1").seq(1).at(t)
                        .tools(tool("search", "Search the code", "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}")),
                message(c, "assistant", "").agent(AGENT).id(c + "-2").seq(2).at(t.plusSeconds(1))
                        .calls(call(callId, "search", arguments)),
                message(c, "tool", "src/handler.py").agent(AGENT).id(c + "-3").seq(3).at(t.plusSeconds(2)).answers(callId),
                message(c, "assistant", answer).agent(AGENT).id(c + "-4").seq(4).at(t.plusSeconds(3)));
    }

    private static List<Rec> pair(String c, String text, Instant t) {
        int middle = text.indexOf(' ', text.length() / 2);
        return List.of(message(c, "user", text.substring(0, middle)).agent(AGENT).id(c + "-1").seq(1).at(t),
                message(c, "assistant", text.substring(middle + 1)).agent(AGENT).id(c + "-2").seq(2).at(t));
    }

    @AfterAll
    static void deleteStoredRows() throws Exception {
        try (var connection = java.sql.DriverManager.getConnection(
                org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class),
                "postgres", "");
             var statement = connection.prepareStatement("DELETE FROM training_data.training_messages WHERE message_id LIKE ?")) {
            statement.setString(1, P + "%");
            statement.executeUpdate();
        }
    }

    @Test
    void exactLeavesOutTheSameMessagesAndToolsAndKeepsTheEarlierLine() {
        assertThat(conversationIds(dataset(all()))).hasSize(9);
        assertThat(conversationIds(dataset(all().with("dedup", "exact")))).containsExactly(ORIGINAL, ONE_CHARACTER, LONG,
                LONG_ONE_WORD, LONG_HALF, SHORT, SHORT_SAME_WORDS, SHORT_OTHER);
        // The Hugging Face shape (arguments as objects) leaves out the same line.
        assertThat(conversationIds(dataset(all().with("dedup", "exact", "format", "messages"))))
                .doesNotContain(COPY).hasSize(8);
        assertThat(conversationIds(dataset(all().with("dedup", "none")))).hasSize(9);
    }

    @Test
    void nearAlsoLeavesOutSimilarTextsMeasuredByTheTrueJaccardSimilarity() {
        Params all = all();
        assertThat(jaccard(longText, longOneWord)).as("one word changed in 300").isGreaterThanOrEqualTo(0.95);
        assertThat(jaccard(longText, longHalf)).as("200 of 300 words shared").isLessThanOrEqualTo(0.5);
        assertThat(conversationIds(dataset(all.with("dedup", "near")))).containsExactly(ORIGINAL, LONG, LONG_HALF, SHORT,
                SHORT_OTHER);
        // A threshold of 1: only texts with the same 5-grams (or, under 5 words, the same words).
        assertThat(conversationIds(dataset(all.with("dedup", "near", "near_threshold", "1")))).containsExactly(ORIGINAL,
                LONG, LONG_ONE_WORD, LONG_HALF, SHORT, SHORT_OTHER);
    }

    @Test
    void theSummaryCountsDuplicatesAndExplainNamesTheKeptConversation() {
        JsonNode exact = summary(all().with("dedup", "exact"));
        assertThat(exact.path("emitted").asLong()).isEqualTo(8);
        assertThat(exact.path("conversations").asLong()).isEqualTo(9);
        assertThat(exact.path("skipped").path("duplicate").asLong()).isEqualTo(1);
        JsonNode near = summary(all().with("dedup", "near", "explain", "true"));
        assertThat(near.path("emitted").asLong()).isEqualTo(5);
        assertThat(near.path("skipped").path("duplicate").asLong()).isEqualTo(4);
        JsonNode examples = near.path("left_out").path("duplicate");
        assertThat(examples).hasSize(4);
        assertThat(examples.get(0).path("id").asText()).isEqualTo(COPY);
        assertThat(examples.get(0).path("detail").asText()).isEqualTo("same messages and tools as " + ORIGINAL);
        assertThat(examples.get(1).path("id").asText()).isEqualTo(ONE_CHARACTER);
        assertThat(examples.get(1).path("detail").asText())
                .isEqualTo("near duplicate of " + ORIGINAL + ": estimated Jaccard similarity 1.000 of word 5-grams");
        assertThat(examples.get(2).path("id").asText()).isEqualTo(LONG_ONE_WORD);
        assertThat(examples.get(2).path("detail").asText()).startsWith("near duplicate of " + LONG + ": estimated Jaccard");
        assertThat(examples.get(3).path("id").asText()).isEqualTo(SHORT_SAME_WORDS);
        assertThat(summary(all()).path("skipped").path("duplicate").asLong()).as("without dedup").isZero();
    }

    /**
     * Every cut gives exactly the rest of the whole answer: nothing emitted again, nothing newly left
     * out (near: every cut, also at lines left out; exact: the cuts around its one duplicate).
     */
    @Test
    void resumingJudgesTheLinesAfterTheCursorAgainstTheLinesBeforeIt() {
        for (String dedup : List.of("exact", "near")) {
            Params params = all().with("dedup", dedup);
            List<String> full = conversationIds(dataset(params));
            List<String> cuts = dedup.equals("near") ? EVERY : List.of(ORIGINAL, COPY);
            for (String cut : cuts) {
                List<String> rest = full.stream().filter(id -> BYTEWISE.compare(id, cut) > 0).toList();
                assertThat(conversationIds(dataset(params.with("after", cut)))).as("%s after %s", dedup, cut)
                        .containsExactlyElementsOf(rest);
            }
            for (String cut : List.of(ORIGINAL, LONG)) {
                JsonNode summary = summary(params.with("after", cut));
                long rest = full.stream().filter(id -> BYTEWISE.compare(id, cut) > 0).count();
                assertThat(summary.path("emitted").asLong()).as("%s summary after %s", dedup, cut).isEqualTo(rest);
                long leftOut = EVERY.stream().filter(id -> BYTEWISE.compare(id, cut) > 0 && !full.contains(id)).count();
                assertThat(summary.path("skipped").path("duplicate").asLong()).isEqualTo(leftOut);
            }
        }
        // The limit counts emitted lines after the cursor.
        assertThat(conversationIds(dataset(all().with("dedup", "near", "after", ORIGINAL, "limit", "2"))))
                .containsExactly(LONG, LONG_HALF);
    }

    /** Dedup runs before the split: the splits of a deduplicated answer are the parts of it. */
    @Test
    void theSplitsAreThePartsOfTheDeduplicatedAnswer() {
        Params params = all().with("dedup", "near", "validation_fraction", "0.5");
        Set<String> parts = new HashSet<>();
        for (String split : List.of("train", "validation", "test")) {
            parts.addAll(conversationIds(dataset(params.with("split", split))));
        }
        assertThat(parts).containsExactlyInAnyOrderElementsOf(conversationIds(dataset(params)));
    }

    @Test
    void badValuesAreRefusedWithAClearError() {
        for (String[] bad : List.of(new String[] {"dedup", "fuzzy"}, new String[] {"dedup", ""},
                new String[] {"dedup", "near", "near_threshold", "0"}, new String[] {"dedup", "near", "near_threshold", "1.5"},
                new String[] {"dedup", "near", "near_threshold", "abc"}, new String[] {"dedup", "near", "near_threshold", "-0.5"},
                new String[] {"dedup", "near", "near_threshold", "NaN"}, new String[] {"dedup", "near", "near_threshold", "0.8d"},
                new String[] {"dedup", "near", "near_threshold", "0x1p-1"}, new String[] {"dedup", "exact", "near_threshold", "0.9"},
                new String[] {"near_threshold", "0.9"}, new String[] {"dedup", "exact", "dedup", "near"})) {
            for (String path : List.of(PATH, SUMMARY_PATH)) {
                Response response = get(path, Params.of(bad));
                assertThat(response.statusCode()).as("%s %s", path, String.join("=", bad)).isEqualTo(400);
                assertThat(response.jsonPath().getString("error")).as("%s", String.join("=", bad))
                        .containsAnyOf("dedup", "near_threshold");
            }
        }
        assertThat(get(PATH, Params.of("dedup", "near", "near_threshold", "1e-1", "conversation_id", ORIGINAL)).statusCode())
                .isEqualTo(200);
    }

    /**
     * 10,000 identical conversations: one kept. Asked through a dataset version, whose parameters
     * (a body, not a URL) can name 10,000 conversations: versions take dedup as the GET does.
     */
    @Test
    void tenThousandIdenticalConversationsKeepOne() {
        String identical = P + "s";
        executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, seq, agent_id,"
                + " attributes, occurred_at, stream_entry_id)"
                + " SELECT ? || lpad(i::text, 5, '0') || '-' || k, ? || lpad(i::text, 5, '0'),"
                + " CASE k WHEN 1 THEN 'user' ELSE 'assistant' END,"
                + " CASE k WHEN 1 THEN 'What is the capital of France?' ELSE 'Paris.' END, k, 'dedup-test', '{}', now(), '1-0'"
                + " FROM generate_series(1, 10000) AS i CROSS JOIN generate_series(1, 2) AS k", identical, identical);
        ArrayNode ids = NODES.arrayNode();
        for (int i = 1; i <= 10_000; i++) {
            ids.add(identical + String.format(Locale.ROOT, "%05d", i));
        }
        for (String dedup : List.of("exact", "near")) {
            ObjectNode parameters = NODES.objectNode().put("dedup", dedup);
            parameters.set("conversation_id", ids);
            ObjectNode body = NODES.objectNode().put("name", "dedup " + P).put("dataset", "conversations");
            body.set("parameters", parameters);
            Response created = export().contentType("application/json").body(body.toString()).post(VERSIONS);
            assertThat(created.statusCode()).as("POST: %s", created.asString()).isEqualTo(202);
            String id = created.jsonPath().getString("id");
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !"building".equals(export().get(VERSIONS + "/" + id).jsonPath().getString("status")));
            JsonNode manifest = parse(export().get(VERSIONS + "/" + id).asString());
            assertThat(manifest.path("status").asText()).as("%s", manifest).isEqualTo("ready");
            assertThat(manifest.path("lines").asLong()).isEqualTo(1);
            assertThat(manifest.path("summary").path("conversations").asLong()).isEqualTo(10_000);
            assertThat(manifest.path("summary").path("emitted").asLong()).isEqualTo(1);
            assertThat(manifest.path("summary").path("skipped").path("duplicate").asLong()).isEqualTo(9_999);
        }
    }

    /** Two conversations with the same 5 MB message: the second is left out, named in explain. */
    @Test
    void aFiveMegabyteMessage() {
        String huge = P + "huge";
        Random random = new Random(22);
        StringBuilder text = new StringBuilder();
        while (text.length() < 5_000_000) {
            text.append("w").append(Integer.toString(random.nextInt(50_000), 36)).append(' ');
        }
        for (String c : List.of(huge + "-1", huge + "-2")) {
            executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, seq,"
                    + " agent_id, attributes, occurred_at, stream_entry_id) VALUES (?, ?, 'user', ?, 1, 'dedup-test', '{}',"
                    + " now(), '1-0'), (?, ?, 'assistant', 'ok', 2, 'dedup-test', '{}', now(), '1-0')",
                    c + "-1", c, text.toString(), c + "-2", c);
        }
        for (String dedup : List.of("exact", "near")) {
            Params params = Params.of("conversation_id", huge + "-1", "conversation_id", huge + "-2", "dedup", dedup);
            JsonNode summary = summary(params.with("explain", "true"));
            assertThat(summary.path("emitted").asLong()).as(dedup).isEqualTo(1);
            assertThat(summary.path("left_out").path("duplicate").get(0).path("detail").asText()).contains(huge + "-1");
            assertThat(dataset(params)).hasSize(1);
        }
    }
}
