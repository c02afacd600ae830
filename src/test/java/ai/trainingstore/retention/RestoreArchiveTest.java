package ai.trainingstore.retention;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/restore-archive} treats an archive and its name as data only (issue 20, finding 5):
 * lines that would end a COPY and run SQL and psql meta-commands, and a file name with quotes,
 * never reach a parser; a normal archive still restores (see also {@link RetentionTest}).
 */
@QuarkusTest
class RestoreArchiveTest extends StoreTestSupport {

    @TempDir
    Path directory;

    @Test
    void anArchiveWhoseLinesAreCommandsIsRefusedWholeAndNothingRuns() throws IOException {
        String marker = UUID.randomUUID().toString().replace("-", "");
        Path touched = Path.of("/tmp/pwned-" + marker);
        String id = unique("restore-crafted");
        Path archive = gzip(directory.resolve("events_crafted.jsonl.gz"),
                eventLine(id, "an honest first line"),
                "\\.",
                "CREATE TABLE pwned_" + marker + " (x int);",
                "\\! touch " + touched);

        RestoreCommand.Result result = RestoreCommand.run("events", List.of(archive));

        assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
        assertThat(result.output()).contains("line 2 is not a JSON object").contains("nothing of this file was restored");
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = ?", "pwned_" + marker)).as("no table created").isZero();
        assertThat(touched).as("no shell command run").doesNotExist();
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE event_id = ?", id))
                .as("the file is refused whole").isZero();
    }

    @Test
    void commandsInsideValuesAndQuotesInTheFileNameRestoreAsData() throws IOException {
        String marker = UUID.randomUUID().toString().replace("-", "");
        Path touched = Path.of("/tmp/pwned-" + marker);
        String hostile = "\\.\nCREATE TABLE pwned_" + marker + " (x int);\n\\! touch " + touched + "\n'); DROP TABLE x; --";
        String first = unique("restore-data");
        String second = unique("restore-data");
        Path archive = gzip(directory.resolve("events_it's\"; SELECT pg_sleep(1); --" + marker + ".jsonl.gz"),
                eventLine(first, hostile), eventLine(second, "plain"));

        try {
            RestoreCommand.Result result = RestoreCommand.run("events", List.of(archive));

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains(archive + ": 2 rows restored");
            assertThat(query("SELECT agent_id, payload ->> 'text' AS text FROM training_data.training_events WHERE event_id = ?",
                    first)).singleElement().satisfies(row -> {
                        assertThat(row.get("agent_id")).isEqualTo(hostile);
                        assertThat(row.get("text")).isEqualTo(hostile);
                    });
            assertThat(count("SELECT count(*) FROM training_data.training_events WHERE event_id = ?", second)).isOne();
            assertThat(count("SELECT count(*) FROM pg_class WHERE relname = ?", "pwned_" + marker)).isZero();
            assertThat(touched).doesNotExist();
        } finally {
            executeSql("DELETE FROM training_data.training_events WHERE event_id IN (?, ?)", first, second);
        }
    }

    @Test
    void aFileThatIsNotGzipIsRefusedWithItsName() throws IOException {
        Path plain = Files.writeString(directory.resolve("events_plain.jsonl.gz"), "{}\n");

        RestoreCommand.Result result = RestoreCommand.run("events", List.of(plain));

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output()).contains("restore-archive:").contains("GZIP");
    }

    @Test
    void anUnknownKindIsRefusedBeforeAnyFileIsRead() {
        RestoreCommand.Result result = RestoreCommand.run("users; DROP TABLE x", List.of(directory.resolve("none.jsonl.gz")));

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("unknown kind").contains("events, tasks");
    }

    /**
     * A restored row of a merged kind gets one merge version per named field of its kind (the kind
     * registry's count, feedback's correction included), so an older record that arrives later
     * changes none of its fields, and a newer one merges in by the usual rule.
     */
    @Test
    void aRestoredFeedbackRowMergesLaterRecordsByTheRuleInEveryField() throws IOException {
        String id = unique("restore-feedback");
        ObjectNode line = JSON.createObjectNode().put("feedback_id", id).put("target_kind", "message")
                .put("target_id", "m-1").put("name", "thumbs").put("label", "down")
                .put("occurred_at", "2025-06-01T00:00:00.000000Z").put("first_occurred_at", "2025-06-01T00:00:00.000000Z")
                .put("ingested_at", "2025-06-01T00:00:01.000000Z").put("stream_entry_id", "1748736000000-0");
        line.put("correction", "Say which file.");
        line.putObject("attributes");
        Path archive = gzip(directory.resolve("feedback_restored.jsonl.gz"), line.toString());
        try {
            RestoreCommand.Result result = RestoreCommand.run("feedback", List.of(archive));
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(query("SELECT cardinality(field_versions) AS slots FROM training_data.training_feedback"
                    + " WHERE feedback_id = ?", id)).singleElement()
                    .satisfies(row -> assertThat(row.get("slots")).isEqualTo(Kind.FEEDBACK.recordKind().fields().size()));

            awaitAcknowledged(FEEDBACK, List.of(xadd(FEEDBACK, "feedback_id", id, "target_kind", "message",
                    "target_id", "m-1", "name", "thumbs", "label", "up", "correction", "\"older\"",
                    "occurred_at", "2025-05-31T00:00:00Z")));
            assertThat(storedRow(Kind.FEEDBACK, id).orElseThrow()).as("an older record changes nothing")
                    .containsEntry("label", "down").containsEntry("correction", json("\"Say which file.\""));

            awaitAcknowledged(FEEDBACK, List.of(xadd(FEEDBACK, "feedback_id", id, "target_kind", "message",
                    "target_id", "m-1", "name", "thumbs", "label", "up", "correction", "\"newer\"",
                    "occurred_at", "2025-06-02T00:00:00Z")));
            assertThat(storedRow(Kind.FEEDBACK, id).orElseThrow()).as("a newer record merges in")
                    .containsEntry("label", "up").containsEntry("correction", json("\"newer\""));
        } finally {
            executeSql("DELETE FROM training_data.training_feedback WHERE feedback_id = ?", id);
        }
    }

    /** One line as the row export writes it for an event (every NOT NULL column present). */
    private static String eventLine(String id, String text) {
        ObjectNode line = JSON.createObjectNode()
                .put("event_id", id).put("event_type", "restored").put("agent_id", text)
                .put("occurred_at", "2025-06-01T00:00:00.000000Z").put("ingested_at", "2025-06-01T00:00:01.000000Z")
                .put("stream_entry_id", "1-0");
        line.putObject("payload").put("text", text);
        line.putObject("attributes");
        return line.toString();
    }

    private static Path gzip(Path file, String... lines) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            for (String line : lines) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return file;
    }
}
