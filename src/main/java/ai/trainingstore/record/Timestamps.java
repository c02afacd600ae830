package ai.trainingstore.record;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Parses {@code occurred_at}: ISO-8601 with an offset or {@code Z}, or epoch milliseconds. */
final class Timestamps {

    private static final Instant EARLIEST = Instant.EPOCH;
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private Timestamps() {
    }

    /** The instant, truncated to microseconds (PostgreSQL's precision), or null when invalid. */
    static Instant parse(String text) {
        String value = text.trim();
        Instant instant;
        try {
            if (isInteger(value)) {
                instant = Instant.ofEpochMilli(Long.parseLong(value));
            } else {
                instant = OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            }
        } catch (DateTimeException | NumberFormatException | ArithmeticException e) {
            return null;
        }
        return inRange(instant) ? instant.truncatedTo(ChronoUnit.MICROS) : null;
    }

    static Instant ofEpochMillis(long millis) {
        Instant instant = Instant.ofEpochMilli(millis);
        return inRange(instant) ? instant : null;
    }

    static Instant ofEntryId(String entryId) {
        int dash = entryId.indexOf('-');
        return Instant.ofEpochMilli(Long.parseLong(dash < 0 ? entryId : entryId.substring(0, dash)));
    }

    private static boolean inRange(Instant instant) {
        return !instant.isBefore(EARLIEST) && !instant.isAfter(LATEST);
    }

    private static boolean isInteger(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (!Character.isDigit(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
