package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fault 5: SIGTERM during load: the process exits within the drain time and nothing is lost. */
class GracefulShutdownIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        scenario.close();
    }

    @Test
    void sigtermDuringLoadExitsInTimeAndLosesNothing() throws Exception {
        scenario.publishEvents(40_000);
        scenario.publishTaskUpdates(4_000);
        Duration exitTime;
        try (ServiceProcess service = new ServiceProcess(scenario, "graceful").start()) {
            await("mid-ingest").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> scenario.storedEvents() > 0 || scenario.storedTasks() > 0);
            // Drain time 10 s (see FaultScenario) plus the JVM's own stop.
            exitTime = service.terminate(Duration.ofSeconds(20));
            assertThat(service.exitValue()).as("clean exit code").isIn(0, 143);
        }
        assertThat(scenario.pending("events") + scenario.pending("tasks"))
                .as("a drained shutdown leaves nothing delivered but unacknowledged").isZero();

        try (ServiceProcess restarted = new ServiceProcess(scenario, "graceful").start()) {
            scenario.awaitEverythingStored(Duration.ofSeconds(120));
            scenario.assertExactlyOnce();
        }
        System.out.printf("fault 5 (SIGTERM): exited %d ms after SIGTERM%n", exitTime.toMillis());
    }
}
