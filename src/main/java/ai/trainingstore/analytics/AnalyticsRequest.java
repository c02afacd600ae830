package ai.trainingstore.analytics;

import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.export.QueryParameters;
import ai.trainingstore.text.LogText;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A validated {@code GET /api/v1/analytics/{view}} request: {@code from} (inclusive) and {@code to}
 * (exclusive) UTC days as {@code YYYY-MM-DD}, {@code agent_id} (repeated: any of), {@code format}
 * {@code json} (default) or {@code csv}. Anything else is refused with 400.
 */
public record AnalyticsRequest(AnalyticsView view, Optional<LocalDate> from, Optional<LocalDate> to,
                               List<String> agents, boolean csv) {

    private static final Set<String> PARAMETERS = Set.of("from", "to", "agent_id", "format");

    public static AnalyticsRequest parse(AnalyticsView view, Map<String, List<String>> query) {
        QueryParameters.requireStorable(query);
        query.keySet().stream().filter(name -> !PARAMETERS.contains(name)).findFirst().ifPresent(name -> {
            throw new InvalidExportException("Unknown parameter '" + LogText.safe(name) + "': analytics take from and to"
                    + " (UTC days, YYYY-MM-DD; to exclusive), agent_id (repeat for any of) and format=json|csv.");
        });
        boolean csv = QueryParameters.single(query, "format").map(AnalyticsRequest::isCsv).orElse(false);
        Optional<LocalDate> from = QueryParameters.single(query, "from").map(value -> day("from", value));
        Optional<LocalDate> to = QueryParameters.single(query, "to").map(value -> day("to", value));
        if (from.isPresent() && to.isPresent() && !from.get().isBefore(to.get())) {
            throw new InvalidExportException("'from' (" + from.get() + ") must be before 'to' (" + to.get()
                    + "): 'from' is the first day included, 'to' the first day left out.");
        }
        List<String> agents = query.getOrDefault("agent_id", List.of());
        agents.stream().filter(String::isEmpty).findFirst().ifPresent(empty -> {
            throw new InvalidExportException("'agent_id' is empty: give an agent id, or leave the parameter out for all agents.");
        });
        return new AnalyticsRequest(view, from, to, List.copyOf(agents), csv);
    }

    private static boolean isCsv(String format) {
        return switch (format) {
            case "json" -> false;
            case "csv" -> true;
            default -> throw new InvalidExportException("Unknown format '" + LogText.safe(format)
                    + "': use format=json (default, an array of row objects) or format=csv.");
        };
    }

    private static LocalDate day(String name, String value) {
        try {
            LocalDate day = LocalDate.parse(value, DateTimeFormatter.ISO_LOCAL_DATE);
            if (day.getYear() >= 1 && day.getYear() <= 9999) {
                return day;
            }
        } catch (DateTimeException ignored) {
            // answered below
        }
        throw new InvalidExportException("'" + name + "' must be a UTC day as YYYY-MM-DD (years 0001 to 9999), such as"
                + " 2026-01-31, not '" + LogText.safe(value) + "'.");
    }
}
