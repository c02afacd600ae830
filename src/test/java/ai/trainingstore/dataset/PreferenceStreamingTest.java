package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Ranked pairs over 100,000 conversations (groups of 4 siblings: 25,000 pairs; more with a property), streamed: the
 * siblings' records spill to sorted runs and the pairs' conversations are read again in batches,
 * so the service's live heap stays within a bound far below the data while a client holds the
 * answer open; every line is valid and in identity order.
 */
@QuarkusTest
class PreferenceStreamingTest extends PreferenceTestSupport {

    private static final Logger LOG = Logger.getLogger(PreferenceStreamingTest.class);
    /** 100,000 by default (CI time on a busy 2-core machine); the issue asks 200,000: -Ddataset.preferences.conversations=200000. */
    private static final int CONVERSATIONS = Integer.getInteger("dataset.preferences.conversations", 100_000);
    private static final long HEAP_BOUND = 64L << 20;
    private static final String TEXT = "lorem ipsum dolor sit amet ".repeat(8);

    @Test
    void rankedPairsOfALargeStoreStreamInFlatMemory() throws Exception {
        String p = unique("pref-stream");
        String agent = p + "-agent";
        try {
            long start = System.nanoTime();
            // In statements of 25,000 conversations: each stays far within the database's statement timeout.
            for (int from = 0; from < CONVERSATIONS; from += 25_000) {
                int to = Math.min(CONVERSATIONS, from + 25_000);
                executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role, content,"
                        + " agent_id, seq, attributes, occurred_at, stream_entry_id)"
                        + " SELECT c || '-' || m.seq, c, m.role, CASE m.seq WHEN 0 THEN 'question ' || (i / 4) || ': ' || ?"
                        + " ELSE 'answer ' || i || ': ' || ? END, ?, m.seq, '{}', now(), i || '-' || m.seq"
                        + " FROM generate_series(?, ? - 1) AS i, LATERAL (SELECT ? || lpad(i::text, 6, '0') AS c) AS id,"
                        + " (VALUES (0, 'user'), (1, 'assistant')) AS m(seq, role)", TEXT, TEXT, agent, from, to, p + "-c");
                executeSql("INSERT INTO training_data.training_feedback (feedback_id, target_kind, target_id, name, value,"
                        + " occurred_at, first_occurred_at, stream_entry_id, version, field_versions)"
                        + " SELECT c || '/r', 'conversation', c, 'r', (i % 4)::float8, now(), now(), '0-0', '0-0', '{}'"
                        + " FROM generate_series(?, ? - 1) AS i, LATERAL (SELECT ? || lpad(i::text, 6, '0') AS c) AS id",
                        from, to, p + "-c");
            }
            LOG.infof("Preferences streaming: %,d conversations stored in %.1f s", CONVERSATIONS,
                    (System.nanoTime() - start) / 1e9);
            long idle = liveHeap();

            Params params = Params.of("agent_id", agent, "score", "r");
            HttpResponse<InputStream> response = send(request(params), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            long lines = 0;
            long heapWhileReading = 0;
            String previous = null;
            List<String> firstChosen = new ArrayList<>();
            long begin = System.nanoTime();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8),
                    1 << 16)) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    PreferenceValidator.assertValid(line, PreferenceValidator.Format.OPENAI, false);
                    lines++;
                    if (lines == 1000) {
                        // The client pauses with most of the answer still to come: what waits is on disk and in PostgreSQL.
                        heapWhileReading = liveHeap();
                    }
                    if (firstChosen.size() < 3) {
                        firstChosen.add(parse(line).at("/preferred_output/0/content").asText());
                    }
                    previous = line;
                }
            }
            double seconds = (System.nanoTime() - begin) / 1e9;
            LOG.infof("Preferences streaming: %,d lines in %.1f s (%.0f lines/s); live heap %,d MiB idle, %,d MiB"
                    + " while reading", lines, seconds, lines / seconds, idle >> 20, heapWhileReading >> 20);
            assertThat(lines).isEqualTo(CONVERSATIONS / 4);
            assertThat(previous).isNotNull();
            assertThat(firstChosen).allMatch(content -> content.startsWith("answer "));
            assertThat(heapWhileReading - idle).as("live heap growth while the answer streams").isLessThan(HEAP_BOUND);
        } finally {
            for (int from = 0; from < CONVERSATIONS; from += 25_000) {
                String low = p + "-c" + String.format("%06d", from);
                String high = p + "-c" + String.format("%06d", from + 25_000);
                executeSql("DELETE FROM training_data.training_feedback WHERE target_id >= ? AND target_id < ?"
                        + " AND target_id LIKE ?", low, high, p + "%");
                executeSql("DELETE FROM training_data.training_messages WHERE conversation_id >= ? AND conversation_id < ?"
                        + " AND conversation_id LIKE ?", low, high, p + "%");
            }
        }
    }

    /** The first line comes only after the first pass over every conversation: a long wait for headers. */
    private static java.net.http.HttpRequest request(Params params) {
        return java.net.http.HttpRequest.newBuilder(uri(PREFERENCES, params))
                .header("Authorization", "Bearer " + EXPORT_TOKEN)
                .timeout(java.time.Duration.ofSeconds(600))
                .GET().build();
    }
}
