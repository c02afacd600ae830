package ai.trainingstore.text;

/**
 * Text from requests and entries made safe to put in a log line or an error message: control
 * characters (a newline that would forge a log line, a NUL, an escape sequence) are shown as
 * {@code \\uXXXX}, and very long text is shortened.
 */
public final class LogText {

    private static final int MAX_CHARS = 500;

    private LogText() {
    }

    public static String safe(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = null;
        int end = Math.min(text.length(), MAX_CHARS);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            boolean control = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (control && out == null) {
                out = new StringBuilder(end + 16).append(text, 0, i);
            }
            if (out != null) {
                if (control) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        String shown = out == null ? text.substring(0, end) : out.toString();
        return text.length() > MAX_CHARS ? shown + "..." : shown;
    }
}
