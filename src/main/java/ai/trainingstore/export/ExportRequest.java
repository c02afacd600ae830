package ai.trainingstore.export;

import static ai.trainingstore.export.QueryParameters.single;

import ai.trainingstore.kind.Column;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.text.LogText;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
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
        boolean gzip,
        // what the request asks; the export joins the operator's training-store.redaction.always
        Redaction redact) {

    public enum Format {
        JSONL("application/x-ndjson", "jsonl", true),
        CSV("text/csv", "csv", true),
        /** One Parquet file: binary, compressed column by column, so never gzipped on top. */
        PARQUET("application/vnd.apache.parquet", "parquet", false);

        final String mediaType;
        final String extension;
        final boolean text;

        Format(String mediaType, String extension, boolean text) {
            this.mediaType = mediaType;
            this.extension = extension;
            this.text = text;
        }

        public String mediaType() {
            return mediaType;
        }

        public String extension() {
            return extension;
        }

        /** Text formats are UTF-8 (their Content-Type says so) and gzipped when the client accepts it. */
        public boolean isText() {
            return text;
        }
    }

    /** The last row a client received: its occurred_at and identity. */
    public record Cursor(Instant occurredAt, String identity) {
    }

    private static final Set<String> OWN_PARAMETERS = Set.of("format", "from", "to", "start_date", "end_date",
            "limit", "after", "redact");

    public static final class InvalidExportException extends RuntimeException {
        public InvalidExportException(String message) {
            super(message, null, false, false);
        }
    }


    public static ExportRequest parse(RecordKind kind, Map<String, List<String>> query, String acceptEncoding) {
        QueryParameters.requireStorable(query);
        Set<String> filterable = filterableColumns(kind);
        for (String name : query.keySet()) {
            if (!OWN_PARAMETERS.contains(name) && !filterable.contains(name)) {
                throw new InvalidExportException("Unknown parameter '" + LogText.safe(name) + "'. Use format, from, to, start_date,"
                        + " end_date, limit, after, redact, or a filter on one of the text columns of " + kind.id() + ": "
                        + String.join(", ", filterable) + ".");
            }
        }
        Format format = single(query, "format").map(ExportRequest::format).orElse(Format.JSONL);
        Optional<Instant> from = QueryParameters.bound(query, "from", "start_date", false);
        Optional<Instant> to = QueryParameters.bound(query, "to", "end_date", true);
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
        Optional<Long> limit = single(query, "limit").map(QueryParameters::limit);
        Optional<Cursor> after = single(query, "after").map(ExportRequest::cursor);
        boolean gzip = format.isText() && QueryParameters.acceptsGzip(acceptEncoding);
        return new ExportRequest(kind, format, from, to, filters, limit, after, gzip, QueryParameters.redaction(query));
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
            case "parquet" -> Format.PARQUET;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(value) + "': use format=jsonl (default),"
                    + " format=csv or format=parquet.");
        };
    }


    private static Cursor cursor(String value) {
        int bar = value.indexOf('|');
        if (bar > 0 && bar < value.length() - 1) {
            try {
                Instant occurredAt = OffsetDateTime.parse(value.substring(0, bar)).toInstant();
                if (occurredAt.getNano() % 1_000 == 0 && QueryParameters.inBoundRange(occurredAt)) {
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
}
