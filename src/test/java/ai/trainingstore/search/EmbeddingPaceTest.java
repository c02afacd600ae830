package ai.trainingstore.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The embedding worker's pace: at once while the queue holds more, the poll interval when it ran
 * dry, and while the streams hold a backlog a rest of yield-factor times the batch's own time, so the
 * embedder never takes the cores ingest needs (issue 25: ingest with search on >= 0.9 x off).
 */
class EmbeddingPaceTest {

    private static final Duration POLL = Duration.ofMillis(500);

    private final AtomicBoolean backlog = new AtomicBoolean();

    private EmbeddingWorker worker(int yieldFactor) {
        return new EmbeddingWorker(null, null, null, null, null, 64, POLL, "test", new IngestYield(backlog::get, yieldFactor));
    }

    @Test
    void withoutABacklogAFullBatchIsFollowedAtOnceAndAShortOneAfterThePollInterval() {
        assertThat(worker(9).pause(64, Duration.ofSeconds(2))).isEqualTo(Duration.ZERO);
        assertThat(worker(9).pause(10, Duration.ofSeconds(2))).isEqualTo(POLL);
        assertThat(worker(9).pause(0, Duration.ofMillis(3))).isEqualTo(POLL);
    }

    @Test
    void withABacklogTheWorkerRestsNineTimesItsBatchAndNeverLessThanItsPoll() {
        backlog.set(true);
        assertThat(worker(9).pause(64, Duration.ofMillis(400))).isEqualTo(Duration.ofMillis(3600));
        assertThat(worker(9).pause(5, Duration.ofMillis(10))).as("a short batch waits its poll at least").isEqualTo(POLL);
        assertThat(worker(9).pause(0, Duration.ofMillis(50))).as("nothing embedded: nothing to rest from").isEqualTo(POLL);
        assertThat(worker(0).pause(64, Duration.ofMillis(400))).as("yield-factor 0 never yields").isEqualTo(Duration.ZERO);
    }
}
