package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fault 2: the service killed with SIGKILL mid-batch; its pending entries are claimed by another instance. */
class ServiceKilledIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        scenario.close();
    }

    @Test
    void entriesPendingOnAKilledInstanceAreClaimedByAnotherAndStoredOnce() throws Exception {
        scenario.publishEvents(40_000);
        scenario.publishTaskUpdates(4_000);
        try (ServiceProcess victim = new ServiceProcess(scenario, "victim").start()) {
            await("victim mid-ingest").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> scenario.storedEvents() > 0 || scenario.storedTasks() > 0);
            victim.kill();
        }
        long storedAtKill = scenario.storedEvents();
        assertThat(storedAtKill).as("killed before the end").isLessThan(scenario.eventsPublished());

        // A different replica: it must claim what the victim left pending (claim idle 5 s here).
        try (ServiceProcess survivor = new ServiceProcess(scenario, "survivor").start()) {
            scenario.awaitEverythingStored(Duration.ofSeconds(120));
            await("nothing left pending").atMost(Duration.ofSeconds(30))
                    .until(() -> scenario.pending("events") == 0 && scenario.pending("tasks") == 0);
            scenario.assertExactlyOnce();
            System.out.printf("fault 2 (SIGKILL): published %d events + %d task updates (%d tasks); %d events"
                            + " stored at the kill; stored %d events, %d tasks; survivor claimed %.0f entries%n",
                    scenario.eventsPublished(), scenario.taskUpdatesPublished(), scenario.tasksPublished(),
                    storedAtKill, scenario.storedEvents(), scenario.storedTasks(),
                    survivor.metric("training_store_records_claimed_total"));
        }
    }
}
