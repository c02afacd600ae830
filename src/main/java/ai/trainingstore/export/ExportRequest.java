package ai.trainingstore.export;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.text.LogText;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A validated export request (contract section 4): every query parameter is checked here, and a
 * mistake is reported as an {@link InvalidExportException} that says what to fix. Filters are the
 * kind's text columns only, and their values are bound as parameters, never put into SQL.
 */
public record ExportRequest(
        RecordKind kind,
        Format format,
        Optional<Instant> from,
        Optional<Instant> to,
        Map<String, List<String>> filters,
        Optional<Long> limit,
        Optional<Cursor> after,
        boolean gzip) {

    public enum Format {
        JSONL("application/x-ndjson", "jsonl"),
        CSV("text/csv", "csv");

        final String mediaType;
        final String extension;

        Format(String mediaType, String extension) {
            this.mediaType = mediaType;
            this.extension = extension;
        }

        public String mediaType() {
            return mediaType;
        }

        public String extension() {
            return extension;
        }
    }

    /** The last row a client received: its occurred_at and identity. */
    public record Cursor(Instant occurredAt, String identity) {
    }

    private static final Set<String> OWN_PARAMETERS = Set.of("format", "from", "to", "start_date", "end_date",
            "limit", "after");

    public static final class InvalidExportException extends RuntimeException {
        public InvalidExportException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The range a bound may take: {@code occurred_at} is stored from 1970 to 9999, and every
     * instant in this range is one PostgreSQL's timestamptz (4713 BC to 294276 AD) represents.
     */
    static final Instant EARLIEST_BOUND = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant LATEST_BOUND = Instant.parse("+10000-01-01T00:00:00Z");

    public static ExportRequest parse(RecordKind kind, Map<String, List<String>> query, String acceptEncoding) {
        query.forEach((name, values) -> {
            requireStorable(name, name);
            values.forEach(value -> requireStorable(name, value));
        });
        Set<String> filterable = filterableColumns(kind);
        for (String name : query.keySet()) {
            if (!OWN_PARAMETERS.contains(name) && !filterable.contains(name)) {
                throw new InvalidExportException("Unknown parameter '" + LogText.safe(name) + "'. Use format, from, to, start_date,"
                        + " end_date, limit, after, or a filter on one of the text columns of " + kind.id() + ": "
                        + String.join(", ", filterable) + ".");
            }
        }
        Format format = single(query, "format").map(ExportRequest::format).orElse(Format.JSONL);
        Optional<Instant> from = bound(query, "from", "start_date", false);
        Optional<Instant> to = bound(query, "to", "end_date", true);
        if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
            throw new InvalidExportException("'from' (" + from.get() + ") must be before 'to' (" + to.get()
                    + "): 'from' is inclusive, 'to' exclusive.");
        }
        Map<String, List<String>> filters = new LinkedHashMap<>();
        query.forEach((name, values) -> {
            if (filterable.contains(name)) {
                filters.put(name, List.copyOf(values));
            }
        });
        Optional<Long> limit = single(query, "limit").map(ExportRequest::limit);
        Optional<Cursor> after = single(query, "after").map(ExportRequest::cursor);
        return new ExportRequest(kind, format, from, to, filters, limit, after, acceptsGzip(acceptEncoding));
    }

    public String fileName() {
        return kind.id() + "." + format.extension() + (gzip ? ".gz" : "");
    }

    static Set<String> filterableColumns(RecordKind kind) {
        return kind.filterableColumns().stream().map(Column::name)
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    private static Format format(String value) {
        return switch (value) {
            case "jsonl" -> Format.JSONL;
            case "csv" -> Format.CSV;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(value) + "': use format=jsonl (default)"
                    + " or format=csv.");
        };
    }

    private static long limit(String value) {
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

    private static Cursor cursor(String value) {
        int bar = value.indexOf('|');
        if (bar > 0 && bar < value.length() - 1) {
            try {
                Instant occurredAt = OffsetDateTime.parse(value.substring(0, bar)).toInstant();
                if (occurredAt.getNano() % 1_000 == 0 && inBoundRange(occurredAt)) {
                    return new Cursor(occurredAt, value.substring(bar + 1));
                }
            } catch (DateTimeException ignored) {
                // answered below
            }
        }
        throw new InvalidExportException("'after' must be <occurred_at>|<identity> of the last row received"
                + " (occurred_at as exported, to the microsecond), for example"
                + " after=2026-01-31T12:00:00.123456Z|evt-42 (URL-encoded), not '" + LogText.safe(value) + "'.");
    }

    /**
     * A date range bound from its name or its alias. A date means 00:00 UTC; {@code end_date} given
     * as a date includes that whole day.
     */
    private static Optional<Instant> bound(Map<String, List<String>> query, String name, String alias, boolean end) {
        Optional<String> value = single(query, name);
        Optional<String> aliased = single(query, alias);
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
    private static Instant upToMicros(Instant instant) {
        int below = instant.getNano() % 1_000;
        return below == 0 ? instant : instant.plusNanos(1_000 - below);
    }

    private static boolean inBoundRange(Instant instant) {
        return !instant.isBefore(EARLIEST_BOUND) && !instant.isAfter(LATEST_BOUND);
    }

    /** PostgreSQL text cannot hold NUL, so no value with one can match: refused, not sent to the database. */
    private static void requireStorable(String parameter, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new InvalidExportException("Parameter '" + LogText.safe(parameter) + "' contains a NUL character"
                    + " (%00), which no stored value can contain: remove it.");
        }
    }

    private static Optional<String> single(Map<String, List<String>> query, String name) {
        List<String> values = query.getOrDefault(name, List.of());
        if (values.size() > 1) {
            throw new InvalidExportException("'" + name + "' is given " + values.size() + " times; give it once.");
        }
        return values.stream().findFirst();
    }

    private static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        List<String> accepted = new ArrayList<>();
        for (String part : acceptEncoding.split(",")) {
            String[] pieces = part.trim().split(";");
            // "q" is case-insensitive (RFC 9110 12.4.2): "gzip;Q=0" refuses gzip too.
            boolean refused = pieces.length > 1 && pieces[1].trim().replace(" ", "").matches("(?i)q=0(\\.0*)?");
            if (!refused) {
                accepted.add(pieces[0].trim().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return accepted.contains("gzip");
    }
}
