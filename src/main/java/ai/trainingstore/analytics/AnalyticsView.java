package ai.trainingstore.analytics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The analytics views of contract section 8: each a SQL function over a day range and agents
 * (migration V4, {@code training_data.<view>_between}) and a view over all days. Columns in the
 * order the API answers them; the leading {@code keys} columns order the rows.
 */
public enum AnalyticsView {
    AGENT_DAILY("agent_daily", 2,
            Column.day(), Column.text("agent_id"), Column.integer("events"), Column.integer("tasks"),
            Column.json("tasks_by_status"), Column.integer("tool_executions"), Column.integer("tool_errors"),
            Column.integer("messages")),
    TOOL_DAILY("tool_daily", 2,
            Column.day(), Column.text("tool_name"), Column.integer("executions"), Column.integer("errors"),
            Column.number("error_rate"), Column.number("p50_ms"), Column.number("p95_ms"), Column.integer("max_ms")),
    TASK_OUTCOMES_DAILY("task_outcomes_daily", 3,
            Column.day(), Column.text("task_type"), Column.text("status"), Column.integer("tasks")),
    FEEDBACK_DAILY("feedback_daily", 3,
            Column.day(), Column.text("target_kind"), Column.text("name"), Column.integer("count"),
            Column.number("mean"), Column.number("min"), Column.number("max"));

    /** A column's type, as answered: JSON numbers and objects, CSV text. */
    enum Type { DAY, TEXT, INTEGER, NUMBER, JSON }

    record Column(String name, Type type) {
        static Column day() {
            return new Column("day", Type.DAY);
        }

        static Column text(String name) {
            return new Column(name, Type.TEXT);
        }

        static Column integer(String name) {
            return new Column(name, Type.INTEGER);
        }

        static Column number(String name) {
            return new Column(name, Type.NUMBER);
        }

        static Column json(String name) {
            return new Column(name, Type.JSON);
        }

        /** Days as YYYY-MM-DD and JSON as its text, so rows are read without type juggling. */
        String selectExpression() {
            return switch (type) {
                case DAY, JSON -> name + "::text AS " + name;
                default -> name;
            };
        }
    }

    private final String id;
    private final int keys;
    private final List<Column> columns;

    AnalyticsView(String id, int keys, Column... columns) {
        this.id = id;
        this.keys = keys;
        this.columns = List.of(columns);
    }

    public String id() {
        return id;
    }

    List<Column> columns() {
        return columns;
    }

    /**
     * The rows of the view for {@code [$1, $2)} (days; null: unbounded) and agents {@code $3}
     * (null: all), ordered by day and the view's keys. Names come from this enum, never a request.
     */
    String sql() {
        StringBuilder sql = new StringBuilder("SELECT ");
        sql.append(String.join(", ", columns.stream().map(Column::selectExpression).toList()));
        sql.append(from()).append(" ORDER BY ");
        for (int i = 0; i < keys; i++) {
            Column key = columns.get(i);
            sql.append(i > 0 ? ", " : "").append(key.name())
                    .append(key.type() == Type.TEXT ? " COLLATE \"C\" NULLS FIRST" : "");
        }
        return sql.toString();
    }

    /** How many rows {@link #sql} gives, counting at most {@code $4}: enough to tell a range over the cap. */
    String countSql() {
        return "SELECT count(*) FROM (SELECT 1" + from() + " LIMIT $4) AS capped";
    }

    private String from() {
        return " FROM training_data." + id + "_between(coalesce($1::date, '-infinity'),"
                + " coalesce($2::date, 'infinity'), $3::text[])";
    }

    public static Optional<AnalyticsView> byId(String id) {
        return Arrays.stream(values()).filter(view -> view.id.equals(id)).findFirst();
    }

    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(AnalyticsView::id).toList());
    }
}
