package ai.trainingstore.dataset.dedup;

/**
 * A set of non-negative ints cleared in constant time (a stamp per slot), for the candidates of one
 * line: open addressing, grown when half full, reused line after line without allocating.
 */
final class IntSet {

    private int[] keys = new int[64];
    private int[] stamps = new int[64];
    private int stamp = 1;
    private int size;

    void clear() {
        size = 0;
        if (++stamp == Integer.MAX_VALUE) {
            java.util.Arrays.fill(stamps, 0);
            stamp = 1;
        }
    }

    /** Adds {@code value}; false when it was there already. */
    boolean add(int value) {
        if (2 * (size + 1) > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int slot = (int) MinHash.mix(value) & mask; ; slot = (slot + 1) & mask) {
            if (stamps[slot] != stamp) {
                stamps[slot] = stamp;
                keys[slot] = value;
                size++;
                return true;
            }
            if (keys[slot] == value) {
                return false;
            }
        }
    }

    private void grow() {
        int[] oldKeys = keys;
        int[] oldStamps = stamps;
        int current = stamp;
        keys = new int[oldKeys.length * 2];
        stamps = new int[oldKeys.length * 2];
        stamp = 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldStamps[i] == current) {
                add(oldKeys[i]);
            }
        }
    }
}
