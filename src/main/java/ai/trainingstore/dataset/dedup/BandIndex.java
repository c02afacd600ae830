package ai.trainingstore.dataset.dedup;

import java.util.function.IntPredicate;

/**
 * The LSH index of {@code dedup=near}: a signature's first {@link #BANDS} x {@link #ROWS} values
 * cut into bands, each band a 32-bit key; two lines that share a band's key are candidates.
 * A pair at Jaccard s shares at least one band with probability 1 - (1 - s^4)^8: 0.9999986 at
 * 0.95, 0.985 at 0.8, 0.40 at 0.5 (candidates are then checked with the whole signature).
 *
 * <p>Memory: per line and band 8 bytes in pages (the key and the previous line with the same
 * chain: a chain per head slot, newest first) and at most 4 bytes of head slots (rebuilt twice as
 * many when there are two lines a slot): 64 to 96 bytes a line, no object per line.
 */
final class BandIndex {

    public static final int BANDS = 8;
    public static final int ROWS = 4;

    /** entries[line * BANDS + band]: the band's key (high 32 bits), the next older line of the chain + 1 (low). */
    private final PagedLongs entries = new PagedLongs();
    private int[][] heads = new int[BANDS][1024];
    private int size;

    /** The band keys of a signature (MinHash values). */
    static void keys(long[] mins, int[] keys) {
        for (int band = 0; band < BANDS; band++) {
            long key = band;
            for (int row = 0; row < ROWS; row++) {
                key = key * 0x9E37_79B9_7F4A_7C15L + mins[band * ROWS + row];
            }
            keys[band] = (int) MinHash.mix(key);
        }
    }

    /**
     * Hands each line that shares a band key with {@code keys} to {@code candidate} (a line may
     * come once per band it shares), newest first within a band; stops when it answers true.
     */
    boolean anyCandidate(int[] keys, IntPredicate candidate) {
        for (int band = 0; band < BANDS; band++) {
            int[] bandHeads = heads[band];
            int line = bandHeads[slot(keys[band], bandHeads.length)] - 1;
            while (line >= 0) {
                long entry = entries.get((long) line * BANDS + band);
                if ((int) (entry >>> 32) == keys[band] && candidate.test(line)) {
                    return true;
                }
                line = (int) entry - 1;
            }
        }
        return false;
    }

    /** Adds the next line (its ordinal is the number of lines added before it). */
    void add(int[] keys) {
        if (size >= 2 * heads[0].length) {
            rebuild(heads[0].length * 2);
        }
        link(size, keys);
        size++;
    }

    int size() {
        return size;
    }

    private void link(int line, int[] keys) {
        for (int band = 0; band < BANDS; band++) {
            int slot = slot(keys[band], heads[band].length);
            entries.set((long) line * BANDS + band, ((long) keys[band] << 32) | (heads[band][slot] & 0xFFFF_FFFFL));
            heads[band][slot] = line + 1;
        }
    }

    /** More head slots: every chain relinked, oldest line first, so chains stay newest first. */
    private void rebuild(int slots) {
        heads = new int[BANDS][slots];
        int[] keys = new int[BANDS];
        for (int line = 0; line < size; line++) {
            for (int band = 0; band < BANDS; band++) {
                keys[band] = (int) (entries.get((long) line * BANDS + band) >>> 32);
            }
            link(line, keys);
        }
    }

    private static int slot(int key, int slots) {
        return (int) MinHash.mix(key) & (slots - 1);
    }
}
