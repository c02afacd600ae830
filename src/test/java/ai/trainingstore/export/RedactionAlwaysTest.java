package ai.trainingstore.export;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.dataset.tokens.TiktokenReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator's switch, {@code training-store.redaction.always=email,secret}: every export and
 * dataset is redacted for those classes whatever the request says; a request can add classes but
 * never take these away.
 */
@QuarkusTest
@TestProfile(RedactionAlwaysTest.EmailAndSecretsAlways.class)
class RedactionAlwaysTest extends ExportTestSupport {

    public static class EmailAndSecretsAlways implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("training-store.redaction.always", "email, secret");
        }
    }

    static final String EMAIL = "cfo@example.com";
    static final String SECRET = "glpat-" + "x7Vq2LmN9pRt4KsW8yZb";
    static final String IP = "192.0.2.55";
    static final String CONTENT = "Send to " + EMAIL + " with " + SECRET + " from " + IP;

    @Test
    void everyRequestIsRedactedForTheForcedClassesAndMayAddOthers() {
        String agent = unique("redact-always");
        String conversation = unique("redact-always-conv");
        List<String> entries = new ArrayList<>();
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "user", "content", CONTENT,
                "agent_id", agent, "seq", "1"));
        entries.add(xadd(MESSAGES, "conversation_id", conversation, "role", "assistant", "content", "Noted " + EMAIL,
                "agent_id", agent, "seq", "2"));
        awaitStored(MESSAGES, entries);

        for (String format : List.of("jsonl", "csv")) {
            String body = body(Kind.MESSAGE, format, "agent_id", agent);
            assertThat(body).as("no redact asked, %s", format).doesNotContain(EMAIL, SECRET).contains(IP)
                    .contains("[REDACTED_EMAIL]", "[REDACTED_SECRET]");
        }
        List<JsonNode> rows = jsonlRows(jsonlBody(Kind.MESSAGE, "agent_id", agent, "redact", "ip"));
        assertThat(rows).extracting(row -> row.get("content").asText())
                .as("a request adds classes to the forced ones")
                .contains("Send to [REDACTED_EMAIL] with [REDACTED_SECRET] from [REDACTED_IP]");
        // No value of redact switches the forced classes off: an empty or unknown list is refused.
        for (String off : List.of("", "none", "-email")) {
            assertThat(get(Kind.MESSAGE, params("agent_id", agent, "redact", off)).statusCode()).as("redact=%s", off)
                    .isEqualTo(400);
        }

        String line = new String(given().auth().oauth2(EXPORT_TOKEN).queryParam("conversation_id", conversation)
                .get("/api/v1/datasets/conversations").asByteArray(), StandardCharsets.UTF_8);
        assertThat(line).as("the dataset too").doesNotContain(EMAIL, SECRET).contains(IP).contains("[REDACTED_EMAIL]");
        String summary = given().auth().oauth2(EXPORT_TOKEN).queryParam("conversation_id", conversation)
                .get("/api/v1/datasets/conversations/summary").asString();
        long total = parse(summary).get("tokens").get("total").asLong();
        assertThat(total).as("the summary counts the redacted line")
                .isEqualTo(TiktokenReference.chatLines(List.of(parse(line)), "o200k_base").get(0));
    }
}
