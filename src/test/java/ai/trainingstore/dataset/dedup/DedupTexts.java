package ai.trainingstore.dataset.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Texts for dedup tests, and the true Jaccard similarity of two lines computed straight from the
 * contract's definition (6.5), independently of the service's MinHash code: the content values
 * joined by newlines, lowercased, words the runs of Unicode letters and digits, sets of word
 * 5-grams; a text under 5 words is its whole word sequence.
 */
public final class DedupTexts {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{Nd}]+");

    private DedupTexts() {
    }

    /** {@code count} words drawn from a vocabulary of 50,000 (5-grams of two texts rarely meet by chance). */
    static List<String> words(Random random, int count) {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            words.add("w" + Integer.toString(random.nextInt(50_000), 36));
        }
        return words;
    }

    /** A user message and an assistant reply splitting the words (openai shape). */
    static ArrayNode messages(List<String> words) {
        int half = words.size() / 2;
        return messages(String.join(" ", words.subList(0, half)), String.join(" ", words.subList(half, words.size())));
    }

    static ArrayNode messages(String user, String assistant) {
        ArrayNode messages = NODES.arrayNode();
        messages.addObject().put("role", "user").put("content", user);
        messages.addObject().put("role", "assistant").put("content", assistant);
        return messages;
    }

    /** The contract's Jaccard similarity of the texts of two lines' messages. */
    static double jaccard(JsonNode a, JsonNode b) {
        return jaccard(text(a), text(b));
    }

    /** The contract's Jaccard similarity of two texts (the contents already joined). */
    public static double jaccard(String a, String b) {
        Set<String> first = shingles(a);
        Set<String> second = shingles(b);
        Set<String> union = new HashSet<>(first);
        union.addAll(second);
        Set<String> both = new HashSet<>(first);
        both.retainAll(second);
        return union.isEmpty() ? 1 : (double) both.size() / union.size();
    }

    private static String text(JsonNode messages) {
        List<String> contents = new ArrayList<>();
        messages.forEach(message -> {
            if (message.path("content").isTextual()) {
                contents.add(message.get("content").asText());
            }
        });
        return String.join("\n", contents);
    }

    private static Set<String> shingles(String text) {
        Matcher matcher = WORD.matcher(text.toLowerCase(Locale.ROOT));
        List<String> words = new ArrayList<>();
        while (matcher.find()) {
            words.add(matcher.group());
        }
        Set<String> shingles = new HashSet<>();
        if (words.size() < 5) {
            shingles.add("whole:" + String.join(" ", words));
        }
        for (int i = 0; i + 5 <= words.size(); i++) {
            shingles.add(String.join(" ", words.subList(i, i + 5)));
        }
        return shingles;
    }
}
