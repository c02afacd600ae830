package ai.trainingstore.dataset.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.SplittableRandom;

/**
 * MinHash signatures of a line's text (contract 6.5): the {@code content} values of its messages
 * joined by newlines, lowercased code point by code point ({@link Character#toLowerCase(int)}),
 * cut into words, the runs of Unicode letters and digits ({@link Character#isLetterOrDigit(int)}:
 * general categories L and Nd; everything else separates words), and taken as the set of its word
 * 5-grams. A text under 5 words is one shingle, the whole word sequence, so it matches only the
 * same words: texts under 5 words compare exactly.
 *
 * <p>Each 5-gram gets a 64-bit hash; hash function i maps it by {@code a_i * x + b_i} (mod 2^64,
 * a_i odd: a bijection, so each function is a random order of the shingles) and keeps the least.
 * Two texts agree on a function with probability equal to their Jaccard similarity. The functions
 * are fixed (seeded), so an answer is the same on every run: a dataset version is its GET, byte for
 * byte.
 */
public final class MinHash {

    /** Hash functions in a signature: the estimate's standard error at 0.8 is sqrt(0.8 * 0.2 / 128), 0.035. */
    public static final int HASHES = 128;
    /** Words in a shingle. */
    public static final int SHINGLE_WORDS = 5;

    private static final long[] A = new long[HASHES];
    private static final long[] B = new long[HASHES];

    static {
        SplittableRandom random = new SplittableRandom(0x5EED_D0D0L);
        for (int i = 0; i < HASHES; i++) {
            A[i] = random.nextLong() | 1;
            B[i] = random.nextLong();
        }
    }

    private final long[] window = new long[SHINGLE_WORDS];
    private long words;

    /**
     * The signature of the text of {@code messages} into {@code mins}; false when the text has no
     * word (nothing to compare: such a line is judged by its exact identity only).
     */
    public boolean signature(JsonNode messages, long[] mins) {
        java.util.Arrays.fill(mins, Long.MAX_VALUE);
        words = 0;
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                // A newline joins contents: not a letter or digit, so a message always ends a word.
                text(content.asText(), mins);
            }
        }
        if (words == 0) {
            return false;
        }
        if (words < SHINGLE_WORDS) {
            long sequence = 0x5407_1E55L + words;
            for (int i = 0; i < words; i++) {
                sequence = sequence * 0x9E37_79B9_7F4A_7C15L + window[i];
            }
            shingle(mix(sequence), mins);
        }
        return true;
    }

    private void text(String text, long[] mins) {
        long word = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            int lower = wordCharacter(codePoint);
            if (lower >= 0) {
                // FNV-1a over the lowercased code points
                word = ((inWord ? word : 0xCBF2_9CE4_8422_2325L) ^ lower) * 0x100_0000_01B3L;
                inWord = true;
            } else if (inWord) {
                word(mix(word), mins);
                inWord = false;
            }
        }
        if (inWord) {
            word(mix(word), mins);
        }
    }

    /**
     * A letter or digit lowercased ({@link Character#toLowerCase(int)}), or -1 for a separator; ASCII,
     * most text, without the Unicode tables (the same answers: MinHashTest checks every code point).
     */
    static int wordCharacter(int codePoint) {
        if (codePoint < 128) {
            return codePoint >= 'A' && codePoint <= 'Z' ? codePoint + ('a' - 'A')
                    : (codePoint >= 'a' && codePoint <= 'z') || (codePoint >= '0' && codePoint <= '9') ? codePoint : -1;
        }
        return Character.isLetterOrDigit(codePoint) ? Character.toLowerCase(codePoint) : -1;
    }

    private void word(long hash, long[] mins) {
        if (words < SHINGLE_WORDS) {
            window[(int) words] = hash;
        } else {
            System.arraycopy(window, 1, window, 0, SHINGLE_WORDS - 1);
            window[SHINGLE_WORDS - 1] = hash;
        }
        words++;
        if (words >= SHINGLE_WORDS) {
            long gram = 0;
            for (long w : window) {
                gram = gram * 0x9E37_79B9_7F4A_7C15L + w;
            }
            shingle(mix(gram), mins);
        }
    }

    private static void shingle(long hash, long[] mins) {
        for (int i = 0; i < HASHES; i++) {
            long value = A[i] * hash + B[i];
            if (value < mins[i]) {
                mins[i] = value;
            }
        }
    }

    /** MurmurHash3's 64-bit finalizer: every input bit moves every output bit. */
    static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xFF51_AFD7_ED55_8CCDL;
        x ^= x >>> 33;
        x *= 0xC4CE_B9FE_1A85_EC53L;
        x ^= x >>> 33;
        return x;
    }
}
