package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fault 3: two instances in the same consumer group consuming the same streams at once. */
class TwoInstancesIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        scenario.close();
    }

    @Test
    void twoInstancesInOneGroupShareTheWorkWithoutDuplicatesAndMergeCorrectly() throws Exception {
        try (ServiceProcess first = new ServiceProcess(scenario, "replica-a").start();
             ServiceProcess second = new ServiceProcess(scenario, "replica-b").start()) {
            for (int round = 0; round < 10; round++) {
                scenario.publishEvents(5_000);
                scenario.publishTaskUpdates(500);
            }
            scenario.awaitEverythingStored(Duration.ofSeconds(120));
            scenario.assertExactlyOnce();
            double readByFirst = first.metric("training_store_records_read_total");
            double readBySecond = second.metric("training_store_records_read_total");
            assertThat(readByFirst).as("replica a did part of the work").isPositive();
            assertThat(readBySecond).as("replica b did part of the work").isPositive();
            System.out.printf("fault 3 (two instances): published %d events + %d task updates (%d tasks);"
                            + " stored %d events, %d tasks; read by a: %.0f, by b: %.0f%n",
                    scenario.eventsPublished(), scenario.taskUpdatesPublished(), scenario.tasksPublished(),
                    scenario.storedEvents(), scenario.storedTasks(), readByFirst, readBySecond);
        }
    }
}
