package ai.trainingstore.dataset.tokens;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The token counts of an answer's emitted lines, for the summary's min, median, p95, max and
 * total. Exact, in memory bounded by the number of distinct counts, not of lines: one counter per
 * count below {@link #DENSE} (grown to the largest count seen, at most 512 kB), and a sorted map
 * for the rare larger counts (each such line holds at least 64 K tokens, so there are few).
 */
public final class TokenTally {

    static final int DENSE = 1 << 16;

    private final Tokenizer tokenizer;
    private long[] dense = new long[256];
    private final TreeMap<Long, Long> sparse = new TreeMap<>();
    private long lines;
    private long total;

    public TokenTally(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public void add(long tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("a negative token count: " + tokens);
        }
        if (tokens < DENSE) {
            if (tokens >= dense.length) {
                dense = Arrays.copyOf(dense, (int) Math.min(DENSE, Math.max(dense.length * 2L, Long.highestOneBit(tokens) * 2)));
            }
            dense[(int) tokens]++;
        } else {
            sparse.merge(tokens, 1L, Long::sum);
        }
        lines++;
        total += tokens;
    }

    /** Min, median ((n-1)/2-th), p95 (nearest rank, ceil(0.95 n)-th), max, total; zeros when no line. */
    public TokenFigures figures() {
        if (lines == 0) {
            return new TokenFigures(tokenizer.id(), 0, 0, 0, 0, 0);
        }
        return new TokenFigures(tokenizer.id(), at(0), at((lines - 1) / 2), at((long) Math.ceil(lines * 0.95) - 1),
                at(lines - 1), total);
    }

    /** The count at a 0-based rank of the sorted counts. */
    private long at(long rank) {
        long seen = 0;
        for (int tokens = 0; tokens < dense.length; tokens++) {
            seen += dense[tokens];
            if (seen > rank) {
                return tokens;
            }
        }
        for (Map.Entry<Long, Long> entry : sparse.entrySet()) {
            seen += entry.getValue();
            if (seen > rank) {
                return entry.getKey();
            }
        }
        throw new IllegalStateException("rank " + rank + " of " + lines);
    }
}
