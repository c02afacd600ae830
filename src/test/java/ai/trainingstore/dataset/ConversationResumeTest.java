package ai.trainingstore.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Resuming a dataset with {@code after=<conversation_id>} (contract 6.1): lines come in bytewise
 * order of the id (not by UTF-16 units, not by a locale), every cut gives exactly the rest, and
 * pieces fetched one after another concatenate to the full dataset, byte for byte, also where the
 * cut is at a conversation that is left out or at a text that is no conversation's id.
 */
@QuarkusTest
class ConversationResumeTest extends DatasetTestSupport {

    private static final String P = unique("resume") + "-";

    /**
     * Suffixes whose bytewise (UTF-8) order differs from a locale's order and from Java's UTF-16
     * order: upper case before lower case, digits and punctuation, a character above U+FFFF (its
     * UTF-16 surrogates sort before U+FF71, its UTF-8 bytes after), characters a URL must escape.
     */
    private static final List<String> SUFFIXES = List.of("b", "B", "a", "A", "Z", "_x", "-x", "~x", "0", "10", "9",
            "é", "e\u0301", "ｱ", "🚀", "日本", "has|bar", "plus+and space", "amp&eq=pct%25", "slash/question?hash#",
            "zz-skipped");

    private static List<String> ids;
    private static String skipped;

    private synchronized List<String> ids() {
        if (ids == null) {
            List<String> all = new ArrayList<>();
            List<Rec> messages = new ArrayList<>();
            for (String suffix : SUFFIXES) {
                String c = P + suffix;
                all.add(c);
                messages.add(message(c, "user", "question " + suffix).seq(1));
                if (!suffix.equals("zz-skipped")) {
                    messages.add(message(c, "assistant", "answer " + suffix).seq(2));
                }
            }
            publishMessages(Encoding.FLAT, messages);
            skipped = P + "zz-skipped";
            ids = List.copyOf(all);
        }
        return ids;
    }

    private Params all() {
        return Params.conversations(ids()).with("metadata", "true");
    }

    @Test
    void linesComeInBytewiseOrderOfTheConversationId() {
        List<String> expected = ids().stream().filter(id -> !id.equals(skipped)).sorted(BYTEWISE).toList();
        assertThat(conversationIds(dataset(all()))).containsExactlyElementsOf(expected);
        // The point of the chosen ids: bytewise order is not Java's String order.
        assertThat(expected).isNotEqualTo(ids().stream().filter(id -> !id.equals(skipped)).sorted().toList());
    }

    @Test
    void afterAnyConversationGivesExactlyTheRest() {
        List<JsonNode> full = dataset(all());
        List<String> order = conversationIds(full);
        for (int cut = 0; cut < order.size(); cut++) {
            List<JsonNode> rest = dataset(all().with("after", order.get(cut)));
            assertThat(rest).as("after %s", order.get(cut)).containsExactlyElementsOf(full.subList(cut + 1, full.size()));
        }
        assertThat(dataset(all().with("after", P))).as("after the prefix: everything").isEqualTo(full);
        // A cut at a conversation that is left out, and at texts that are no conversation's id.
        assertThat(conversationIds(dataset(all().with("after", skipped))))
                .containsExactlyElementsOf(order.stream().filter(id -> BYTEWISE.compare(id, skipped) > 0).toList());
        for (String between : List.of(P + "AA", P + "b0", P + "e", P + "\uFFFF", P + "zzz")) {
            assertThat(conversationIds(dataset(all().with("after", between)))).as("after %s", between)
                    .containsExactlyElementsOf(order.stream().filter(id -> BYTEWISE.compare(id, between) > 0).toList());
        }
    }

    @Test
    void piecesFetchedOneAfterAnotherConcatenateToTheFullDataset() {
        for (String format : List.of("openai", "messages")) {
            String full = datasetBody(Params.conversations(ids()).with("format", format));
            for (int size : List.of(1, 3, 7)) {
                StringBuilder joined = new StringBuilder();
                String after = null;
                int pieces = 0;
                while (true) {
                    Params piece = Params.conversations(ids()).with("format", format, "metadata", "true",
                            "limit", Integer.toString(size));
                    if (after != null) {
                        piece = piece.with("after", after);
                    }
                    List<JsonNode> lines = dataset(piece);
                    // The same piece without metadata is what the client keeps.
                    Params plain = Params.conversations(ids()).with("format", format, "limit", Integer.toString(size));
                    if (after != null) {
                        plain = plain.with("after", after);
                    }
                    joined.append(datasetBody(plain));
                    pieces++;
                    if (lines.size() < size) {
                        break;
                    }
                    after = lines.get(lines.size() - 1).get("metadata").get("conversation_id").asText();
                }
                assertThat(joined.toString()).as("%d-line pieces of the %s format (%d pieces)", size, format, pieces)
                        .isEqualTo(full);
            }
        }
    }
}
