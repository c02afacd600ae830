package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What the preferences tests share: conversations built from a prompt and a completion, feedback,
 * requests of {@code /api/v1/datasets/preferences} whose every line is checked by the independent
 * {@link PreferenceValidator}, and the identity of a ranked pair written from the contract's text.
 */
abstract class PreferenceTestSupport extends DatasetTestSupport {

    static final String PREFERENCES = "/api/v1/datasets/preferences";
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    /** The messages of one conversation: each given message in order, with seq, time and agent. */
    static List<Rec> conversation(String conversationId, String agent, Rec... messages) {
        List<Rec> records = new ArrayList<>();
        for (int i = 0; i < messages.length; i++) {
            records.add(messages[i].put("conversation_id", conversationId).seq(i).at(T0.plusSeconds(i)).agent(agent));
        }
        return records;
    }

    static Rec m(String role, String content) {
        return new Rec().put("role", role).put("content", content);
    }

    /** A user question and an assistant answer, after a system message. */
    static List<Rec> simple(String conversationId, String agent, String system, String question, String answer) {
        return conversation(conversationId, agent, m("system", system), m("user", question), m("assistant", answer));
    }

    static Rec score(String targetKind, String targetId, String name, double value) {
        return feedback(targetKind, targetId, name).put("value", value);
    }

    static PreferenceValidator.Format format(Params params) {
        String format = params.value("format");
        return format == null || format.equals("openai") ? PreferenceValidator.Format.OPENAI
                : format.equals("trl") ? PreferenceValidator.Format.TRL : PreferenceValidator.Format.KTO;
    }

    /** The body of a successful preferences request, every line checked by the validator. */
    static String preferencesBody(Params params) {
        Response response = get(PREFERENCES, params);
        assertThat(response.statusCode()).as("status of %s: %s", params, response.asString()).isEqualTo(200);
        assertThat(mediaType(response.contentType())).isEqualTo("application/x-ndjson");
        String body = new String(response.asByteArray(), StandardCharsets.UTF_8);
        for (String line : lines(body)) {
            PreferenceValidator.assertValid(line, format(params), params.metadata());
        }
        return body;
    }

    static List<JsonNode> preferences(Params params) {
        return lines(preferencesBody(params)).stream().map(DatasetTestSupport::parse).toList();
    }

    static JsonNode preferenceSummary(Params params) {
        Response response = get(PREFERENCES + "/summary", params);
        assertThat(response.statusCode()).as("status of summary %s: %s", params, response.asString()).isEqualTo(200);
        return parse(response.asString());
    }

    /** Each set of parameters is a 400 with an error text, on the dataset and its summary alike. */
    static void assertBadRequests(List<String[]> bads) {
        for (String[] bad : bads) {
            for (String path : List.of(PREFERENCES, PREFERENCES + "/summary")) {
                Response response = get(path, Params.of(bad));
                assertThat(response.statusCode()).as("%s %s: %s", path, List.of(bad), response.asString()).isEqualTo(400);
                assertThat(parse(response.asString()).get("error").asText()).isNotBlank();
            }
        }
    }

    /** Contract 6.3: {@code ranked:} and the lowercase hex SHA-256 of chosen's id, a newline, rejected's id. */
    static String rankedIdentity(String chosen, String rejected) {
        try {
            return "ranked:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((chosen + "\n" + rejected).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The contents of a list of messages. */
    static List<String> contents(JsonNode messages) {
        List<String> contents = new ArrayList<>();
        messages.forEach(message -> contents.add(message.path("content").asText(null)));
        return contents;
    }
}
