package ai.trainingstore.export;

import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.text.LogText;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reading the query parameters that row exports and datasets share: single values, date bounds
 * and their aliases, limits, gzip negotiation, text PostgreSQL can hold. Every mistake is an
 * {@link InvalidExportException} (400) that says what to fix.
 */
public final class QueryParameters {

    /**
     * The range a bound may take: {@code occurred_at} is stored from 1970 to 9999, and every
     * instant in this range is one PostgreSQL's timestamptz (4713 BC to 294276 AD) represents.
     */
    public static final Instant EARLIEST_BOUND = Instant.parse("0001-01-01T00:00:00Z");
    public static final Instant LATEST_BOUND = Instant.parse("+10000-01-01T00:00:00Z");

    private QueryParameters() {
    }

    /** No parameter name or value holds a NUL: refused before anything else. */
    public static void requireStorable(Map<String, List<String>> query) {
        query.forEach((name, values) -> {
            requireStorable(name, name);
            values.forEach(value -> requireStorable(name, value));
        });
    }

    public static long limit(String value) {
        try {
            long limit = Long.parseLong(value);
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new InvalidExportException("'limit' must be a whole number of rows, 0 or more, not '" + LogText.safe(value) + "'.");
    }

    public static Optional<Instant> bound(Map<String, List<String>> query, String name) {
        return bound(query, name, null, false);
    }

    /** A bound that has an alias (null for none). */
    public static Optional<Instant> bound(Map<String, List<String>> query, String name, String alias, boolean end) {
        Optional<String> value = single(query, name);
        Optional<String> aliased = alias == null ? Optional.empty() : single(query, alias);
        if (value.isPresent() && aliased.isPresent()) {
            throw new InvalidExportException("Give '" + name + "' or its alias '" + alias + "', not both.");
        }
        if (value.isEmpty() && aliased.isEmpty()) {
            return Optional.empty();
        }
        String text = value.or(() -> aliased).orElseThrow();
        String parameter = value.isPresent() ? name : alias;
        try {
            Instant bound;
            if (text.length() == 10) {
                LocalDate date = LocalDate.parse(text, DateTimeFormatter.ISO_LOCAL_DATE);
                boolean wholeDay = end && aliased.isPresent();
                bound = (wholeDay ? date.plusDays(1) : date).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                bound = upToMicros(OffsetDateTime.parse(text).toInstant());
            }
            if (!inBoundRange(bound)) {
                throw new InvalidExportException("'" + parameter + "' must be between 0001-01-01 and 9999-12-31"
                        + " (records are stored with occurred_at from 1970 to 9999), not '" + LogText.safe(text) + "'.");
            }
            return Optional.of(bound);
        } catch (DateTimeException | ArithmeticException e) {
            throw new InvalidExportException("'" + parameter + "' must be an ISO-8601 instant with an offset or Z"
                    + " (2026-01-31T12:00:00Z) or a date (2026-01-31), not '" + LogText.safe(text) + "'.");
        }
    }

    /**
     * Rows are stored to the microsecond, so a finer bound is moved up to the next microsecond:
     * the same rows are at or after it (and before it), as if PostgreSQL had compared exactly.
     */
    public static Instant upToMicros(Instant instant) {
        int below = instant.getNano() % 1_000;
        return below == 0 ? instant : instant.plusNanos(1_000 - below);
    }

    public static boolean inBoundRange(Instant instant) {
        return !instant.isBefore(EARLIEST_BOUND) && !instant.isAfter(LATEST_BOUND);
    }

    /** PostgreSQL text cannot hold NUL, so no value with one can match: refused, not sent to the database. */
    public static void requireStorable(String parameter, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new InvalidExportException("Parameter '" + LogText.safe(parameter) + "' contains a NUL character"
                    + " (%00), which no stored value can contain: remove it.");
        }
    }

    public static Optional<String> single(Map<String, List<String>> query, String name) {
        List<String> values = query.getOrDefault(name, List.of());
        if (values.size() > 1) {
            throw new InvalidExportException("'" + name + "' is given " + values.size() + " times; give it once.");
        }
        return values.stream().findFirst();
    }

    /**
     * {@code redact} (contract section 7): a comma-separated list of classes or {@code all}; a
     * repeated parameter adds its classes. Absent: nothing (the operator's forced classes are
     * joined later, by the export).
     */
    public static Redaction redaction(Map<String, List<String>> query) {
        Redaction redaction = Redaction.none();
        for (String value : query.getOrDefault("redact", List.of())) {
            try {
                redaction = redaction.with(Redaction.parse(value));
            } catch (IllegalArgumentException e) {
                throw new InvalidExportException("'redact': " + e.getMessage());
            }
        }
        return redaction;
    }

    public static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        List<String> accepted = new ArrayList<>();
        for (String part : acceptEncoding.split(",")) {
            String[] pieces = part.trim().split(";");
            boolean refused = pieces.length > 1 && pieces[1].trim().replace(" ", "").matches("(?i)q=0(\\.0*)?");
            if (!refused) {
                accepted.add(pieces[0].trim().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return accepted.contains("gzip");
    }
}
