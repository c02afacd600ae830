package ai.trainingstore.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ReplayLagTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void lsnTextOrdersAsTheWal() {
        assertThat(ReplayLag.lsn("0/3000060")).isEqualTo(0x3000060L);
        assertThat(ReplayLag.lsn("1/0")).isGreaterThan(ReplayLag.lsn("0/FFFFFFFF"));
        assertThat(ReplayLag.lsn("16/B374D848")).isEqualTo((0x16L << 32) | 0xB374D848L);
    }

    @Test
    void aReplicaThatHasReplayedEverythingHasNoLagHoweverOldItsLastCommit() {
        ReplayLag lag = new ReplayLag();
        assertThat(lag.seconds(100, 100, 600.0, 0)).isZero();
        assertThat(lag.seconds(100, 120, 600.0, SECOND)).isZero();
    }

    @Test
    void aFirstCommitAfterAnIdlePrimaryCountsAsOneProbeIntervalNotTheIdleTime() {
        ReplayLag lag = new ReplayLag();
        for (int probe = 0; probe < 10; probe++) {
            lag.seconds(100, 100, 5.0 * probe, probe * 5 * SECOND);
        }
        // The primary moved on just now; the last replayed commit is 50 s old, but the primary was
        // at the replayed position 5 s ago (the previous probe).
        assertThat(lag.seconds(200, 100, 50.0, 50 * SECOND)).isCloseTo(5.0, within(0.001));
    }

    @Test
    void aStoppedReplayGrowsByTheTimeSinceThePrimaryWasWhereItStopped() {
        ReplayLag lag = new ReplayLag();
        lag.seconds(100, 100, 0.1, 0);
        for (int probe = 1; probe <= 20; probe++) {
            lag.seconds(100 + probe * 10, 100, null, probe * SECOND);
        }
        assertThat(lag.seconds(400, 100, 30.0, 21 * SECOND)).isCloseTo(21.0, within(0.001));
        // PostgreSQL's figure, when smaller, wins: both are upper bounds.
        assertThat(lag.seconds(410, 100, 3.0, 22 * SECOND)).isCloseTo(3.0, within(0.001));
    }

    @Test
    void aSteadilyLaggingReplicaReadsItsLagAtEveryProbe() {
        ReplayLag lag = new ReplayLag();
        // The primary writes 10 units a second; the replica is 10 s (100 units) behind throughout.
        for (int second = 0; second <= 60; second++) {
            double seconds = lag.seconds(1000 + second * 10L, 900 + second * 10L, null, second * SECOND);
            if (second >= 10) {
                assertThat(seconds).as("at %d s", second).isCloseTo(10.0, within(0.001));
            }
        }
    }

    @Test
    void samplesStayBoundedWhileReplayIsStoppedAndTheLagOnlyGrowsPastTheBound() {
        ReplayLag lag = new ReplayLag();
        lag.seconds(100, 100, null, 0);
        double last = 0;
        for (int probe = 1; probe <= ReplayLag.MAX_SAMPLES * 3; probe++) {
            double seconds = lag.seconds(100 + probe, 100, null, probe * SECOND);
            assertThat(seconds).isGreaterThanOrEqualTo(last);
            last = seconds;
        }
        assertThat(last).isCloseTo(ReplayLag.MAX_SAMPLES * 3.0, within(0.001));
    }
}
