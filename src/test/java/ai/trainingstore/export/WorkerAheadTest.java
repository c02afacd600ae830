package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Items read ahead of a worker within a byte budget: in order, every one, never more bytes held than the budget allows. */
class WorkerAheadTest {

    private static final long BUDGET = 1_000;

    /** Held: read from upstream and not yet done by the worker; the most seen at once. */
    private static final class Held {
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong items = new AtomicLong();
        final AtomicLong maxBytes = new AtomicLong();
        final AtomicLong maxItems = new AtomicLong();

        void read(long size) {
            maxBytes.accumulateAndGet(bytes.addAndGet(size), Math::max);
            maxItems.accumulateAndGet(items.incrementAndGet(), Math::max);
        }

        void done(long size) {
            bytes.addAndGet(-size);
            items.decrementAndGet();
        }
    }

    private static List<Long> run(List<Long> sizes, Held held) {
        Multi<Long> upstream = Multi.createFrom().iterable(sizes).invoke(held::read);
        return WorkerAhead.map(upstream, size -> size, BUDGET, size -> {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    held.done(size);
                    return size;
                })
                .collect().asList().await().atMost(Duration.ofSeconds(60));
    }

    @Test
    void smallItemsAreReadAheadUpToTheItemLimitAndComeOutInOrder() {
        List<Long> sizes = IntStream.range(0, 500).mapToObj(i -> 10L + i % 7).toList();
        Held held = new Held();
        assertThat(run(sizes, held)).containsExactlyElementsOf(sizes);
        assertThat(held.maxItems.get()).isGreaterThan(4).isLessThanOrEqualTo(WorkerAhead.MAX_ITEMS + 2);
    }

    @Test
    void itemsOverTheBudgetGoOneAtATime() {
        List<Long> sizes = IntStream.range(0, 100).mapToObj(i -> 5_000L).toList();
        Held held = new Held();
        assertThat(run(sizes, held)).containsExactlyElementsOf(sizes);
        // one with the worker, one waiting at the gate
        assertThat(held.maxItems.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void mixedSizesNeverHoldMoreThanTheBudgetAndOneWaitingItem() {
        java.util.Random random = new java.util.Random(3);
        List<Long> sizes = IntStream.range(0, 1_000).mapToObj(i -> random.nextInt(10) == 0 ? 900L : 1L + random.nextInt(200)).toList();
        Held held = new Held();
        assertThat(run(sizes, held)).containsExactlyElementsOf(sizes);
        assertThat(held.maxBytes.get()).isLessThanOrEqualTo(BUDGET + 900);
    }
}
