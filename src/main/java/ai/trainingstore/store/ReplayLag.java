package ai.trainingstore.store;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * A replica's staleness in seconds: how long ago the primary was where the replica has replayed
 * to. Each probe records the primary's WAL position and the time; the newest recorded position the
 * replica has replayed bounds its staleness from above (to within one probe interval). PostgreSQL's
 * own figure, the time since the last replayed commit, is also an upper bound, but a loose one after
 * the primary was idle: a first commit after a quiet minute would read as a minute of lag for as
 * long as it takes to replay. The smaller of the two is reported. Not thread-safe: one probe at a time.
 */
final class ReplayLag {

    /** Samples kept at most; past it new ones are skipped, which can only overstate the lag. */
    static final int MAX_SAMPLES = 1024;

    private record Sample(long lsn, long nanos) {
    }

    private final Deque<Sample> samples = new ArrayDeque<>();

    /**
     * Records this probe and answers the lag in seconds.
     *
     * @param primaryLsn the primary's current WAL position, read first
     * @param replayLsn  the replica's replay position, read after it
     * @param sinceLastReplayedCommit PostgreSQL's figure (now minus the last replayed commit's time), or null
     * @param nanos      the probe's time ({@link System#nanoTime()})
     */
    double seconds(long primaryLsn, long replayLsn, Double sinceLastReplayedCommit, long nanos) {
        // Only the newest sample the replica has replayed matters; older ones go.
        while (samples.size() > 1 && second().lsn() <= replayLsn) {
            samples.removeFirst();
        }
        if (samples.size() < MAX_SAMPLES) {
            samples.addLast(new Sample(primaryLsn, nanos));
        }
        if (replayLsn >= primaryLsn) {
            return 0;
        }
        double fromCommits = sinceLastReplayedCommit == null ? Double.MAX_VALUE : Math.max(0, sinceLastReplayedCommit);
        Sample head = samples.peekFirst();
        double fromSamples = head.lsn() <= replayLsn ? (nanos - head.nanos()) / 1e9 : Double.MAX_VALUE;
        double lag = Math.min(fromCommits, fromSamples);
        return lag == Double.MAX_VALUE ? 0 : lag;
    }

    private Sample second() {
        Iterator<Sample> iterator = samples.iterator();
        iterator.next();
        return iterator.next();
    }

    /** {@code X/Y} (hex) as a number that orders as the WAL does. */
    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
