package ai.trainingstore.dataset.dedup;

import java.util.Arrays;

/**
 * A growable array of longs in pages of 64 KiB: growing never copies the values and never holds
 * twice the memory, and no more than one page stands empty.
 */
final class PagedLongs {

    private static final int PAGE_BITS = 13;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE_SIZE - 1;

    private long[][] pages = new long[8][];

    long get(long index) {
        return pages[(int) (index >>> PAGE_BITS)][(int) (index & PAGE_MASK)];
    }

    void set(long index, long value) {
        int page = (int) (index >>> PAGE_BITS);
        if (page >= pages.length) {
            pages = Arrays.copyOf(pages, pages.length * 2);
        }
        if (pages[page] == null) {
            pages[page] = new long[PAGE_SIZE];
        }
        pages[page][(int) (index & PAGE_MASK)] = value;
    }
}
