package ai.trainingstore.redact;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/**
 * Email addresses as people write them: a local part of letters, digits and {@code . _ % + -},
 * then a domain of dot-separated labels ending in a letters-only top-level domain
 * ({@code first.last+tag@sub.example.co.uk}). Quoted local parts, IP-literal domains and
 * non-ASCII (internationalized) addresses are not recognised.
 */
final class EmailDetector implements Detector {

    static final EmailDetector INSTANCE = new EmailDetector();

    private static final Pattern ADDRESS = Pattern.compile(
            "[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}");

    private EmailDetector() {
    }

    @Override
    public boolean mayMatch(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '@') {
                return true;
            }
        }
        return false;
    }

    @Override
    public void find(String text, Spans spans) {
        Matcher matcher = ADDRESS.matcher(text);
        while (matcher.find()) {
            int start = matcher.start();
            int end = matcher.end();
            if (end < text.length() && Character.isLetterOrDigit(text.charAt(end))) {
                continue; // the TLD runs on into non-ASCII letters: not an address we know the end of
            }
            spans.add(start, end, RedactClass.EMAIL);
        }
    }
}
