package ai.trainingstore.redact;

import java.util.Arrays;

/**
 * The matches found in one text, by any detector, and the text with them replaced. Overlapping
 * matches are merged into one replaced region that carries the token of the match starting first,
 * so no part of either is left in clear and every character is replaced at most once.
 */
final class Spans {

    private int[] starts = new int[8];
    private int[] ends = new int[8];
    private RedactClass[] classes = new RedactClass[8];
    private int size;

    void add(int start, int end, RedactClass redactClass) {
        if (end <= start) {
            return;
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
            ends = Arrays.copyOf(ends, size * 2);
            classes = Arrays.copyOf(classes, size * 2);
        }
        starts[size] = start;
        ends[size] = end;
        classes[size] = redactClass;
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Drops every span, to reuse this for another text. */
    void clear() {
        size = 0;
    }

    /** The text with every match replaced by its class's token. */
    String replace(String text) {
        long[] order = new long[size];
        for (int i = 0; i < size; i++) {
            order[i] = ((long) starts[i] << 32) | i;
        }
        Arrays.sort(order);
        StringBuilder out = new StringBuilder(text.length());
        int cursor = 0;
        for (long key : order) {
            int i = (int) key;
            if (starts[i] >= cursor) {
                out.append(text, cursor, starts[i]).append(classes[i].token());
                cursor = ends[i];
            } else if (ends[i] > cursor) {
                cursor = ends[i]; // overlaps the region just replaced: the region grows
            }
        }
        return out.append(text, cursor, text.length()).toString();
    }
}
