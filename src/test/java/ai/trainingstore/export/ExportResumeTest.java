package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Resuming an export (contract section 4): {@code after=<occurred_at>|<identity>} of the last row
 * received gives exactly the rest, with no gap and no duplicate, in both formats, also where rows
 * share an occurred_at (the identity breaks the tie) and where the identity holds characters a URL
 * must escape, '|' among them.
 */
@QuarkusTest
class ExportResumeTest extends ExportTestSupport {

    private static final int ROWS = 50;

    /** Identities chosen to be awkward in a URL and in a cursor; the rest are random or the default. */
    private static final List<String> AWKWARD_IDS = List.of("has|bar|twice", "plus+and space", "amp&eq=pct%25",
            "slash/question?hash#", "ünï-✓-🚀", "Z-upper", "a-lower", "000-digits");

    private static String agent;
    private static String typeA;
    private static String typeB;

    /**
     * Publishes the 50 events once per test run: ten occurred_at values a microsecond apart, five
     * events each, identities in an order unrelated to the stream order, two event types.
     */
    private synchronized String agent() {
        if (agent == null) {
            String newAgent = unique("resume-agent");
            String a = unique("resume-type-a");
            String b = unique("resume-type-b");
            List<Map<String, String>> entries = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) {
                String occurredAt = "2026-06-01T12:00:00.00000" + (9 - i % 10) + "Z";
                Map<String, String> entry = fields("event_type", i % 3 == 0 ? a : b, "agent_id", newAgent,
                        "occurred_at", occurredAt, "seq", Integer.toString(i),
                        // Every column set: this test is about cursors, not about how null is written.
                        "task_id", "task-" + i, "workflow_id", "wf-" + i % 5, "session_id", "s", "payload", "{\"i\": " + i + "}");
                if (i < AWKWARD_IDS.size()) {
                    entry.put("event_id", AWKWARD_IDS.get(i) + "-" + newAgent);
                } else if (i % 4 != 0) {
                    entry.put("event_id", unique("resume"));
                }
                // else: no event_id, so the identity is <stream>/<entry id>, with ':' and '/' in it.
                entries.add(entry);
            }
            awaitStored(EVENTS, xaddTogether(EVENTS, entries));
            assertThat(count("SELECT count(*) FROM training_data.training_events WHERE agent_id = ?", newAgent))
                    .isEqualTo(ROWS);
            typeA = a;
            typeB = b;
            agent = newAgent;
        }
        return agent;
    }

    /** The cursor of a JSONL line: its occurred_at and identity. */
    private static String cursorOf(String jsonlLine) {
        JsonNode row = parse(jsonlLine);
        return row.get("occurred_at").asText() + "|" + row.get("event_id").asText();
    }

    /** The cursor of a CSV record. */
    private static String cursorOf(List<String> header, List<String> record) {
        return record.get(header.indexOf("occurred_at")) + "|" + record.get(header.indexOf("event_id"));
    }

    /** The indexes to resume after: the edges, a few in between, and every place within a tie. */
    private static List<Integer> cutPoints(List<String> cursors) {
        TreeSet<Integer> cuts = new TreeSet<>(List.of(0, 1, 2, 13, 24, 25, 37, ROWS - 2, ROWS - 1));
        for (int k = 0; k + 1 < cursors.size(); k++) {
            String here = cursors.get(k).substring(0, cursors.get(k).indexOf('|'));
            String next = cursors.get(k + 1).substring(0, cursors.get(k + 1).indexOf('|'));
            if (here.equals(next) && k % 3 == 0) {
                cuts.add(k);
            }
        }
        return List.copyOf(cuts);
    }

    @Test
    void theFullExportIsInOccurredAtThenIdentityOrder() {
        String agent = agent();
        List<String> lines = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent));
        assertThat(lines).hasSize(ROWS);
        assertThat(lines.stream().map(line -> parse(line).get("event_id").asText()).toList())
                .isEqualTo(expectedIdentities(Kind.EVENT, "agent_id = ?", agent));
        assertThat(lines.stream().map(line -> parse(line).get("occurred_at").asText()).distinct().count())
                .as("ties on occurred_at").isEqualTo(10);
    }

    @Test
    void resumingJsonlAfterAnyRowGivesExactlyTheRest() {
        String agent = agent();
        List<String> full = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent));
        assertThat(full).hasSize(ROWS);
        List<String> cursors = full.stream().map(ExportResumeTest::cursorOf).toList();
        for (int k : cutPoints(cursors)) {
            List<String> rest = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent, "after", cursors.get(k)));
            List<String> joined = new ArrayList<>(full.subList(0, k + 1));
            joined.addAll(rest);
            assertThat(joined).as("rows 0..%d then the export after %s", k, cursors.get(k)).isEqualTo(full);
        }
    }

    @Test
    void resumingCsvAfterAnyRecordGivesExactlyTheRest() {
        String agent = agent();
        List<List<String>> full = csvRows(Kind.EVENT, csvBody(Kind.EVENT, "agent_id", agent));
        assertThat(full).hasSize(ROWS);
        List<String> header = csvRecords(csvBody(Kind.EVENT, "agent_id", agent, "limit", "0")).get(0);
        List<String> cursors = full.stream().map(record -> cursorOf(header, record)).toList();
        assertThat(cursors).as("CSV cursors are the JSONL ones").isEqualTo(
                jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent)).stream().map(ExportResumeTest::cursorOf).toList());
        for (int k : cutPoints(cursors)) {
            List<List<String>> rest = csvRows(Kind.EVENT, csvBody(Kind.EVENT, "agent_id", agent, "after",
                    cursors.get(k)));
            List<List<String>> joined = new ArrayList<>(full.subList(0, k + 1));
            joined.addAll(rest);
            assertThat(joined).as("records 0..%d then the export after %s", k, cursors.get(k)).isEqualTo(full);
        }
    }

    @Test
    void resumingAfterTheLastRowGivesNothing() {
        String agent = agent();
        List<String> full = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent));
        String last = cursorOf(full.get(full.size() - 1));
        assertThat(jsonlBody(Kind.EVENT, "agent_id", agent, "after", last)).isEmpty();
        assertThat(csvRows(Kind.EVENT, csvBody(Kind.EVENT, "agent_id", agent, "after", last))).isEmpty();
    }

    @Test
    void aCursorWithAnOffsetResumesAtTheSameInstant() {
        String agent = agent();
        List<String> full = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent));
        JsonNode row = parse(full.get(17));
        String utc = row.get("occurred_at").asText();
        assertThat(utc).startsWith("2026-06-01T12:00:00.");
        String withOffset = "2026-06-01T14:00:00." + utc.substring(20, 26) + "+02:00";
        String identity = row.get("event_id").asText();
        assertThat(jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent, "after", withOffset + "|" + identity)))
                .isEqualTo(full.subList(18, full.size()));
    }

    @Test
    void pagingWithAFilterALimitAndAfterGivesTheFilteredExportWithoutGapOrDuplicate() {
        String agent = agent();
        for (String type : List.of(typeA, typeB)) {
            List<String> full = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent, "event_type", type));
            assertThat(full).as("rows of type %s", type).hasSizeGreaterThan(10);
            int limit = 7;
            List<String> paged = new ArrayList<>();
            int pages = 0;
            String after = null;
            while (true) {
                List<String> params = new ArrayList<>(List.of("agent_id", agent, "event_type", type,
                        "limit", Integer.toString(limit)));
                if (after != null) {
                    params.addAll(List.of("after", after));
                }
                List<String> page = jsonlLines(jsonlBody(Kind.EVENT, params.toArray(String[]::new)));
                pages++;
                assertThat(page.size()).as("page %d", pages).isLessThanOrEqualTo(limit);
                paged.addAll(page);
                if (page.size() < limit) {
                    break;
                }
                after = cursorOf(page.get(page.size() - 1));
                assertThat(pages).as("pages").isLessThan(ROWS);
            }
            assertThat(paged).as("pages of type %s, joined", type).isEqualTo(full);
            assertThat(new HashSet<>(paged)).as("no duplicate").hasSize(paged.size());
            assertThat(pages).isEqualTo(full.size() / limit + 1);
        }
    }

    @Test
    void pagingCsvWithAFilterALimitAndAfterGivesTheFilteredExport() {
        String agent = agent();
        List<List<String>> full = csvRows(Kind.EVENT, csvBody(Kind.EVENT, "agent_id", agent, "event_type", typeB));
        List<String> header = csvRecords(csvBody(Kind.EVENT, "agent_id", agent, "limit", "0")).get(0);
        List<List<String>> paged = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < ROWS; pages++) {
            List<String> params = new ArrayList<>(List.of("agent_id", agent, "event_type", typeB, "limit", "5"));
            if (after != null) {
                params.addAll(List.of("after", after));
            }
            List<List<String>> page = csvRows(Kind.EVENT, csvBody(Kind.EVENT, params.toArray(String[]::new)));
            paged.addAll(page);
            if (page.size() < 5) {
                break;
            }
            after = cursorOf(header, page.get(page.size() - 1));
        }
        assertThat(paged).isEqualTo(full);
    }

    @Test
    void resumingWithinATimeRangeKeepsTheRange() {
        String agent = agent();
        String from = "2026-06-01T12:00:00.000002Z";
        String to = "2026-06-01T12:00:00.000008Z";
        List<String> ranged = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent, "from", from, "to", to));
        assertThat(ranged).hasSize(30);
        String cursor = cursorOf(ranged.get(11));
        List<String> rest = jsonlLines(jsonlBody(Kind.EVENT, "agent_id", agent, "from", from, "to", to,
                "after", cursor));
        assertThat(rest).isEqualTo(ranged.subList(12, ranged.size()));
    }
}
