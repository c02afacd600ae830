package ai.trainingstore.export;

import ai.trainingstore.kind.Column;

import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The row query of an export: whitelisted columns and filters, every value a bind parameter,
 * rows in {@code (occurred_at, identity)} order, which the {@code (occurred_at, identity)} index
 * of each table serves, so a range or a resumed export starts where it should without sorting.
 */
final class ExportQuery {

    private ExportQuery() {
    }


    static BoundedQuery of(ExportRequest request, List<Column> columns) {
        String identity = request.kind().identity();
        List<String> conditions = new ArrayList<>();
        Tuple parameters = Tuple.tuple();
        request.from().ifPresent(from -> {
            parameters.addOffsetDateTime(from.atOffset(ZoneOffset.UTC));
            conditions.add("occurred_at >= $" + parameters.size());
        });
        request.to().ifPresent(to -> {
            parameters.addOffsetDateTime(to.atOffset(ZoneOffset.UTC));
            conditions.add("occurred_at < $" + parameters.size());
        });
        for (Map.Entry<String, List<String>> filter : request.filters().entrySet()) {
            parameters.addArrayOfString(filter.getValue().toArray(String[]::new));
            // The column name comes from the kind's whitelist (ExportRequest), never from the request text.
            conditions.add(filter.getKey() + " = ANY($" + parameters.size() + "::text[])");
        }
        request.after().ifPresent(cursor -> {
            parameters.addOffsetDateTime(cursor.occurredAt().atOffset(ZoneOffset.UTC));
            parameters.addString(cursor.identity());
            conditions.add("(occurred_at, " + identity + ") > ($" + (parameters.size() - 1) + ", $"
                    + parameters.size() + ")");
        });
        StringBuilder sql = new StringBuilder(" FROM ").append(request.kind().qualifiedTable());
        if (!conditions.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conditions));
        }
        sql.append(" ORDER BY occurred_at, ").append(identity);
        request.limit().ifPresent(limit -> {
            parameters.addLong(limit);
            sql.append(" LIMIT $").append(parameters.size());
        });
        return new BoundedQuery("SELECT " + RowEncoder.selectList(columns, null) + sql,
                "SELECT " + ByteSizes.row(columns, null) + sql, parameters);
    }
}
