package ai.trainingstore.redact;

/** Escape sequences written out as text ({@code \\n} in a log line that was JSON once). */
final class Escapes {

    private Escapes() {
    }

    /**
     * Whether the two characters before {@code at} are a backslash and {@code n}, {@code r} or
     * {@code t}: a newline or tab written as an escape, so what follows starts a new word even
     * though a letter stands right before it.
     */
    static boolean endsEscape(CharSequence text, int at) {
        if (at < 2 || text.charAt(at - 2) != '\\') {
            return false;
        }
        char letter = text.charAt(at - 1);
        return letter == 'n' || letter == 'r' || letter == 't';
    }
}
