package ai.trainingstore.redact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Redaction API: lists, text, JSON text and trees, and hostile input of 1 MiB per class. */
class RedactionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Redaction ALL = Redaction.parse("all");

    @Test
    void listsParseAndUnknownNamesAreRefusedNamingTheValidOnes() {
        assertThat(Redaction.parse("email, phone").classes()).containsExactlyInAnyOrder(RedactClass.EMAIL, RedactClass.PHONE);
        assertThat(Redaction.parse("all").classes()).isEqualTo(EnumSet.allOf(RedactClass.class));
        assertThat(Redaction.parse("ip,all").classes()).isEqualTo(EnumSet.allOf(RedactClass.class));
        assertThatThrownBy(() -> Redaction.parse("email,ssn")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ssn'").hasMessageContaining("email, phone, ip, card, secret, or all");
        assertThatThrownBy(() -> Redaction.parse("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> Redaction.parse("EMAIL")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Redaction.parse("email").with(Redaction.parse("card")).classes())
                .containsExactlyInAnyOrder(RedactClass.EMAIL, RedactClass.CARD);
    }

    @Test
    void noneReturnsItsInputUnchanged() {
        String json = "{\"to\": \"a@example.com\"}";
        assertThat(Redaction.none().isNone()).isTrue();
        assertThat(Redaction.none().text("a@example.com")).isSameAs("a@example.com");
        assertThat(Redaction.none().json(json)).isSameAs(json);
    }

    @Test
    void onlyTheAskedClassesAreReplaced() {
        String text = "mail a@example.com or call +1-415-555-0100 from 10.1.2.3";
        assertThat(Redaction.parse("email").text(text)).isEqualTo("mail [REDACTED_EMAIL] or call +1-415-555-0100 from 10.1.2.3");
        assertThat(Redaction.parse("phone,ip").text(text))
                .isEqualTo("mail a@example.com or call [REDACTED_PHONE] from [REDACTED_IP]");
        assertThat(ALL.text("password=hunter2 and card 4111 1111 1111 1111"))
                .isEqualTo("password=[REDACTED_SECRET] and card [REDACTED_CARD]");
        assertThat(ALL.text("escaped\\n4111 1111 1111 1111\\t10.0.0.1"))
                .as("an escape written out as text ends the word before it")
                .isEqualTo("escaped\\n[REDACTED_CARD]\\t[REDACTED_IP]");
    }

    @Test
    void jsonRedactsStringValuesOnlyNeverKeysAndKeepsNumbersExactly() throws Exception {
        String document = "{\"a@example.com\": \"write to a@example.com\", \"n\": 1.50, \"big\": 12345678901234567890,"
                + " \"list\": [\"10.0.0.1\", 4111111111111111, true, null], \"nested\": {\"deep\": \"+44 20 7946 0958\"}}";
        String redacted = ALL.json(document);
        JsonNode tree = JSON.readTree(redacted);
        assertThat(tree.has("a@example.com")).as("keys are never redacted").isTrue();
        assertThat(tree.get("a@example.com").asText()).isEqualTo("write to [REDACTED_EMAIL]");
        assertThat(redacted).contains("\"n\":1.50").contains("12345678901234567890").contains(",4111111111111111,");
        assertThat(tree.get("list").get(0).asText()).isEqualTo("[REDACTED_IP]");
        assertThat(tree.get("nested").get("deep").asText()).isEqualTo("[REDACTED_PHONE]");
        assertThat(redacted).doesNotContain(": ").as("compact");
    }

    @Test
    void aValueUnderACredentialKeyIsReadAsAnAssignment() throws Exception {
        JsonNode tree = JSON.readTree(ALL.json("{\"password\": \"hunter2\", \"db_password\": \"s3cr3t-Pa55\","
                + " \"apiKey\": \"Zx81kQ0pLm27Rt55\", \"keyboard\": \"qwerty layout\", \"tokens\": 512}"));
        assertThat(tree.get("password").asText()).isEqualTo("[REDACTED_SECRET]");
        assertThat(tree.get("db_password").asText()).isEqualTo("[REDACTED_SECRET]");
        assertThat(tree.get("apiKey").asText()).isEqualTo("[REDACTED_SECRET]");
        assertThat(tree.get("keyboard").asText()).isEqualTo("qwerty layout");
        assertThat(tree.get("tokens").asInt()).isEqualTo(512);
    }

    @Test
    void jsonTextInsideAStringIsRedactedAsJsonAndStaysParseable() throws Exception {
        String toolCalls = "[{\"id\": \"call_a@example.com\", \"type\": \"function\", \"function\": {\"name\": \"send\","
                + " \"arguments\": \"{\\\"to\\\": \\\"bob@example.com\\\", \\\"password\\\": \\\"pa\\\\\\\"ss\\\"}\"}}]";
        JsonNode call = JSON.readTree(ALL.json(toolCalls, RedactedColumns.toolCallIds())).get(0);
        assertThat(call.get("id").asText()).as("kept field").isEqualTo("call_a@example.com");
        JsonNode arguments = JSON.readTree(call.get("function").get("arguments").asText());
        assertThat(arguments.get("to").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(arguments.get("password").asText()).isEqualTo("[REDACTED_SECRET]");
    }

    @Test
    void treesAreRedactedInPlaceExceptKeptFields() throws Exception {
        JsonNode tool = JSON.readTree("{\"type\": \"function\", \"function\": {\"name\": \"email_user\", \"description\":"
                + " \"Mails ops@example.com\", \"parameters\": {\"type\": \"object\", \"properties\": {\"to\": {\"type\":"
                + " \"string\", \"default\": \"ops@example.com\"}}, \"required\": [\"to\"]}}}");
        ALL.json(tool, RedactedColumns.toolDefinitionNames());
        assertThat(tool.at("/function/name").asText()).isEqualTo("email_user");
        assertThat(tool.at("/function/description").asText()).isEqualTo("Mails [REDACTED_EMAIL]");
        assertThat(tool.at("/function/parameters/properties/to/default").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(tool.at("/function/parameters/required/0").asText()).isEqualTo("to");
    }

    @Test
    void keptPathsAreACallsOwnFieldsNeverAKeyOfTheSameNameDeeper() throws Exception {
        String calls = "[{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"send\","
                + " \"arguments\": {\"name\": \"bob@example.com\", \"id\": \"203.0.113.9\", \"type\": \"+1-415-555-0100\"}}}]";
        JsonNode call = JSON.readTree(ALL.json(calls, RedactedColumns.toolCallIds())).get(0);
        assertThat(call.get("id").asText()).isEqualTo("call_1");
        assertThat(call.at("/function/name").asText()).isEqualTo("send");
        assertThat(call.at("/function/arguments/name").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(call.at("/function/arguments/id").asText()).isEqualTo("[REDACTED_IP]");
        assertThat(call.at("/function/arguments/type").asText()).isEqualTo("[REDACTED_PHONE]");
        JsonNode tree = JSON.readTree(calls);
        ALL.json(tree, RedactedColumns.toolCallIds());
        assertThat(tree.get(0)).as("the tree form keeps the same paths").isEqualTo(call);
    }

    @Test
    void anAddressWrittenWithAnEscapeIsFoundInJsonTextAndInTextHoldingJson() throws Exception {
        String escaped = "{\"to\": \"bob\\u0040example.com\"}";
        assertThat(JSON.readTree(ALL.json(escaped)).get("to").asText()).isEqualTo("[REDACTED_EMAIL]");
        assertThat(ALL.text(escaped)).doesNotContain("example.com").contains("[REDACTED_EMAIL]");
        assertThat(ALL.text("C:\\\\users\\\\bob")).as("plain text with backslashes").isEqualTo("C:\\\\users\\\\bob");
    }

    @Test
    void overlappingMatchesBecomeOneRegionWithNothingLeftInClear() {
        String text = "https://ghp_PwIZ9PFDB5ETXErTqjKyvpL3altZtyVabsOr@github.com/o/r";
        String redacted = ALL.text(text);
        assertThat(redacted).doesNotContain("ghp_").doesNotContain("PwIZ9").startsWith("https://[REDACTED_");
    }

    /** 1 MiB of text built to make a backtracking matcher blow up, per class: each is answered in bounded time. */
    @Test
    void adversarialInputOfOneMebibyteIsRedactedInBoundedTime() {
        Map<String, String> hostile = new LinkedHashMap<>();
        hostile.put("email local parts", repeat("a.", 1 << 19) + "@");
        hostile.put("email domains", "a@" + repeat("a-", 1 << 19));
        hostile.put("at signs", repeat("a@b.", 1 << 18));
        hostile.put("dotted digits", repeat("1.", 1 << 19));
        hostile.put("colons", repeat("1:", 1 << 19));
        hostile.put("double colons", repeat("a::", 350_000));
        hostile.put("digit groups", repeat("1 ", 1 << 19));
        hostile.put("dashed digits", repeat("4-", 1 << 19));
        hostile.put("digits", repeat("4", 1 << 20));
        hostile.put("phone prefixes", repeat("+1 (", 1 << 18));
        hostile.put("phone groups", repeat("415-555-", 1 << 17));
        hostile.put("assignments", repeat("password=", 116_508));
        hostile.put("api key context", "api_key" + repeat(" ", 1 << 20));
        hostile.put("generic keywords", repeat("secret token key auth ", 47_662));
        hostile.put("pem without end", "-----BEGIN RSA PRIVATE KEY-----\n" + repeat("A", 1 << 20));
        hostile.put("jwt prefixes", repeat("eyJhbGciOi.", 95_325));
        hostile.put("bearer", repeat("Bearer ", 149_796));
        hostile.put("sk prefixes", repeat("sk-", 349_525));
        for (Map.Entry<String, String> input : hostile.entrySet()) {
            for (RedactClass redactClass : RedactClass.values()) {
                Redaction alone = Redaction.of(Set.of(redactClass));
                String text = input.getValue();
                // Generous: seconds where a backtracking engine would take hours; not a speed assertion.
                long started = System.nanoTime();
                String redacted = assertTimeoutPreemptively(Duration.ofSeconds(180), () -> alone.text(text),
                        redactClass.id() + " on " + input.getKey());
                System.out.printf("1 MiB of %s, %s: %d ms%n", input.getKey(), redactClass.id(),
                        (System.nanoTime() - started) / 1_000_000);
                assertThat(redacted).isNotNull();
            }
            String document = assertTimeoutPreemptively(Duration.ofSeconds(300),
                    () -> ALL.json(JSON.writeValueAsString(Map.of("value", input.getValue()))), "all, as JSON, on " + input.getKey());
            assertThat(document).startsWith("{\"value\":");
            assertThat(parses(document)).as("JSON stays valid for %s", input.getKey()).isTrue();
        }
    }

    private static boolean parses(String json) {
        try {
            JSON.readTree(json);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String repeat(String unit, int times) {
        return unit.repeat(times);
    }
}
