package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.trainingstore.export.ExportRequest.Format;
import ai.trainingstore.export.ExportRequest.InvalidExportException;
import ai.trainingstore.kind.RecordKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unit test of export request parsing (contract section 4): every parameter, the
 * {@code start_date}/{@code end_date} aliases, bounds out of range, NUL, repeated and unknown
 * parameters, and gzip negotiation. A mistake is always refused with a sentence naming the
 * parameter, never turned into a silent full export.
 */
class ExportRequestTest {

    private static Map<String, List<String>> query(String... namesAndValues) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            query.computeIfAbsent(namesAndValues[i], name -> new ArrayList<>()).add(namesAndValues[i + 1]);
        }
        return query;
    }

    private static ExportRequest parse(RecordKind kind, String... namesAndValues) {
        return ExportRequest.parse(kind, query(namesAndValues), null);
    }

    private static ExportRequest parse(String... namesAndValues) {
        return parse(RecordKind.EVENTS, namesAndValues);
    }

    private static void assertRefused(RecordKind kind, String[] namesAndValues, String... words) {
        assertThatThrownBy(() -> parse(kind, namesAndValues)).as("%s", List.of(namesAndValues))
                .isInstanceOf(InvalidExportException.class).message().contains(words).endsWith(".");
    }

    private static void assertRefused(String[] namesAndValues, String... words) {
        assertRefused(RecordKind.EVENTS, namesAndValues, words);
    }

    private static String[] q(String... namesAndValues) {
        return namesAndValues;
    }

    // ---- defaults and format ----

    @Test
    void noParameterIsAFullJsonlExport() {
        ExportRequest request = parse();
        assertThat(request.kind()).isEqualTo(RecordKind.EVENTS);
        assertThat(request.format()).isEqualTo(Format.JSONL);
        assertThat(request.from()).isEmpty();
        assertThat(request.to()).isEmpty();
        assertThat(request.filters()).isEmpty();
        assertThat(request.limit()).isEmpty();
        assertThat(request.after()).isEmpty();
        assertThat(request.gzip()).isFalse();
        assertThat(request.fileName()).isEqualTo("events.jsonl");
    }

    @Test
    void formatIsJsonlOrCsv() {
        assertThat(parse("format", "jsonl").format()).isEqualTo(Format.JSONL);
        assertThat(parse("format", "csv").format()).isEqualTo(Format.CSV);
        assertThat(Format.JSONL.mediaType()).isEqualTo("application/x-ndjson");
        assertThat(Format.CSV.mediaType()).isEqualTo("text/csv");
        assertThat(ExportRequest.parse(RecordKind.FEEDBACK, query("format", "csv"), "gzip").fileName())
                .isEqualTo("feedback.csv.gz");
        for (String format : List.of("xml", "CSV", "json", "", " csv")) {
            assertRefused(q("format", format), "Unknown format", "jsonl", "csv");
        }
    }

    // ---- range ----

    @Test
    void fromAndToAreInstantsOrDatesAtMidnightUtc() {
        ExportRequest request = parse("from", "2026-04-01T12:00:00.5+02:00", "to", "2026-04-02");
        assertThat(request.from()).contains(Instant.parse("2026-04-01T10:00:00.5Z"));
        assertThat(request.to()).as("to as a date: 00:00 UTC, exclusive").contains(Instant.parse("2026-04-02T00:00:00Z"));
        assertThat(parse("from", "2026-04-01").from()).contains(Instant.parse("2026-04-01T00:00:00Z"));
        assertThat(parse("to", "2026-04-01T10:00:00.000001Z").to()).contains(Instant.parse("2026-04-01T10:00:00.000001Z"));
    }

    @Test
    void startDateAndEndDateAreAliasesAndEndDateAsADateIncludesThatDay() {
        assertThat(parse("start_date", "2026-04-01").from()).contains(Instant.parse("2026-04-01T00:00:00Z"));
        assertThat(parse("start_date", "2026-04-01T10:00:00Z").from()).contains(Instant.parse("2026-04-01T10:00:00Z"));
        assertThat(parse("end_date", "2026-04-01").to()).as("the whole day").contains(Instant.parse("2026-04-02T00:00:00Z"));
        assertThat(parse("end_date", "2026-04-01T10:00:00Z").to()).as("an instant: exclusive like to")
                .contains(Instant.parse("2026-04-01T10:00:00Z"));
        assertThat(parse("start_date", "2026-04-01", "end_date", "2026-04-01").to())
                .contains(Instant.parse("2026-04-02T00:00:00Z"));
        assertThat(parse("from", "2026-04-01T10:00:00Z", "end_date", "2026-04-01").to())
                .contains(Instant.parse("2026-04-02T00:00:00Z"));
        assertRefused(q("from", "2026-04-01", "start_date", "2026-04-01"), "'from'", "'start_date'", "not both");
        assertRefused(q("to", "2026-04-02", "end_date", "2026-04-01"), "'to'", "'end_date'", "not both");
    }

    @Test
    void aBoundFinerThanAMicrosecondMovesUpToTheNextMicrosecond() {
        assertThat(parse("from", "2026-04-01T10:00:00.0000005Z").from()).contains(Instant.parse("2026-04-01T10:00:00.000001Z"));
        assertThat(parse("to", "2026-04-01T10:00:00.000000001Z").to()).contains(Instant.parse("2026-04-01T10:00:00.000001Z"));
        assertThat(parse("to", "2026-04-01T10:00:00.000001000Z").to()).contains(Instant.parse("2026-04-01T10:00:00.000001Z"));
    }

    @Test
    void fromMustBeBeforeTo() {
        assertRefused(q("from", "2026-04-02", "to", "2026-04-01"), "'from'", "before", "'to'");
        assertRefused(q("from", "2026-04-01T00:00:00Z", "to", "2026-04-01T00:00:00Z"), "'from'", "before");
        assertRefused(q("from", "2026-04-01T02:00:00+02:00", "to", "2026-04-01T00:00:00Z"), "'from'", "before");
        assertRefused(q("start_date", "2026-04-02", "end_date", "2026-04-01T00:00:00Z"), "'from'", "before");
        assertThat(parse("start_date", "2026-04-01", "end_date", "2026-04-01").from()).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-13-01", "2026-02-30", "2026-04-01T10:00:00", "2026-04-01 10:00:00Z",
            "1775044800000", "", "2026-4-1", "2026-04-01T25:00:00Z"})
    void aBadDateIsRefused(String value) {
        for (String parameter : List.of("from", "to", "start_date", "end_date")) {
            assertRefused(q(parameter, value), "'" + parameter + "'", "ISO-8601");
        }
    }

    @Test
    void boundsOutsideTheStorableRangeAreRefused() {
        for (String value : List.of("0000-12-31", "-0001-01-01T00:00:00Z", "+10000-01-01T00:00:00.000001Z",
                "+10000-01-02", "+99999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z")) {
            for (String parameter : List.of("from", "to")) {
                assertThatThrownBy(() -> parse(parameter, value)).as("%s=%s", parameter, value)
                        .isInstanceOf(InvalidExportException.class).message().contains("'" + parameter + "'");
            }
        }
        assertRefused(q("from", "0000-12-31"), "between 0001-01-01 and 9999-12-31");
        assertThat(parse("from", "0001-01-01").from()).contains(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(parse("to", "9999-12-31T23:59:59.999999Z").to()).isPresent();
        assertThat(parse("end_date", "9999-12-31").to()).as("the whole last day")
                .contains(Instant.parse("+10000-01-01T00:00:00Z"));
    }

    // ---- limit and after ----

    @Test
    void limitIsAWholeNumberOfRowsZeroOrMore() {
        assertThat(parse("limit", "0").limit()).contains(0L);
        assertThat(parse("limit", "1000000").limit()).contains(1_000_000L);
        assertThat(parse("limit", String.valueOf(Long.MAX_VALUE)).limit()).contains(Long.MAX_VALUE);
        for (String value : List.of("-1", "1.5", "abc", "", " 1", "1e3", "99999999999999999999", "0x10")) {
            assertRefused(q("limit", value), "'limit'", "whole number");
        }
    }

    @Test
    void afterIsTheOccurredAtAndIdentityOfTheLastRowReceived() {
        Optional<ExportRequest.Cursor> after = parse("after", "2026-01-31T12:00:00.123456Z|evt-42").after();
        assertThat(after).contains(new ExportRequest.Cursor(Instant.parse("2026-01-31T12:00:00.123456Z"), "evt-42"));
        assertThat(parse("after", "2026-01-31T13:00:00+01:00|training:events/1-0|x").after())
                .as("the identity may hold '|' and ':'")
                .contains(new ExportRequest.Cursor(Instant.parse("2026-01-31T12:00:00Z"), "training:events/1-0|x"));
        assertThat(parse(RecordKind.FEEDBACK, "after", "2026-01-31T12:00:00Z|task/t-1/reward/").after().orElseThrow()
                .identity()).isEqualTo("task/t-1/reward/");
        for (String value : List.of("evt-42", "2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z|", "|evt-42",
                "yesterday|evt-42", "2026-01-31T12:00:00.1234567Z|evt-42", "2026-01-31|evt-42",
                "+10000-01-01T00:00:00.000001Z|evt")) {
            assertRefused(q("after", value), "'after'", "<occurred_at>|<identity>");
        }
    }

    // ---- filters ----

    @ParameterizedTest
    @EnumSource(RecordKind.class)
    void everyTextFieldOfTheKindIsAFilterAndNothingElse(RecordKind kind) {
        List<String> text = kind.fields().stream().filter(field -> field.type() == ai.trainingstore.kind.ColumnType.TEXT)
                .map(ai.trainingstore.kind.Column::name).toList();
        assertThat(ExportRequest.filterableColumns(kind)).containsExactlyElementsOf(text);
        for (String column : text) {
            assertThat(parse(kind, column, "v").filters()).containsExactly(Map.entry(column, List.of("v")));
        }
        for (var column : kind.columns()) {
            if (!text.contains(column.name())) {
                assertRefused(kind, q(column.name(), "x"), "Unknown parameter", "'" + column.name() + "'");
            }
        }
    }

    @Test
    void feedbackFiltersOnItsTargetNameSourceAndAgent() {
        assertThat(ExportRequest.filterableColumns(RecordKind.FEEDBACK)).containsExactly("target_kind", "target_id",
                "name", "label", "comment", "source", "agent_id", "feedback_id");
        ExportRequest request = parse(RecordKind.FEEDBACK, "target_kind", "task", "target_kind", "conversation",
                "name", "reward", "source", "human", "agent_id", "a-1", "target_id", "t-1");
        assertThat(request.filters()).containsExactly(Map.entry("target_kind", List.of("task", "conversation")),
                Map.entry("name", List.of("reward")), Map.entry("source", List.of("human")),
                Map.entry("agent_id", List.of("a-1")), Map.entry("target_id", List.of("t-1")));
        assertRefused(RecordKind.FEEDBACK, q("value", "0.5"), "Unknown parameter", "'value'", "target_kind");
    }

    @Test
    void aRepeatedFilterMeansAnyOfItsValuesKeptExactly() {
        ExportRequest request = parse("agent_id", "a", "agent_id", " b ", "agent_id", "", "event_type", "x' OR '1'='1");
        assertThat(request.filters()).containsExactly(Map.entry("agent_id", List.of("a", " b ", "")),
                Map.entry("event_type", List.of("x' OR '1'='1")));
    }

    @Test
    void aRepeatedOwnParameterIsRefused() {
        for (String[] namesAndValues : List.of(q("format", "csv", "format", "csv"), q("limit", "1", "limit", "2"),
                q("from", "2026-01-01", "from", "2026-01-02"), q("to", "2026-01-01", "to", "2026-01-02"),
                q("start_date", "2026-01-01", "start_date", "2026-01-01"), q("end_date", "2026-01-01", "end_date", "2026-01-02"),
                q("after", "2026-01-01T00:00:00Z|a", "after", "2026-01-01T00:00:00Z|b"))) {
            assertRefused(namesAndValues, "'" + namesAndValues[0] + "'", "2 times", "once");
        }
    }

    @Test
    void anUnknownParameterIsRefusedWithTheKindsFilters() {
        assertRefused(q("colour", "red"), "Unknown parameter 'colour'", "format, from, to", "event_type, agent_id");
        assertRefused(q("Format", "csv"), "'Format'");
        assertRefused(q("agent_id ", "a"), "'agent_id '");
        assertRefused(q("stream_entry_id", "1-0"), "'stream_entry_id'");
        assertRefused(RecordKind.MESSAGES, q("seq", "1"), "'seq'", "conversation_id");
        assertRefused(RecordKind.TOOL_EXECUTIONS, q("duration_ms", "5"), "'duration_ms'");
        assertRefused(q("agent_id\nX-Forged: 1", "a"), "agent_id\\u000aX-Forged: 1");
    }

    @Test
    void aNulCharacterIsRefusedInANameOrAValue() {
        assertRefused(q("agent_id", "a\u0000b"), "'agent_id'", "NUL");
        assertRefused(q("from", "2026-01-01\u0000"), "'from'", "NUL");
        assertRefused(q("agent\u0000id", "a"), "NUL");
    }

    // ---- gzip ----

    @Test
    void gzipOnlyWhenTheClientAcceptsIt() {
        Map<String, Boolean> cases = new LinkedHashMap<>();
        cases.put(null, false);
        cases.put("", false);
        cases.put("gzip", true);
        cases.put("GZIP", true);
        cases.put("deflate, gzip;q=0.5", true);
        cases.put("br;q=1.0, gzip;q=0.8, *;q=0.1", true);
        cases.put(" gzip ; q=1 ", true);
        cases.put("gzip;q=0.001", true);
        cases.put("gzip;q=0", false);
        cases.put("gzip;q=0.0", false);
        cases.put("gzip; q=0.000", false);
        cases.put("gzip;Q=0", false);
        cases.put("deflate", false);
        cases.put("br, identity", false);
        cases.put("x-gzip", false);
        cases.put("gzipped", false);
        cases.forEach((header, gzip) -> assertThat(ExportRequest.parse(RecordKind.EVENTS, query(), header).gzip())
                .as("Accept-Encoding: %s", header).isEqualTo(gzip));
    }
}
