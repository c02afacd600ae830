package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exporter's timestamp writer gives what DateTimeFormatter gives, for any instant it can meet. */
class TimestampFormatTest {

    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

    @Test
    void writesUtcWithSixFractionDigitsLikeDateTimeFormatter() {
        Random random = new Random(11);
        long latest = Instant.parse("9999-12-31T23:59:59.999999Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(latest), random.nextInt(1_000_000) * 1_000L);
            OffsetDateTime withOffset = instant.atOffset(ZoneOffset.ofHours(random.nextInt(27) - 13));
            assertThat(RowEncoder.timestamp(withOffset))
                    .isEqualTo(REFERENCE.format(instant.atOffset(ZoneOffset.UTC)));
        }
        assertThat(RowEncoder.timestamp(Instant.EPOCH.atOffset(ZoneOffset.UTC))).isEqualTo("1970-01-01T00:00:00.000000Z");
        assertThat(RowEncoder.timestamp(null)).isNull();
    }
}
