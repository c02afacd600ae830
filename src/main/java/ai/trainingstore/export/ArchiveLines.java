package ai.trainingstore.export;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.redact.Redaction;
import io.vertx.mutiny.sqlclient.Row;
import java.util.List;

/**
 * The row export's JSON lines for code outside this package (retention archives): the same
 * select list and the same encoder as {@code GET /api/v1/export/{kind}?format=jsonl}, so an
 * archive holds exactly the lines an export gives and restores the same way.
 */
public final class ArchiveLines {

    private final RowEncoder encoder;

    private ArchiveLines(RecordKind kind) {
        // Archives keep the rows as stored: restoring one must give back exactly what was deleted.
        this.encoder = RowEncoder.jsonl(kind.exportedColumns(), Redaction.none());
    }

    /** A JSONL encoder for one kind; not thread-safe (one per batch). */
    public static ArchiveLines of(RecordKind kind) {
        return new ArchiveLines(kind);
    }

    /** The columns of the kind's export, as the export selects them (JSON as its text). */
    public static String selectList(RecordKind kind) {
        return RowEncoder.selectList(kind.exportedColumns(), null);
    }

    /** The export's lines of these rows (selected with {@link #selectList}), each ending in a newline. */
    public byte[] encode(List<Row> rows) {
        return encoder.encode(rows);
    }
}
