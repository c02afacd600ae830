package ai.trainingstore.version;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Versions take the token parameters (parsed by the dataset's own code) and their manifests carry
 * the summary's exact {@code tokens}: for conversations and for trajectories.
 */
@QuarkusTest
class TokenVersionTest extends VersionTestSupport {

    private static List<JsonNode> lines(byte[] bytes) {
        String body = new String(bytes, StandardCharsets.UTF_8);
        return body.isEmpty() ? List.of() : Arrays.stream(body.split("\n")).map(VersionTestSupport::json).toList();
    }

    @Test
    void aConversationsVersionKeepsMaxTokensAndItsManifestCarriesTheTokens() {
        String agent = unique("token-version");
        List<String> ids = IntStream.range(0, 4).mapToObj(i -> agent + "-conv-" + i).toList();
        publishConversations(agent, ids.subList(0, 2), 40);
        publishConversations(agent, ids.subList(2, 4), 4000);
        List<JsonNode> all = lines(datasetBytes("conversations", "?agent_id=" + agent));
        List<Long> counts = TiktokenReference.chatLines(all, "cl100k_base");
        long max = counts.stream().mapToLong(Long::longValue).min().getAsLong();

        String id = create("tokens", "conversations",
                parameters("agent_id", agent, "tokenizer", "cl100k_base", "max_tokens", Long.toString(max)));
        JsonNode manifest = awaitReady(id);
        List<JsonNode> kept = lines(versionBytes(id));
        assertThat(kept).hasSize(2);
        JsonNode summary = manifest.get("summary");
        assertThat(summary.get("skipped").get("too_long").asLong()).isEqualTo(2);
        JsonNode tokens = summary.get("tokens");
        assertThat(tokens.get("encoding").asText()).isEqualTo("cl100k_base");
        List<Long> keptCounts = TiktokenReference.chatLines(kept, "cl100k_base");
        assertThat(tokens.get("total").asLong()).isEqualTo(keptCounts.stream().mapToLong(Long::longValue).sum());
        assertThat(tokens.get("max").asLong()).isEqualTo(max);
        assertThat(manifest.get("parameters").get("max_tokens").asText()).isEqualTo(Long.toString(max));
    }

    @Test
    void aTrajectoriesVersionsManifestCarriesTheTokens() {
        String task = unique("token-version-task");
        publish(TASKS, List.of(fields("task_id", task, "agent_id", "a", "status", "completed",
                "occurred_at", "2026-04-01T10:00:00Z")));
        publish(MESSAGES, List.of(
                fields("conversation_id", task + "-c", "task_id", task, "role", "user", "content", "Fix it, 谢谢",
                        "seq", "1", "occurred_at", "2026-04-01T10:00:01Z"),
                fields("conversation_id", task + "-c", "task_id", task, "role", "assistant", "content", "Fixed 😀",
                        "seq", "2", "occurred_at", "2026-04-01T10:00:02Z")));
        String id = create("trajectory tokens", "trajectories", parameters("task_id", task));
        JsonNode manifest = awaitReady(id);
        List<JsonNode> lines = lines(versionBytes(id));
        assertThat(lines).hasSize(1);
        JsonNode summary = manifest.get("summary");
        assertThat(summary.get("lines").asLong()).isEqualTo(1);
        assertThat(summary.get("tokens").get("encoding").asText()).isEqualTo("o200k_base");
        assertThat(summary.get("tokens").get("total").asLong())
                .isEqualTo(TiktokenReference.everyString(lines, "o200k_base").get(0));
    }

    @Test
    void badTokenParametersAreRefusedAsTheDatasetRefusesThem() {
        for (Map.Entry<String, String> bad : Map.of("max_tokens", "0", "tokenizer", "gpt2").entrySet()) {
            for (String dataset : List.of("conversations", "trajectories")) {
                var response = post(EXPORT_TOKEN, body("bad", dataset, parameters(bad.getKey(), bad.getValue())).toString());
                assertThat(response.statusCode()).as("%s %s", dataset, bad).isEqualTo(400);
                assertThat(response.asString()).contains(bad.getKey());
            }
        }
    }
}
