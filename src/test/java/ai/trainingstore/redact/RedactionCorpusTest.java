package ai.trainingstore.redact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The detectors against the labelled corpus ({@code src/test/resources/redaction/corpus.tsv},
 * written by {@code make_corpus.py} next to it): at least 60 positives per class and over 300
 * look-alike negatives (versions, dates, times, timestamps, entry ids, UUIDs, hashes, ids, prices,
 * counts and near misses). Each class runs alone over every text. Every positive must be caught;
 * the false positives (texts of another label that the class changes) are printed with precision
 * and recall, and may not grow beyond what was measured when the corpus was made.
 */
class RedactionCorpusTest {

    /** False positives per class over the corpus as measured; a change that adds one fails here. */
    private static final Map<RedactClass, Integer> MEASURED_FALSE_POSITIVES = Map.of(
            RedactClass.EMAIL, 4, // https://<token>@github.com: URL user info reads as an address
            RedactClass.PHONE, 0,
            RedactClass.IP, 0,
            RedactClass.CARD, 0,
            RedactClass.SECRET, 0);

    record Sample(String label, String value, String text) {
    }

    private static List<Sample> corpus;

    @BeforeAll
    static void readCorpus() throws IOException {
        corpus = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                RedactionCorpusTest.class.getResourceAsStream("/redaction/corpus.tsv"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("#") || line.isEmpty()) {
                    continue;
                }
                String[] parts = line.split("\t", 3);
                corpus.add(new Sample(parts[0], unescape(parts[1]), unescape(parts[2])));
            }
        }
    }

    @Test
    void corpusHasTheCoverageItClaims() {
        for (RedactClass redactClass : RedactClass.values()) {
            assertThat(corpus.stream().filter(sample -> sample.label().equals(redactClass.id())).count())
                    .as("positives of %s", redactClass.id()).isGreaterThanOrEqualTo(60);
        }
        assertThat(corpus.stream().filter(sample -> sample.label().equals("none")).count())
                .as("negatives").isGreaterThanOrEqualTo(300);
    }

    @Test
    void everyPositiveIsCaughtAndFalsePositivesDoNotGrow() {
        Map<RedactClass, List<String>> missed = new EnumMap<>(RedactClass.class);
        Map<RedactClass, List<String>> falsePositives = new EnumMap<>(RedactClass.class);
        Map<RedactClass, Integer> caught = new EnumMap<>(RedactClass.class);
        Map<RedactClass, Integer> positives = new EnumMap<>(RedactClass.class);
        for (RedactClass redactClass : RedactClass.values()) {
            Redaction alone = Redaction.of(Set.of(redactClass));
            missed.put(redactClass, new ArrayList<>());
            falsePositives.put(redactClass, new ArrayList<>());
            caught.put(redactClass, 0);
            positives.put(redactClass, 0);
            for (Sample sample : corpus) {
                String redacted = alone.text(sample.text());
                if (sample.label().equals(redactClass.id())) {
                    positives.merge(redactClass, 1, Integer::sum);
                    if (!redacted.contains(sample.value()) && redacted.contains(redactClass.token())) {
                        caught.merge(redactClass, 1, Integer::sum);
                    } else {
                        missed.get(redactClass).add(sample.text() + "  ->  " + redacted);
                    }
                } else if (!redacted.equals(sample.text())) {
                    falsePositives.get(redactClass).add("[" + sample.label() + "] " + sample.text() + "  ->  " + redacted);
                }
            }
        }
        System.out.println("Redaction corpus: " + corpus.size() + " texts");
        System.out.printf("%-7s %9s %6s %6s %6s %10s %7s%n", "class", "positives", "caught", "missed", "false+",
                "precision", "recall");
        for (RedactClass redactClass : RedactClass.values()) {
            int tp = caught.get(redactClass);
            int fp = falsePositives.get(redactClass).size();
            System.out.printf("%-7s %9d %6d %6d %6d %10.3f %7.3f%n", redactClass.id(), positives.get(redactClass), tp,
                    missed.get(redactClass).size(), fp, tp + fp == 0 ? 1.0 : (double) tp / (tp + fp),
                    (double) tp / positives.get(redactClass));
            falsePositives.get(redactClass).forEach(text -> System.out.println("  false positive " + redactClass.id()
                    + ": " + text.replace("\n", "\\n")));
            missed.get(redactClass).forEach(text -> System.out.println("  missed " + redactClass.id()
                    + ": " + text.replace("\n", "\\n")));
        }
        for (RedactClass redactClass : RedactClass.values()) {
            assertThat(missed.get(redactClass)).as("positives of %s not caught", redactClass.id()).isEmpty();
            assertThat(falsePositives.get(redactClass)).as("false positives of %s (measured: %s)", redactClass.id(),
                    MEASURED_FALSE_POSITIVES.get(redactClass)).hasSizeLessThanOrEqualTo(MEASURED_FALSE_POSITIVES.get(redactClass));
        }
    }

    @Test
    void allRedactsEveryPositiveOfTheCorpusAtOnce() {
        Redaction all = Redaction.parse("all");
        for (Sample sample : corpus) {
            if (!sample.label().equals("none")) {
                assertThat(all.text(sample.text())).as("redact=all of %s", sample.text()).doesNotContain(sample.value());
            }
        }
    }

    private static String unescape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(next == 'n' ? '\n' : next == 't' ? '\t' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
