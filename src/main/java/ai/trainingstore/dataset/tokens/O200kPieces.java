package ai.trainingstore.dataset.tokens;

/**
 * o200k_base's pre-tokenizer, written out: where each piece of a text ends, exactly as tiktoken's
 * (and jtokkit's) regular expression cuts it, which is
 *
 * <pre>
 * 1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * 2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * 3 \p{N}{1,3}
 * 4  ?[^\s\p{L}\p{N}]+[\r\n/]*
 * 5 \s*[\r\n]+
 * 6 \s+(?!\S)
 * 7 \s+
 * </pre>
 *
 * with Java's {@code UNICODE_CHARACTER_CLASS} ({@code \s} is Unicode White_Space). jtokkit runs
 * that expression for o200k_base (it has a hand-written splitter for cl100k_base only), and the
 * expression is most of the time of a count; this walks the code points once instead. Every
 * position starts a piece (some alternative always matches), so the pieces cut the whole text.
 * {@code O200kPiecesTest} compares it with the expression on every code point and on random texts.
 */
final class O200kPieces {

    private static final int UPPER_OR_MARK = (1 << Character.UPPERCASE_LETTER) | (1 << Character.TITLECASE_LETTER)
            | (1 << Character.MODIFIER_LETTER) | (1 << Character.OTHER_LETTER) | (1 << Character.NON_SPACING_MARK)
            | (1 << Character.ENCLOSING_MARK) | (1 << Character.COMBINING_SPACING_MARK);
    private static final int LOWER_OR_MARK = (1 << Character.LOWERCASE_LETTER) | (1 << Character.MODIFIER_LETTER)
            | (1 << Character.OTHER_LETTER) | (1 << Character.NON_SPACING_MARK) | (1 << Character.ENCLOSING_MARK)
            | (1 << Character.COMBINING_SPACING_MARK);
    private static final int LETTER = (1 << Character.UPPERCASE_LETTER) | (1 << Character.LOWERCASE_LETTER)
            | (1 << Character.TITLECASE_LETTER) | (1 << Character.MODIFIER_LETTER) | (1 << Character.OTHER_LETTER);
    private static final int NUMBER = (1 << Character.DECIMAL_DIGIT_NUMBER) | (1 << Character.LETTER_NUMBER)
            | (1 << Character.OTHER_NUMBER);
    private static final int SEPARATOR = (1 << Character.SPACE_SEPARATOR) | (1 << Character.LINE_SEPARATOR)
            | (1 << Character.PARAGRAPH_SEPARATOR);

    private O200kPieces() {
    }

    /** The end (exclusive) of the piece that starts at {@code start}, which is before the end of {@code text}. */
    static int end(String text, int start) {
        int c = text.codePointAt(start);
        int next = start + Character.charCount(c);
        boolean prefix = c != '\r' && c != '\n' && !is(c, LETTER | NUMBER);
        int end;
        // 1 and 2: each tried with its optional leading character first, then without.
        if ((prefix && (end = lowerEnd(text, next)) >= 0) || (end = lowerEnd(text, start)) >= 0) {
            return end;
        }
        if ((prefix && (end = upperEnd(text, next)) >= 0) || (end = upperEnd(text, start)) >= 0) {
            return end;
        }
        if (is(c, NUMBER)) { // 3
            end = next;
            for (int digits = 1; digits < 3 && end < text.length(); digits++) {
                int d = text.codePointAt(end);
                if (!is(d, NUMBER)) {
                    break;
                }
                end += Character.charCount(d);
            }
            return end;
        }
        if (!whitespace(c)) { // 4; a lone space goes on to 5-7
            return symbolsEnd(text, next);
        }
        if (c == ' ' && next < text.length() && symbol(text.codePointAt(next))) { // 4 with its space
            return symbolsEnd(text, next + Character.charCount(text.codePointAt(next)));
        }
        // 5, 6, 7: a run of whitespace; all White_Space code points are in the BMP.
        int run = start;
        int lastNewline = -1;
        while (run < text.length() && whitespace(text.charAt(run))) {
            if (text.charAt(run) == '\r' || text.charAt(run) == '\n') {
                lastNewline = run;
            }
            run++;
        }
        if (lastNewline >= 0) {
            return lastNewline + 1; // 5: up to the run's last newline
        }
        if (run == text.length() || run - 1 == start) {
            return run; // 6 at the end of the text, or 7: one whitespace before a non-whitespace
        }
        return run - 1; // 6: the run but its last, which goes with what follows
    }

    /**
     * Alternative 1 from {@code from} (after its optional leading character): the longest run of
     * upper-case letters and marks that a lower-case letter or mark still follows, then the
     * lower-case ones, then a contraction; -1 when none.
     */
    private static int lowerEnd(String text, int from) {
        int upperRun = from;
        while (upperRun < text.length() && is(text.codePointAt(upperRun), UPPER_OR_MARK)) {
            upperRun += Character.charCount(text.codePointAt(upperRun));
        }
        // Backtracking as the expression does: the lower-case part starts at the latest position that allows it.
        int lower = upperRun;
        while (lower >= from && !(lower < text.length() && is(text.codePointAt(lower), LOWER_OR_MARK))) {
            if (lower == from) {
                return -1;
            }
            lower -= Character.charCount(text.codePointBefore(lower));
        }
        int end = lower;
        while (end < text.length() && is(text.codePointAt(end), LOWER_OR_MARK)) {
            end += Character.charCount(text.codePointAt(end));
        }
        return contractionEnd(text, end);
    }

    /** Alternative 2 from {@code from}: upper-case letters and marks (at least one), lower-case ones, a contraction; -1 when none. */
    private static int upperEnd(String text, int from) {
        if (from >= text.length() || !is(text.codePointAt(from), UPPER_OR_MARK)) {
            return -1;
        }
        int end = from;
        while (end < text.length() && is(text.codePointAt(end), UPPER_OR_MARK)) {
            end += Character.charCount(text.codePointAt(end));
        }
        while (end < text.length() && is(text.codePointAt(end), LOWER_OR_MARK)) {
            end += Character.charCount(text.codePointAt(end));
        }
        return contractionEnd(text, end);
    }

    /** After a word: {@code 's 't 're 've 'm 'll 'd} in any case, when one follows. */
    private static int contractionEnd(String text, int end) {
        if (end + 1 >= text.length() || text.charAt(end) != '\'') {
            return end;
        }
        char first = text.charAt(end + 1);
        if (letter(first, 's') || letter(first, 't') || letter(first, 'm') || letter(first, 'd')) {
            return end + 2;
        }
        if (end + 2 < text.length()) {
            char second = text.charAt(end + 2);
            if ((letter(first, 'r') && letter(second, 'e')) || (letter(first, 'v') && letter(second, 'e'))
                    || (letter(first, 'l') && letter(second, 'l'))) {
                return end + 3;
            }
        }
        return end;
    }

    /** Alternative 4 after its first symbol: more symbols, then newlines and slashes. */
    private static int symbolsEnd(String text, int end) {
        while (end < text.length() && symbol(text.codePointAt(end))) {
            end += Character.charCount(text.codePointAt(end));
        }
        while (end < text.length() && (text.charAt(end) == '\r' || text.charAt(end) == '\n' || text.charAt(end) == '/')) {
            end++;
        }
        return end;
    }

    /** Java's case-insensitive match of one character with Unicode case ({@code ſ} is an {@code s}). */
    private static boolean letter(char c, char lower) {
        return Character.toLowerCase(Character.toUpperCase(c)) == lower;
    }

    private static boolean symbol(int c) {
        return !whitespace(c) && !is(c, LETTER | NUMBER);
    }

    private static boolean is(int codePoint, int categories) {
        return ((categories >> Character.getType(codePoint)) & 1) != 0;
    }

    /** Unicode White_Space, as Java's {@code \s} with UNICODE_CHARACTER_CLASS. */
    static boolean whitespace(int c) {
        return is(c, SEPARATOR) || (c >= 0x9 && c <= 0xD) || c == 0x85;
    }
}
