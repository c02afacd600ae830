package ai.trainingstore.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A pool of bytes shared by the readers of one kind of data (for example every stream consumer of
 * a replica): a reader takes bytes before it reads and gives them back when it no longer holds the
 * data. Never blocks: a reader that gets too little tries again later, so no event-loop thread
 * ever waits on it.
 */
public final class ByteBudget {

    private final String name;
    private final long capacity;
    private final AtomicLong available;

    public ByteBudget(String name, long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity of " + name + " must be positive");
        }
        this.name = name;
        this.capacity = capacity;
        this.available = new AtomicLong(capacity);
    }

    /**
     * Takes up to {@code most} bytes, but only when at least {@code least} are available; answers
     * the bytes taken, 0 when fewer than {@code least} were available (nothing is taken then).
     */
    public long tryTake(long least, long most) {
        if (least <= 0 || most < least) {
            throw new IllegalArgumentException("bad request for " + name + ": " + least + ".." + most);
        }
        while (true) {
            long now = available.get();
            if (now < least) {
                return 0;
            }
            long taken = Math.min(now, most);
            if (available.compareAndSet(now, now - taken)) {
                return taken;
            }
        }
    }

    /** Gives bytes back; more than were taken is a bug, so it fails loudly. */
    public void giveBack(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative give-back to " + name);
        }
        long after = available.addAndGet(bytes);
        if (after > capacity) {
            available.addAndGet(-bytes);
            throw new IllegalStateException(name + ": more bytes given back than taken");
        }
    }

    public long available() {
        return available.get();
    }

    public long capacity() {
        return capacity;
    }

    public String name() {
        return name;
    }
}
