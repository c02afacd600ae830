package ai.trainingstore.export;

import io.vertx.mutiny.sqlclient.Row;
import java.util.List;

/**
 * Consecutive rows with one group key (a conversation's messages), read within a byte budget:
 * {@code rows} is null when the group held more than the budget ({@code bytes}: its size).
 */
public record RowGroup(String key, List<Row> rows, long bytes) {

    /** After the last group. */
    static final RowGroup END = new RowGroup(null, List.of(), 0);

    public boolean tooLarge() {
        return rows == null;
    }
}
