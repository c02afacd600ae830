package ai.trainingstore.store;

import java.time.Instant;

/**
 * The merge order of records: {@code (occurred_at, stream entry id)} encoded as a fixed-width
 * string of digits, so that comparing two versions as text (in Java and in PostgreSQL) compares
 * them in that order. Layout: occurred_at in epoch microseconds (18 digits), entry id
 * milliseconds (15 digits), entry id sequence (20 digits). 18 digits of microseconds reach
 * beyond the year 9999, the latest {@code occurred_at} accepted.
 */
public final class Versions {

    private Versions() {
    }

    public static String of(Instant occurredAt, String entryId) {
        long micros = Math.addExact(Math.multiplyExact(occurredAt.getEpochSecond(), 1_000_000L),
                occurredAt.getNano() / 1_000);
        int dash = entryId.indexOf('-');
        String millis = dash < 0 ? entryId : entryId.substring(0, dash);
        String sequence = dash < 0 ? "0" : entryId.substring(dash + 1);
        StringBuilder version = new StringBuilder(53);
        pad(version, Long.toString(micros), 18);
        pad(version, millis, 15);
        pad(version, sequence, 20);
        return version.toString();
    }

    public static boolean isNewer(String candidate, String current) {
        return candidate != null && (current == null || candidate.compareTo(current) > 0);
    }

    private static void pad(StringBuilder out, String digits, int width) {
        for (int i = digits.length(); i < width; i++) {
            out.append('0');
        }
        out.append(digits);
    }
}
