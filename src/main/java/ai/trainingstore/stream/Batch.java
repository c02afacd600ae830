package ai.trainingstore.stream;

import ai.trainingstore.deadletter.DeadLetters.DeadLetter;
import ai.trainingstore.record.DecodedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The entries of one read and how far their handling got. A batch whose write failed because the
 * database was out of reach is kept and retried as it is, without reading again, so an outage
 * never counts against the entries' delivery limit.
 */
final class Batch {

    /** Every entry id of the batch, in stream order. */
    final List<String> ids = new ArrayList<>();
    /** Records to write, each from one entry (its {@code streamEntryId}). */
    final List<DecodedRecord> records = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    /** Entries whose own write failed: left pending, to be read again after a pause. */
    final Set<String> leftPending = new HashSet<>();
    boolean written;
    boolean deadLettered;
    /** Bytes of the ingest budget this batch holds until it is acknowledged or abandoned. */
    long bytes;
    /** For an empty batch: how long to wait before the next read (idle stream, budget in use). */
    Duration pause = Duration.ZERO;

    boolean isEmpty() {
        return ids.isEmpty();
    }

    String[] idsToAcknowledge() {
        return ids.stream().filter(id -> !leftPending.contains(id)).toArray(String[]::new);
    }
}
