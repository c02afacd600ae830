package ai.trainingstore.redact;

/**
 * Payment card numbers: 13 to 19 digits that pass the Luhn check, written either unbroken or in the
 * groups card issuers print (4-4-4-4 with a last group of 1 to 4 digits, 4-6-5 and 4-6-4), with
 * one kind of separator, space or dash. Unbroken runs must start with 2 to 6 (the networks'
 * ranges: Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro 6), which keeps
 * epoch timestamps in milliseconds or microseconds (starting with 1) and stream entry ids out; a
 * random 16-digit id starting with 2-6 still passes Luhn one time in ten.
 *
 * <p>A hand-written scan, one pass over the text: no regular expression to backtrack.
 */
final class CardDetector implements Detector {

    static final CardDetector INSTANCE = new CardDetector();

    private static final int MIN_DIGITS = 13;
    private static final int MAX_DIGITS = 19;
    /** Groups of one run considered: more than 19 groups hold more digits than a card. */
    private static final int MAX_GROUPS = 32;

    private CardDetector() {
    }

    /** A run of digits, spaces and dashes holding 13 digits or more. */
    @Override
    public boolean mayMatch(CharSequence text) {
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits >= MIN_DIGITS) {
                    return true;
                }
            } else if (c != ' ' && c != '-') {
                digits = 0;
            }
        }
        return false;
    }

    @Override
    public void find(String text, Spans spans) {
        int[] groupStart = new int[MAX_GROUPS];
        int[] groupEnd = new int[MAX_GROUPS];
        int i = 0;
        int length = text.length();
        while (i < length) {
            if (!isDigit(text.charAt(i)) || !boundaryBefore(text, i)) {
                i++;
                continue;
            }
            // A run: digit groups joined by single spaces or dashes.
            int groups = 0;
            int at = i;
            while (true) {
                int end = at;
                while (end < length && isDigit(text.charAt(end))) {
                    end++;
                }
                if (groups < MAX_GROUPS) {
                    groupStart[groups] = at;
                    groupEnd[groups] = end;
                }
                groups++;
                if (end + 1 < length && (text.charAt(end) == ' ' || text.charAt(end) == '-')
                        && isDigit(text.charAt(end + 1))) {
                    at = end + 1;
                } else {
                    i = end;
                    break;
                }
            }
            matchRun(text, groupStart, groupEnd, Math.min(groups, MAX_GROUPS), spans);
        }
    }

    /** The longest card among consecutive groups of a run, from each group on. */
    private static void matchRun(String text, int[] starts, int[] ends, int groups, Spans spans) {
        int from = 0;
        while (from < groups) {
            int found = -1;
            int digits = 0;
            for (int to = from; to < groups; to++) {
                digits += ends[to] - starts[to];
                if (digits > MAX_DIGITS) {
                    break;
                }
                if (digits >= MIN_DIGITS && endsCleanly(text, ends[to]) && isCardLayout(text, starts, ends, from, to)
                        && luhn(text, starts[from], ends[to])) {
                    found = to;
                }
            }
            if (found >= 0) {
                spans.add(starts[from], ends[found], RedactClass.CARD);
                from = found + 1;
            } else {
                from++;
            }
        }
    }

    private static boolean isCardLayout(String text, int[] starts, int[] ends, int from, int to) {
        if (from == to) {
            char first = text.charAt(starts[from]);
            return first >= '2' && first <= '6';
        }
        char separator = text.charAt(ends[from]);
        for (int g = from; g < to; g++) {
            if (text.charAt(ends[g]) != separator) {
                return false;
            }
        }
        int count = to - from + 1;
        int[] sizes = new int[count];
        for (int g = 0; g < count; g++) {
            sizes[g] = ends[from + g] - starts[from + g];
        }
        if (count == 3 && sizes[0] == 4 && sizes[1] == 6 && (sizes[2] == 5 || sizes[2] == 4)) {
            return true; // American Express 4-6-5, Diners Club 4-6-4
        }
        for (int g = 0; g < count - 1; g++) {
            if (sizes[g] != 4) {
                return false;
            }
        }
        return sizes[count - 1] >= 1 && sizes[count - 1] <= 4;
    }

    /** Luhn over the digits of [start, end), separators skipped. */
    static boolean luhn(CharSequence text, int start, int end) {
        int sum = 0;
        boolean doubled = false;
        for (int i = end - 1; i >= start; i--) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                continue;
            }
            int digit = c - '0';
            if (doubled) {
                digit *= 2;
                if (digit > 9) {
                    digit -= 9;
                }
            }
            sum += digit;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /** Not inside a longer number or word: no letter or digit, nor a decimal point after a digit, before it. */
    private static boolean boundaryBefore(String text, int at) {
        if (at == 0) {
            return true;
        }
        char before = text.charAt(at - 1);
        if (Escapes.endsEscape(text, at)) {
            return true;
        }
        if (Character.isLetterOrDigit(before) || before == '_') {
            return false;
        }
        return !((before == '.' || before == ',') && at > 1 && isDigit(text.charAt(at - 2)));
    }

    private static boolean endsCleanly(String text, int end) {
        if (end == text.length()) {
            return true;
        }
        char after = text.charAt(end);
        if (Character.isLetterOrDigit(after) || after == '_') {
            return false;
        }
        return !((after == '.' || after == ',') && end + 1 < text.length() && isDigit(text.charAt(end + 1)));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
