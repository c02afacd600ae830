package ai.trainingstore.redact;

import ai.trainingstore.text.LogText;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The kinds of value redaction replaces (contract section 7), each with its replacement token. */
public enum RedactClass {
    EMAIL(EmailDetector.INSTANCE),
    PHONE(PhoneDetector.INSTANCE),
    IP(IpDetector.INSTANCE),
    CARD(CardDetector.INSTANCE),
    SECRET(SecretDetector.INSTANCE);

    /** The list value that means every class. */
    public static final String ALL = "all";

    private final String id;
    private final String token;
    private final Detector detector;

    RedactClass(Detector detector) {
        this.id = name().toLowerCase(Locale.ROOT);
        this.token = "[REDACTED_" + name() + "]";
        this.detector = detector;
    }

    /** The name used in {@code redact=...} and {@code training-store.redaction.always}. */
    public String id() {
        return id;
    }

    /** What a match is replaced with, e.g. {@code [REDACTED_EMAIL]}. */
    public String token() {
        return token;
    }

    Detector detector() {
        return detector;
    }

    /**
     * The classes of a comma-separated list ({@code email,phone}, {@code all}); blanks around
     * names are ignored.
     *
     * @throws IllegalArgumentException naming the valid values, for an empty list or an unknown name
     */
    public static Set<RedactClass> parseList(String list) {
        EnumSet<RedactClass> classes = EnumSet.noneOf(RedactClass.class);
        for (String part : list.split(",", -1)) {
            String name = part.trim();
            if (name.equals(ALL)) {
                classes.addAll(EnumSet.allOf(RedactClass.class));
                continue;
            }
            RedactClass found = Arrays.stream(values()).filter(value -> value.id.equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException((name.isEmpty() ? "An empty redaction class"
                            : "Unknown redaction class '" + LogText.safe(name) + "'") + ": use a comma-separated list of "
                            + validNames() + ", or " + ALL + "."));
            classes.add(found);
        }
        return classes;
    }

    static String validNames() {
        return Arrays.stream(values()).map(RedactClass::id).collect(Collectors.joining(", "));
    }
}
