package ai.trainingstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The merge order as text: comparing two versions as strings (as Java and PostgreSQL's "C"
 * collation do) gives the order of {@code (occurred_at, entry id milliseconds, entry id sequence)}.
 */
class VersionsTest {

    private record Key(Instant occurredAt, long millis, long sequence) {
        String entryId() {
            return millis + "-" + sequence;
        }

        String version() {
            return Versions.of(occurredAt, entryId());
        }
    }

    private static final Comparator<Key> ORDER = Comparator.comparing(Key::occurredAt)
            .thenComparingLong(Key::millis).thenComparingLong(Key::sequence);

    @Test
    void aVersionIsFiftyThreeDigits() {
        assertThat(Versions.of(Instant.parse("2026-03-01T08:15:30.123456Z"), "1767225600123-4"))
                .as("occurred_at micros (18), entry millis (15), sequence (20)")
                .isEqualTo("001772352930123456" + "001767225600123" + "00000000000000000004");
        assertThat(Versions.of(Instant.EPOCH, "0-0")).hasSize(53).matches("0{53}");
        assertThat(Versions.of(Instant.parse("9999-12-31T23:59:59.999999Z"), "9999999999999-18446744073709551615"))
                .hasSize(53).matches("\\d{53}");
    }

    @Test
    void anEntryIdWithoutSequenceHasSequenceZero() {
        assertThat(Versions.of(Instant.EPOCH, "1767225600123")).isEqualTo(Versions.of(Instant.EPOCH, "1767225600123-0"));
    }

    @Test
    void occurredAtComesFirstThenEntryMillisThenSequence() {
        Instant at = Instant.parse("2026-04-01T12:00:00Z");
        assertThat(Versions.isNewer(Versions.of(at.plusNanos(1_000), "1-0"), Versions.of(at, "9999999999999-99")))
                .as("a later occurred_at wins over any entry id").isTrue();
        assertThat(Versions.isNewer(Versions.of(at, "1767225600124-0"), Versions.of(at, "1767225600123-99")))
                .as("tie on occurred_at: the later entry millisecond").isTrue();
        assertThat(Versions.isNewer(Versions.of(at, "1767225600123-10"), Versions.of(at, "1767225600123-9")))
                .as("then the sequence, as a number, not as text").isTrue();
        assertThat(Versions.isNewer(Versions.of(at, "1767225600123-9"), Versions.of(at, "1767225600123-10"))).isFalse();
        assertThat(Versions.isNewer(Versions.of(Instant.parse("6000-01-01T00:00:00Z"), "1-0"),
                Versions.of(Instant.parse("5000-01-01T00:00:00Z"), "2-0"))).as("beyond the year 5138").isTrue();
    }

    @Test
    void textOrderIsTheMergeOrderForRandomKeys() {
        Random random = new Random(42);
        long latestMicros = Instant.parse("9999-12-31T23:59:59.999999Z").getEpochSecond() * 1_000_000L;
        for (int i = 0; i < 20_000; i++) {
            Key a = randomKey(random, latestMicros);
            Key b = random.nextInt(4) == 0 ? new Key(a.occurredAt(), a.millis(), random.nextInt(3)) : randomKey(random, latestMicros);
            int expected = Integer.signum(ORDER.compare(a, b));
            assertThat(Integer.signum(a.version().compareTo(b.version()))).as("%s vs %s", a, b).isEqualTo(expected);
            assertThat(Versions.isNewer(a.version(), b.version())).isEqualTo(expected > 0);
        }
    }

    private static Key randomKey(Random random, long latestMicros) {
        long micros = random.nextInt(3) == 0 ? random.nextInt(1000) : Math.floorMod(random.nextLong(), latestMicros);
        Instant occurredAt = Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1_000);
        long millis = random.nextInt(3) == 0 ? random.nextInt(10) : Math.floorMod(random.nextLong(), 10_000_000_000_000L);
        long sequence = random.nextInt(3) == 0 ? random.nextInt(12) : Math.floorMod(random.nextLong(), Long.MAX_VALUE);
        return new Key(occurredAt, millis, sequence);
    }

    @Test
    void nullIsOlderThanAnyVersionAndEqualIsNotNewer() {
        String version = Versions.of(Instant.EPOCH, "0-0");
        assertThat(Versions.isNewer(version, null)).isTrue();
        assertThat(Versions.isNewer(null, version)).isFalse();
        assertThat(Versions.isNewer(null, null)).isFalse();
        assertThat(Versions.isNewer(version, version)).isFalse();
    }
}
