package ai.trainingstore.dataset.dedup;

/**
 * The digests of the emitted lines, each with the line's ordinal, in one primitive open-addressing
 * table (linear probing, two longs a slot, at most 3/4 full): 16 bytes a slot, so 1,000,000 lines
 * take 32 MiB (2^21 slots), with no object per line. A slot keeps 96 bits of the digest and the
 * 32-bit ordinal: two different lines share 96 bits with a probability of about n^2 / 2^97
 * (6e-18 for a million lines).
 */
final class DigestSet {

    private static final long ORDINAL_BITS = 0xFFFF_FFFFL;

    private long[] slots = new long[2 * 1024];
    private int size;

    /** The ordinal of the line with this digest, or -1. */
    int find(long[] digest) {
        int mask = capacity() - 1;
        long low = lowKey(digest);
        for (int slot = start(digest, mask); ; slot = (slot + 1) & mask) {
            long high = slots[2 * slot];
            long rest = slots[2 * slot + 1];
            if (rest == 0) {
                return -1;
            }
            if (high == digest[0] && (rest & ~ORDINAL_BITS) == low) {
                return (int) (rest & ORDINAL_BITS) - 1;
            }
        }
    }

    /** Remembers a digest that {@link #find} did not know. */
    void add(long[] digest, int ordinal) {
        if ((size + 1) * 4L > capacity() * 3L) {
            grow();
        }
        put(slots, digest[0], lowKey(digest) | (ordinal + 1L));
        size++;
    }

    int size() {
        return size;
    }

    private int capacity() {
        return slots.length / 2;
    }

    private static long lowKey(long[] digest) {
        return digest[1] & ~ORDINAL_BITS;
    }

    private static int start(long[] digest, int mask) {
        return (int) (digest[0] ^ (digest[0] >>> 32)) & mask;
    }

    private static void put(long[] table, long high, long rest) {
        int mask = table.length / 2 - 1;
        int slot = (int) (high ^ (high >>> 32)) & mask;
        while (table[2 * slot + 1] != 0) {
            slot = (slot + 1) & mask;
        }
        table[2 * slot] = high;
        table[2 * slot + 1] = rest;
    }

    private void grow() {
        long[] bigger = new long[slots.length * 2];
        for (int slot = 0; slot < capacity(); slot++) {
            if (slots[2 * slot + 1] != 0) {
                put(bigger, slots[2 * slot], slots[2 * slot + 1]);
            }
        }
        slots = bigger;
    }
}
