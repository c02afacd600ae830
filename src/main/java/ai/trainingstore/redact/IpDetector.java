package ai.trainingstore.redact;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

/**
 * IPv4 dotted quads (each part 0-255, no leading zeros) and IPv6 addresses (full, compressed with
 * {@code ::}, with an embedded IPv4 tail, with a {@code %zone}). A candidate must stand on its own:
 * not glued to letters, digits or further dotted parts, so {@code 1.2.3}, {@code v1.2.3.4},
 * {@code 1.2.3.4.5}, times ({@code 12:30:45}), MAC addresses and C++'s {@code std::} are left
 * alone. A 4-part version number that is a valid quad ({@code 10.0.0.1}) cannot be told apart.
 */
final class IpDetector implements Detector {

    static final IpDetector INSTANCE = new IpDetector();

    private static final Pattern V4 = Pattern.compile("[0-9]{1,3}(?:\\.[0-9]{1,3}){3}");
    private static final Pattern V6 = Pattern.compile(
            "(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%[0-9A-Za-z]{1,15})?");

    private IpDetector() {
    }

    /** Four dot-separated groups of digits, a {@code ::}, or two colons with hex digits between. */
    @Override
    public boolean mayMatch(CharSequence text) {
        int dottedGroups = 0;
        int groupDigits = 0;
        int colons = 0;
        boolean hexSinceColon = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isDigit(c)) {
                groupDigits++;
            } else if (c == '.' && groupDigits > 0) {
                dottedGroups++;
                groupDigits = 0;
            } else {
                dottedGroups = 0;
                groupDigits = 0;
            }
            if (dottedGroups >= 3 && groupDigits > 0) {
                return true;
            }
            if (c == ':') {
                if (i > 0 && text.charAt(i - 1) == ':') {
                    return true;
                }
                colons = hexSinceColon ? colons + 1 : 1;
                hexSinceColon = false;
                if (colons >= 2 && i + 1 < text.length() && isHex(text.charAt(i + 1))) {
                    return true;
                }
            } else if (isHex(c)) {
                hexSinceColon = true;
            } else {
                colons = 0;
                hexSinceColon = false;
            }
        }
        return false;
    }

    @Override
    public void find(String text, Spans spans) {
        Matcher v4 = V4.matcher(text);
        while (v4.find()) {
            if (standsAlone(text, v4.start(), v4.end()) && isV4(text, v4.start(), v4.end())) {
                spans.add(v4.start(), v4.end(), RedactClass.IP);
            }
        }
        if (text.indexOf(':') < 0) {
            return;
        }
        Matcher v6 = V6.matcher(text);
        while (v6.find()) {
            int start = v6.start();
            int end = v6.end();
            int zone = text.indexOf('%', start);
            int address = zone >= 0 && zone < end ? zone : end;
            if (standsAlone(text, start, end) && isV6(text.substring(start, address))) {
                spans.add(start, end, RedactClass.IP);
            }
        }
    }

    /** Not part of a longer word, number, dotted name or colon list. */
    private static boolean standsAlone(String text, int start, int end) {
        if (start > 0 && !Escapes.endsEscape(text, start)) {
            char before = text.charAt(start - 1);
            if (Character.isLetterOrDigit(before) || before == '_' || before == ':'
                    || (before == '.' && start > 1 && Character.isLetterOrDigit(text.charAt(start - 2)))) {
                return false;
            }
        }
        if (end < text.length()) {
            char after = text.charAt(end);
            if (Character.isLetterOrDigit(after) || after == '_' || after == ':' && end + 1 < text.length()
                    && isHex(text.charAt(end + 1))) {
                return false;
            }
            if ((after == '.' || after == ':') && end + 1 < text.length() && isDigit(text.charAt(end + 1))) {
                return false;
            }
        }
        return true;
    }

    /** Four dot-separated octets. */
    private static boolean isV4(String text, int start, int end) {
        int part = start;
        int parts = 0;
        for (int i = start; i <= end; i++) {
            if (i == end || text.charAt(i) == '.') {
                if (!isOctet(text, part, i)) {
                    return false;
                }
                parts++;
                part = i + 1;
            }
        }
        return parts == 4;
    }

    private static boolean isOctet(String text, int start, int end) {
        int length = end - start;
        if (length < 1 || length > 3 || (length > 1 && text.charAt(start) == '0')) {
            return false;
        }
        for (int i = start; i < end; i++) {
            if (!isDigit(text.charAt(i))) {
                return false;
            }
        }
        return Integer.parseInt(text, start, end, 10) <= 255;
    }

    /** RFC 4291 text forms: eight groups, or fewer around one {@code ::}; an IPv4 tail counts as two. */
    static boolean isV6(String address) {
        int compressed = address.indexOf("::");
        if (compressed >= 0 && address.indexOf("::", compressed + 1) >= 0) {
            return false;
        }
        boolean anyHex = false;
        for (int i = 0; i < address.length(); i++) {
            if (address.charAt(i) != ':' && address.charAt(i) != '.') {
                anyHex = true;
                break;
            }
        }
        if (!anyHex) {
            return false;
        }
        int groups;
        if (compressed >= 0) {
            int head = groups(address.substring(0, compressed), false);
            int tail = groups(address.substring(compressed + 2), true);
            if (head < 0 || tail < 0) {
                return false;
            }
            groups = head + tail;
            return groups <= 7;
        }
        groups = groups(address, true);
        return groups == 8;
    }

    /** Groups in a colon-separated run (empty text: none), or -1 when one is malformed. */
    private static int groups(String run, boolean mayEndInV4) {
        if (run.isEmpty()) {
            return 0;
        }
        String[] parts = run.split(":", -1);
        int count = 0;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (i == parts.length - 1 && mayEndInV4 && part.indexOf('.') >= 0) {
                if (!isV4(part, 0, part.length())) {
                    return -1;
                }
                count += 2;
                continue;
            }
            if (part.isEmpty() || part.length() > 4) {
                return -1;
            }
            for (int c = 0; c < part.length(); c++) {
                if (!isHex(part.charAt(c))) {
                    return -1;
                }
            }
            count++;
        }
        return count;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
