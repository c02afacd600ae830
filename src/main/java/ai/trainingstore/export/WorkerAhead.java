package ai.trainingstore.export;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * CPU work on a worker thread, with items read ahead while it runs (a hop per item, each waiting
 * for the one before, left the worker idle half the time), within a byte budget: items are let
 * through while those not yet done hold at most {@code budgetBytes} (one larger item alone) and
 * number at most {@link #MAX_ITEMS}. So a stream of 8 MiB conversations is read one at a time and one
 * of 3 kB ones sixteen at a time, and memory stays bounded by bytes, not by a count of items.
 */
public final class WorkerAhead {

    /** Most items read ahead of the worker. */
    public static final int MAX_ITEMS = 16;

    private WorkerAhead() {
    }

    /** {@code work} applied to each item in order, on the default worker pool. */
    public static <T, R> Multi<R> map(Multi<T> items, ToLongFunction<T> bytes, long budgetBytes, Function<T, R> work) {
        return Multi.createFrom().deferred(() -> {
            Gate gate = new Gate(budgetBytes);
            return items.onItem().transformToUniAndConcatenate(item -> gate.admit(item, Math.max(0, bytes.applyAsLong(item))))
                    .emitOn(Infrastructure.getDefaultWorkerPool(), MAX_ITEMS)
                    .map(admitted -> {
                        try {
                            return work.apply(admitted.item());
                        } finally {
                            gate.release(admitted.bytes());
                        }
                    });
        });
    }

    private record Admitted<T>(T item, long bytes) {
    }

    /** The bytes of the items let through and not yet done; at most one item waits (items come one at a time). */
    static final class Gate {

        private final long budget;
        private long outstanding;
        private long waitingBytes;
        private Runnable waiting;

        Gate(long budget) {
            this.budget = budget;
        }

        <T> Uni<Admitted<T>> admit(T item, long bytes) {
            return Uni.createFrom().emitter((UniEmitter<? super Admitted<T>> emitter) -> {
                boolean now;
                synchronized (this) {
                    now = fits(bytes);
                    if (now) {
                        outstanding += bytes;
                    } else {
                        waitingBytes = bytes;
                        waiting = () -> emitter.complete(new Admitted<>(item, bytes));
                    }
                }
                if (now) {
                    emitter.complete(new Admitted<>(item, bytes));
                }
            });
        }

        void release(long bytes) {
            Runnable admitted = null;
            synchronized (this) {
                outstanding -= bytes;
                if (waiting != null && fits(waitingBytes)) {
                    outstanding += waitingBytes;
                    admitted = waiting;
                    waiting = null;
                }
            }
            if (admitted != null) {
                admitted.run();
            }
        }

        private boolean fits(long bytes) {
            return outstanding == 0 || outstanding + bytes <= budget;
        }
    }
}
