package ai.trainingstore.version;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A version of the preferences dataset, built by the generic version code with no preference code
 * of its own: the bytes and summary of the dataset's GET at creation, kept after the scores changed.
 */
@QuarkusTest
class PreferenceVersionTest extends VersionTestSupport {

    @Test
    void aVersionOfPreferencesKeepsTheRankedPairsOfItsSnapshot() {
        String agent = unique("pref-version");
        List<Map<String, String>> messages = new ArrayList<>();
        List<Map<String, String>> feedback = new ArrayList<>();
        for (int g = 0; g < 30; g++) {
            for (int s = 0; s < 3; s++) {
                String c = agent + "-g" + g + "-" + s;
                messages.add(message(c, agent, 0, "user", "Question " + g + " " + "q".repeat(200)));
                messages.add(message(c, agent, 1, "assistant", "Answer " + s + " " + "a".repeat(200)));
                feedback.add(fields("target_kind", "conversation", "target_id", c, "name", "reward",
                        "value", Integer.toString(s)));
            }
        }
        publish(MESSAGES, messages);
        publish(FEEDBACK, feedback);
        String query = "?agent_id=" + agent + "&score=reward&metadata=true";
        byte[] atCreation = datasetBytes("preferences", query);
        JsonNode summaryAtCreation = json(export().get("/api/v1/datasets/preferences/summary" + query).asString());
        assertThat(new String(atCreation, StandardCharsets.UTF_8).split("\n")).hasSize(30);

        String id = create("dpo run 1", "preferences", parameters("agent_id", agent, "score", "reward",
                "metadata", "true"));
        JsonNode manifest = awaitReady(id);
        assertThat(versionBytes(id)).isEqualTo(atCreation);
        assertThat(manifest.get("lines").asLong()).isEqualTo(30);
        assertThat(manifest.get("sha256").asText()).isEqualTo(sha256(atCreation));
        assertThat(manifest.get("summary")).isEqualTo(summaryAtCreation);
        assertThat(manifest.at("/summary/pairs/ranked").asLong()).isEqualTo(30);

        // The scores change: the dataset moves on, the version does not.
        List<Map<String, String>> rescored = new ArrayList<>();
        for (int g = 0; g < 30; g++) {
            rescored.add(fields("target_kind", "conversation", "target_id", agent + "-g" + g + "-0", "name", "reward",
                    "value", "9"));
        }
        publish(FEEDBACK, rescored);
        assertThat(datasetBytes("preferences", query)).isNotEqualTo(atCreation);
        assertThat(versionBytes(id)).isEqualTo(atCreation);
        assertThat(post(EXPORT_TOKEN, body("bad", "preferences", parameters("pairs", "ranked")).toString())
                .statusCode()).as("checked at once as the GET").isEqualTo(400);
    }
}
