package ai.trainingstore.dataset.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written o200k_base pre-tokenizer against the regular expression it replaces (tiktoken's,
 * compiled as jtokkit compiles it): the same pieces for every code point in several surroundings
 * and for random texts over the characters where the alternatives differ (letters of each case
 * category, marks, numbers of each kind, apostrophes and contraction letters including the long s,
 * every kind of whitespace, slashes, emoji, lone surrogates). The counts built on those pieces are
 * checked against tiktoken itself in {@link TokenCounterTest}.
 */
class O200kPiecesTest {

    private static final Pattern O200K = Pattern.compile(String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}", " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*", "\\s*[\\r\\n]+", "\\s+(?!\\S)", "\\s+"),
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Characters where the expression's alternatives part ways. */
    private static final int[] ALPHABET = {'a', 'b', 's', 't', 'r', 'e', 'v', 'm', 'l', 'd', 'S', 'T', 'R', 'E', 'V',
            'M', 'L', 'D', 'A', 'B', '\'', '\'', '\'', ' ', ' ', ' ', '\n', '\r', '\t', 0xB, 0xC, 0x1F, '/', '!', '.',
            '_', '0', '1', '9', 0x660, 0x2160, 0xBD, 0x17F, 0x1C5, 0x2B0, 0x4E00, 0x3042, 0xAC00, 0x301, 0x20DD, 0x903,
            0xA0, 0x2028, 0x85, 0x3000, 0x200B, 0x1F600, 0x1F3FD, 0xD800, 0xDC00, 0xC9, 0xE9, 0x130, 0x131, 0x212A,
            0xDF, 0x1E9E, 0xFF21, 0xFF41, 0x10400, 0x10428};

    @Test
    void everyCodePointIsCutAsTheExpressionCutsIt() {
        List<String> differences = new ArrayList<>();
        for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
            String c = new String(Character.toChars(codePoint));
            for (String text : List.of(c, "a" + c, c + "a", " " + c + c, "A" + c + "b", c + "'s", "1" + c + "2",
                    "!" + c, c + "\n ", "'" + c, "  " + c)) {
                compare(text, differences);
            }
        }
        assertThat(differences).isEmpty();
    }

    @Test
    void randomTextsAreCutAsTheExpressionCutsThem() {
        Random random = new Random(200_000);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            StringBuilder text = new StringBuilder();
            int length = 1 + random.nextInt(16);
            for (int k = 0; k < length; k++) {
                text.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            compare(text.toString(), differences);
        }
        assertThat(differences).isEmpty();
    }

    private static void compare(String text, List<String> differences) {
        List<String> expected = new ArrayList<>();
        Matcher matcher = O200K.matcher(text);
        int last = 0;
        while (matcher.find()) {
            if (matcher.start() != last) {
                expected.add("<skipped " + text.substring(last, matcher.start()) + ">");
            }
            expected.add(matcher.group());
            last = matcher.end();
        }
        List<String> pieces = new ArrayList<>();
        for (int start = 0; start < text.length(); ) {
            int end = O200kPieces.end(text, start);
            pieces.add(text.substring(start, end));
            start = end;
        }
        if (!pieces.equals(expected) && differences.size() < 20) {
            differences.add(text.codePoints().mapToObj(Integer::toHexString).toList() + ": expected " + expected
                    + ", cut " + pieces);
        }
    }
}
