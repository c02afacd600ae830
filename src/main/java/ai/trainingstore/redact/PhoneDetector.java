package ai.trainingstore.redact;

import com.google.i18n.phonenumbers.PhoneNumberMatch;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.Leniency;

/**
 * Phone numbers as Google's libphonenumber finds them in text ({@code PhoneNumberUtil.findNumbers})
 * with {@link Leniency#STRICT_GROUPING}: the number must be valid for its region (number plan,
 * length) and its digits grouped as that region writes them, which leaves out dates, times,
 * version strings and most ids. International numbers ({@code +44 20 7946 0958},
 * {@code +1-415-555-0100}) are found for every region; national ones are read as North American
 * ({@code (415) 555-0100}, {@code 415.555.0100}). On top of the library, a match must start with
 * {@code +} or carry a separator (space, dash, dot, parenthesis): a bare run of digits is an id
 * or a count, not a phone number as people write it.
 */
final class PhoneDetector implements Detector {

    static final PhoneDetector INSTANCE = new PhoneDetector();

    /** How national numbers (no leading +) are read. */
    private static final String NATIONAL_REGION = "US";
    /** The shortest phone number libphonenumber considers valid anywhere has more digits than this. */
    private static final int MIN_DIGITS = 7;

    private final PhoneNumberUtil phones = PhoneNumberUtil.getInstance();

    private PhoneDetector() {
    }

    /** A run of digits and the characters numbers are written with, holding 7 digits or more. */
    @Override
    public boolean mayMatch(CharSequence text) {
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits >= MIN_DIGITS) {
                    return true;
                }
            } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '+' && c != '/'
                    && c != '\u00a0') {
                digits = 0;
            }
        }
        return false;
    }

    @Override
    public void find(String text, Spans spans) {
        for (PhoneNumberMatch match : phones.findNumbers(text, NATIONAL_REGION, Leniency.STRICT_GROUPING, Long.MAX_VALUE)) {
            if (writtenAsPhone(match.rawString())) {
                spans.add(match.start(), match.end(), RedactClass.PHONE);
            }
        }
    }

    private static boolean writtenAsPhone(String raw) {
        if (raw.startsWith("+")) {
            return true;
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\u00a0') {
                return true;
            }
        }
        return false;
    }
}
