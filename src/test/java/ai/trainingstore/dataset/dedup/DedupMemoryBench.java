package ai.trainingstore.dataset.dedup;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Heap growth of one answer's dedup state over many kept lines (bench/dedup_memory.sh): the live
 * heap after full collections with the filter holding {@code lines} distinct lines, minus the live
 * heap before it was made. Not a test (no timing or heap asserts in the suite): it prints figures.
 *
 * <pre>java -Xmx2g -cp ... ai.trainingstore.dataset.dedup.DedupMemoryBench exact|near [lines] [words]</pre>
 */
public final class DedupMemoryBench {

    private DedupMemoryBench() {
    }

    public static void main(String[] args) {
        Dedup.Mode mode = Dedup.Mode.valueOf(args[0].toUpperCase(Locale.ROOT));
        int lines = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        int words = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = liveHeap(memory);
        SplittableRandom random = new SplittableRandom(7);
        long started = System.nanoTime();
        int kept = 0;
        try (DuplicateFilter filter = new DuplicateFilter(new Dedup(mode, Dedup.DEFAULT_NEAR_THRESHOLD), false)) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                text.setLength(0);
                for (int w = 0; w < words; w++) {
                    text.append('w').append(Integer.toString(random.nextInt(1_000_000), 36)).append(' ');
                }
                ArrayNode messages = DedupTexts.messages("line " + i, text.toString());
                if (filter.check("conversation-" + i, messages, null) == null) {
                    kept++;
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long after = liveHeap(memory);
            System.out.printf(Locale.ROOT, "dedup=%s: %,d lines (%d words each), %,d kept, %.1f s (%,.0f lines/s);"
                            + " heap growth %.1f MiB (%.1f bytes a line)%n", args[0], lines, words, kept, seconds,
                    lines / seconds, (after - before) / 1048576.0, (double) (after - before) / lines);
            // Keeps the filter reachable until measured.
            if (filter.check("last", DedupTexts.messages("last", "line"), null) == null) {
                kept++;
            }
        }
    }

    private static long liveHeap(MemoryMXBean memory) {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
