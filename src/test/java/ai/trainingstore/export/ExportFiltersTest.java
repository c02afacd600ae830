package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The row selection of an export (contract section 4): {@code from} inclusive and {@code to}
 * exclusive on occurred_at to the microsecond, dates as 00:00 UTC, the {@code start_date} and
 * {@code end_date} aliases, a filter on each text column, repeated and combined filters, and
 * {@code limit}. Every request names a value unique to the test, so rows of other tests and runs
 * never count.
 */
@QuarkusTest
class ExportFiltersTest extends ExportTestSupport {

    // ---- occurred_at ranges ----

    /** Events of one agent at instants around the edges the range tests use, by name, in time order. */
    private static final Map<String, String> AROUND_EDGES = new LinkedHashMap<>();

    static {
        AROUND_EDGES.put("day-before", "2026-03-31T23:59:59.999999Z");
        AROUND_EDGES.put("day-start", "2026-04-01T00:00:00.000000Z");
        AROUND_EDGES.put("before-edge", "2026-04-01T09:59:59.999999Z");
        AROUND_EDGES.put("edge", "2026-04-01T10:00:00.000000Z");
        AROUND_EDGES.put("after-edge", "2026-04-01T10:00:00.000001Z");
        AROUND_EDGES.put("day-end", "2026-04-01T23:59:59.999999Z");
        AROUND_EDGES.put("next-day", "2026-04-02T00:00:00.000000Z");
        AROUND_EDGES.put("later", "2026-04-02T12:00:00.000000Z");
    }

    private static String rangeAgent;
    private static Map<String, String> rangeIds;

    /** Publishes the range events once per test run; returns the agent that scopes them. */
    private synchronized String rangeAgent() {
        if (rangeAgent == null) {
            String agent = unique("range-agent");
            Map<String, String> ids = new LinkedHashMap<>();
            List<Map<String, String>> entries = new ArrayList<>();
            // Published in reverse, so that stream order is not the order the export must give.
            List<String> names = new ArrayList<>(AROUND_EDGES.keySet());
            Collections.reverse(names);
            for (String name : names) {
                String id = unique("range-" + name);
                ids.put(name, id);
                entries.add(fields("event_id", id, "event_type", "ranged", "agent_id", agent,
                        "occurred_at", AROUND_EDGES.get(name)));
            }
            awaitStored(EVENTS, xaddTogether(EVENTS, entries));
            assertThat(query("SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at"
                    + " FROM training_data.training_events WHERE agent_id = ? ORDER BY occurred_at", agent)
                    .stream().map(row -> row.get("at")).toList())
                    .as("stored instants").isEqualTo(List.copyOf(AROUND_EDGES.values()));
            rangeIds = ids;
            rangeAgent = agent;
        }
        return rangeAgent;
    }

    /** The names of the range events an export with these parameters returns, in order. */
    private List<String> rangeExport(String... namesAndValues) {
        String agent = rangeAgent();
        List<String> params = new ArrayList<>(List.of("agent_id", agent));
        params.addAll(Arrays.asList(namesAndValues));
        Map<String, String> nameOfId = new LinkedHashMap<>();
        rangeIds.forEach((name, id) -> nameOfId.put(id, name));
        List<String> jsonl = identities(Kind.EVENT, jsonlBody(Kind.EVENT, params.toArray(String[]::new)))
                .stream().map(nameOfId::get).toList();
        List<String> csv = csvRows(Kind.EVENT, csvBody(Kind.EVENT, params.toArray(String[]::new))).stream()
                .map(record -> nameOfId.get(record.get(csvIdentityColumn()))).toList();
        assertThat(csv).as("CSV export selects the same rows as JSONL for %s", params).isEqualTo(jsonl);
        return jsonl;
    }

    private static int csvIdentityColumn() {
        return recordKind(Kind.EVENT).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList().indexOf("event_id");
    }

    private static List<String> names(String... names) {
        return List.of(names);
    }

    @Test
    void fromIsInclusiveAtTheExactMicrosecond() {
        assertThat(rangeExport("from", "2026-04-01T10:00:00Z"))
                .isEqualTo(names("edge", "after-edge", "day-end", "next-day", "later"));
        assertThat(rangeExport("from", "2026-04-01T10:00:00.000001Z"))
                .isEqualTo(names("after-edge", "day-end", "next-day", "later"));
        assertThat(rangeExport("from", "2026-04-01T09:59:59.999999Z"))
                .isEqualTo(names("before-edge", "edge", "after-edge", "day-end", "next-day", "later"));
    }

    @Test
    void toIsExclusiveAtTheExactMicrosecond() {
        assertThat(rangeExport("to", "2026-04-01T10:00:00Z"))
                .isEqualTo(names("day-before", "day-start", "before-edge"));
        assertThat(rangeExport("to", "2026-04-01T10:00:00.000001Z"))
                .isEqualTo(names("day-before", "day-start", "before-edge", "edge"));
    }

    @Test
    void fromAndToTogetherSelectTheHalfOpenRange() {
        assertThat(rangeExport("from", "2026-04-01T10:00:00Z", "to", "2026-04-01T10:00:00.000001Z"))
                .as("a one-microsecond range").isEqualTo(names("edge"));
        assertThat(rangeExport("from", "2026-04-01T09:59:59.999999Z", "to", "2026-04-01T23:59:59.999999Z"))
                .isEqualTo(names("before-edge", "edge", "after-edge"));
    }

    /**
     * occurred_at has microseconds; a bound given with nanoseconds must either be refused or
     * select exactly the rows on its side of it, never be truncated so that a row outside the
     * range is included (from) or a row inside it left out (to).
     */
    @Test
    void aBoundFinerThanAMicrosecondIsRefusedOrExact() {
        String agent = rangeAgent();
        String between = "2026-04-01T10:00:00.0000005Z";
        for (String parameter : List.of("from", "to")) {
            Response response = get(Kind.EVENT, params("agent_id", agent, parameter, between));
            if (response.statusCode() == 400) {
                continue;
            }
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(rangeExport(parameter, between)).as("%s=%s (between 'edge' and 'after-edge')", parameter,
                    between).isEqualTo(parameter.equals("from")
                    ? names("after-edge", "day-end", "next-day", "later")
                    : names("day-before", "day-start", "before-edge", "edge"));
        }
    }

    @Test
    void anInstantWithAnOffsetIsTheSameInstantInUtc() {
        assertThat(rangeExport("from", "2026-04-01T12:00:00.000001+02:00"))
                .isEqualTo(rangeExport("from", "2026-04-01T10:00:00.000001Z"));
        assertThat(rangeExport("to", "2026-04-01T05:00:00-05:00"))
                .isEqualTo(names("day-before", "day-start", "before-edge"));
    }

    @Test
    void aDateMeansMidnightUtc() {
        assertThat(rangeExport("from", "2026-04-01"))
                .isEqualTo(names("day-start", "before-edge", "edge", "after-edge", "day-end", "next-day", "later"));
        assertThat(rangeExport("to", "2026-04-01")).as("to as a date stays exclusive").isEqualTo(names("day-before"));
        assertThat(rangeExport("from", "2026-04-01", "to", "2026-04-02"))
                .isEqualTo(names("day-start", "before-edge", "edge", "after-edge", "day-end"));
    }

    @Test
    void startDateIsAnAliasOfFrom() {
        assertThat(rangeExport("start_date", "2026-04-01")).isEqualTo(rangeExport("from", "2026-04-01"));
        assertThat(rangeExport("start_date", "2026-04-01T10:00:00Z"))
                .isEqualTo(names("edge", "after-edge", "day-end", "next-day", "later"));
    }

    @Test
    void endDateAsADateIncludesThatWholeDay() {
        assertThat(rangeExport("end_date", "2026-04-01"))
                .isEqualTo(names("day-before", "day-start", "before-edge", "edge", "after-edge", "day-end"));
        assertThat(rangeExport("start_date", "2026-04-01", "end_date", "2026-04-01"))
                .isEqualTo(names("day-start", "before-edge", "edge", "after-edge", "day-end"));
        assertThat(rangeExport("from", "2026-04-01T10:00:00Z", "end_date", "2026-04-01"))
                .isEqualTo(names("edge", "after-edge", "day-end"));
    }

    @Test
    void endDateAsAnInstantIsExclusiveLikeTo() {
        assertThat(rangeExport("end_date", "2026-04-01T10:00:00Z"))
                .isEqualTo(names("day-before", "day-start", "before-edge"));
        assertThat(rangeExport("end_date", "2026-04-02T00:00:00Z"))
                .isEqualTo(rangeExport("to", "2026-04-02T00:00:00Z"));
    }

    // ---- text-column filters ----

    /** The column that scopes a kind's test rows: one value shared by the three rows, unique to the test. */
    private static String scopeColumn(Kind kind) {
        return switch (kind) {
            case EVENT, TASK, TOOL_EXECUTION, FEEDBACK -> "agent_id";
            case WORKFLOW -> "workflow_type";
            case MESSAGE -> "conversation_id";
        };
    }

    /**
     * Text columns that take one of a few values: A and C get the first, B the second; the third
     * is one no row has.
     */
    private static final Map<String, List<String>> ENUMERATED = Map.of(
            "role", List.of("user", "assistant", "system"),
            "target_kind", List.of("task", "conversation", "tool_execution"));

    /** Rows A, B and C of one kind, each with every text column set. */
    private record Trio(Kind kind, String scope, Map<String, Map<String, String>> rows, Map<String, String> ids) {
        String value(String row, String column) {
            return rows.get(row).get(column);
        }

        /** The row names among A, B, C in export order, as the database orders them. */
        List<String> inExportOrder(List<String> identitiesInOrder) {
            Map<String, String> nameOfId = new LinkedHashMap<>();
            ids.forEach((name, id) -> nameOfId.put(id, name));
            return identitiesInOrder.stream().map(nameOfId::get).toList();
        }
    }

    /**
     * Publishes rows A, B and C: the scope column has one value for all three; every other text
     * column has a value shared by A and C and another for B (unique to the test and full of
     * characters URLs must escape), except the identity, which is each row's own, and a message's
     * role or a feedback's target_kind, which can only be one of a few ({@link #ENUMERATED}).
     */
    private Trio publishTrio(Kind kind) {
        String scopeColumn = scopeColumn(kind);
        String scope = unique("filter-scope");
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        for (String row : List.of("A", "B", "C")) {
            rows.put(row, new LinkedHashMap<>());
        }
        for (String column : filterableColumns(kind)) {
            String shared = unique("filter-" + column + "-shared");
            String forB = unique("filter-" + column + " b&c=d+e %2F|?#é");
            for (String row : List.of("A", "B", "C")) {
                String value;
                if (column.equals(scopeColumn)) {
                    value = scope;
                } else if (column.equals(kind.identity())) {
                    value = unique("filter-" + row + "-id") + (row.equals("B") ? " b&c=d+e %2F|?#é" : "");
                } else if (ENUMERATED.containsKey(column)) {
                    value = row.equals("B") ? ENUMERATED.get(column).get(1) : ENUMERATED.get(column).get(0);
                } else {
                    value = row.equals("B") ? forB : shared;
                }
                rows.get(row).put(column, value);
            }
        }
        List<Map<String, String>> entries = new ArrayList<>();
        rows.values().forEach(row -> entries.add(new LinkedHashMap<>(row)));
        awaitStored(kind.stream(), xaddTogether(kind.stream(), entries));
        Map<String, String> ids = new LinkedHashMap<>();
        rows.forEach((name, row) -> ids.put(name, row.get(kind.identity())));
        assertThat(expectedIdentities(kind, scopeColumn + " = ?", scope)).as("stored rows")
                .containsExactlyInAnyOrderElementsOf(ids.values());
        return new Trio(kind, scope, rows, ids);
    }

    /** The names of the trio's rows an export returns (both formats checked to agree), in order. */
    private List<String> trioExport(Trio trio, String... namesAndValues) {
        Kind kind = trio.kind();
        List<String> jsonl = identities(kind, jsonlBody(kind, namesAndValues));
        int identity = recordKind(kind).exportedColumns().stream().map(ai.trainingstore.kind.Column::name).toList()
                .indexOf(kind.identity());
        List<String> csv = csvRows(kind, csvBody(kind, namesAndValues)).stream().map(r -> r.get(identity)).toList();
        assertThat(csv).as("CSV export selects the same rows as JSONL").isEqualTo(jsonl);
        assertThat(trio.ids().values()).as("only rows of this test are exported").containsAll(jsonl);
        return trio.inExportOrder(jsonl);
    }

    /** The names, in the order the database sorts those rows. */
    private List<String> ordered(Trio trio, String... names) {
        Set<String> wanted = Set.of(names);
        return trio.inExportOrder(expectedIdentities(trio.kind(), scopeColumn(trio.kind()) + " = ?", trio.scope()))
                .stream().filter(wanted::contains).toList();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void eachTextColumnFiltersOnItsExactValue(Kind kind) {
        Trio trio = publishTrio(kind);
        String scopeColumn = scopeColumn(kind);
        for (String column : filterableColumns(kind)) {
            String described = urlName(kind) + "." + column;
            if (column.equals(scopeColumn)) {
                assertThat(trioExport(trio, column, trio.scope())).as(described)
                        .isEqualTo(ordered(trio, "A", "B", "C"));
            } else if (ENUMERATED.containsKey(column)) {
                List<String> values = ENUMERATED.get(column);
                assertThat(trioExport(trio, scopeColumn, trio.scope(), column, values.get(0))).as(described)
                        .isEqualTo(ordered(trio, "A", "C"));
                assertThat(trioExport(trio, scopeColumn, trio.scope(), column, values.get(1))).as(described)
                        .isEqualTo(names("B"));
                assertThat(trioExport(trio, scopeColumn, trio.scope(), column, values.get(2))).as(described).isEmpty();
            } else if (column.equals(kind.identity())) {
                assertThat(trioExport(trio, column, trio.value("A", column))).as(described).isEqualTo(names("A"));
                assertThat(trioExport(trio, column, trio.value("B", column))).as(described).isEqualTo(names("B"));
            } else {
                assertThat(trioExport(trio, column, trio.value("A", column))).as(described)
                        .isEqualTo(ordered(trio, "A", "C"));
                assertThat(trioExport(trio, column, trio.value("B", column))).as(described).isEqualTo(names("B"));
                assertThat(trioExport(trio, column, trio.value("A", column).toUpperCase(Locale.ROOT)))
                        .as(described + ": matched exactly, case included").isEmpty();
                assertThat(trioExport(trio, column, trio.value("A", column) + " "))
                        .as(described + ": matched exactly, spaces included").isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRepeatedFilterMatchesAnyOfItsValues(Kind kind) {
        Trio trio = publishTrio(kind);
        for (String column : filterableColumns(kind)) {
            String described = urlName(kind) + "." + column;
            if (column.equals(scopeColumn(kind))) {
                assertThat(trioExport(trio, column, trio.scope(), column, unique("nobody"))).as(described)
                        .isEqualTo(ordered(trio, "A", "B", "C"));
            } else if (ENUMERATED.containsKey(column)) {
                List<String> values = ENUMERATED.get(column);
                assertThat(trioExport(trio, scopeColumn(kind), trio.scope(), column, values.get(0), column,
                        values.get(1))).as(described).isEqualTo(ordered(trio, "A", "B", "C"));
                assertThat(trioExport(trio, scopeColumn(kind), trio.scope(), column, values.get(1), column,
                        values.get(2))).as(described).isEqualTo(names("B"));
            } else if (column.equals(kind.identity())) {
                assertThat(trioExport(trio, column, trio.value("A", column), column, trio.value("B", column)))
                        .as(described).isEqualTo(ordered(trio, "A", "B"));
            } else {
                assertThat(trioExport(trio, column, trio.value("B", column), column, trio.value("A", column)))
                        .as(described).isEqualTo(ordered(trio, "A", "B", "C"));
            }
        }
    }

    @Test
    void differentFiltersCombineWithAnd() {
        Trio trio = publishTrio(Kind.EVENT);
        assertThat(trioExport(trio, "agent_id", trio.scope(), "event_type", trio.value("B", "event_type")))
                .isEqualTo(names("B"));
        assertThat(trioExport(trio, "event_type", trio.value("A", "event_type"), "task_id", trio.value("A", "task_id")))
                .isEqualTo(ordered(trio, "A", "C"));
        assertThat(trioExport(trio, "event_type", trio.value("A", "event_type"), "task_id", trio.value("B", "task_id")))
                .as("no row has both").isEmpty();
        assertThat(trioExport(trio, "event_id", trio.value("C", "event_id"), "event_type", trio.value("A", "event_type"),
                "event_type", trio.value("B", "event_type"), "session_id", trio.value("C", "session_id")))
                .isEqualTo(names("C"));
    }

    @Test
    void feedbackFiltersOnTargetNameSourceAndAgentCombine() {
        Trio trio = publishTrio(Kind.FEEDBACK);
        assertThat(trioExport(trio, "agent_id", trio.scope(), "target_kind", "task")).isEqualTo(ordered(trio, "A", "C"));
        assertThat(trioExport(trio, "agent_id", trio.scope(), "target_kind", "conversation")).isEqualTo(names("B"));
        assertThat(trioExport(trio, "target_id", trio.value("B", "target_id"), "name", trio.value("B", "name"),
                "source", trio.value("B", "source"))).isEqualTo(names("B"));
        assertThat(trioExport(trio, "target_kind", "task", "name", trio.value("A", "name"), "source",
                trio.value("A", "source"), "agent_id", trio.scope())).isEqualTo(ordered(trio, "A", "C"));
        assertThat(trioExport(trio, "target_kind", "conversation", "name", trio.value("A", "name")))
                .as("no row has both").isEmpty();
        assertThat(trioExport(trio, "name", trio.value("A", "name"), "source", trio.value("B", "source")))
                .as("no row has both").isEmpty();
    }

    @Test
    void aFilterValueIsDataNeverSql() {
        Trio trio = publishTrio(Kind.EVENT);
        assertThat(trioExport(trio, "agent_id", trio.scope() + "' OR '1'='1")).isEmpty();
        assertThat(trioExport(trio, "agent_id", trio.scope(), "event_type", "x') OR ('1'='1")).isEmpty();
        assertThat(trioExport(trio, "agent_id", trio.scope(), "event_type", "%")).as("no pattern matching").isEmpty();
    }

    // ---- limit ----

    @Test
    void limitCapsTheRowsInExportOrder() {
        Trio trio = publishTrio(Kind.EVENT);
        List<String> all = ordered(trio, "A", "B", "C");
        assertThat(trioExport(trio, "agent_id", trio.scope(), "limit", "1")).isEqualTo(all.subList(0, 1));
        assertThat(trioExport(trio, "agent_id", trio.scope(), "limit", "2")).isEqualTo(all.subList(0, 2));
        assertThat(trioExport(trio, "agent_id", trio.scope(), "limit", "3")).isEqualTo(all);
        assertThat(trioExport(trio, "agent_id", trio.scope(), "limit", "1000000")).isEqualTo(all);
        List<String> ofAandC = ordered(trio, "A", "C");
        assertThat(trioExport(trio, "event_type", trio.value("A", "event_type"), "limit", "1"))
                .as("limit applies after the filter").isEqualTo(ofAandC.subList(0, 1));
    }

    @Test
    void limitZeroExportsNoRowButStillTheCsvHeader() {
        Trio trio = publishTrio(Kind.EVENT);
        assertThat(jsonlBody(Kind.EVENT, "agent_id", trio.scope(), "limit", "0")).isEmpty();
        String csv = csvBody(Kind.EVENT, "agent_id", trio.scope(), "limit", "0");
        assertThat(csvRows(Kind.EVENT, csv)).isEmpty();
        assertThat(csv).isEqualTo(String.join(",", recordKind(Kind.EVENT).exportedColumns().stream()
                .map(ai.trainingstore.kind.Column::name).toList()) + "\r\n");
    }
}
