package ai.trainingstore.dataset.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The word rule's fast path and the candidate set of DuplicateFilter, against the JDK's answers. */
class MinHashTest {

    @Test
    void wordCharactersAreTheUnicodeLettersAndDigitsLowercasedForEveryCodePoint() {
        for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
            int expected = Character.isLetterOrDigit(codePoint) ? Character.toLowerCase(codePoint) : -1;
            assertThat(MinHash.wordCharacter(codePoint)).as("U+%04X", codePoint).isEqualTo(expected);
        }
    }

    @Test
    void intSetAnswersAsAHashSetAcrossClearsAndGrowth() {
        Random random = new Random(7);
        IntSet set = new IntSet();
        for (int round = 0; round < 2_000; round++) {
            set.clear();
            Set<Integer> reference = new HashSet<>();
            int values = random.nextInt(round % 100 == 0 ? 5_000 : 40);
            for (int i = 0; i < values; i++) {
                int value = random.nextInt(round % 2 == 0 ? 50 : Integer.MAX_VALUE);
                assertThat(set.add(value)).as("add %d", value).isEqualTo(reference.add(value));
            }
        }
    }
}
