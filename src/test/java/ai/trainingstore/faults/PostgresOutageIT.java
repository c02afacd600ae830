package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Fault 1: PostgreSQL stopped for 12 seconds mid-ingest, then started again. */
class PostgresOutageIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void bringPostgresBack() {
        MachineServices.startPostgres();
        scenario.close();
    }

    @Test
    void nothingIsLostOrDuplicatedWhenPostgresStopsMidIngest() throws Exception {
        try (ServiceProcess service = new ServiceProcess(scenario, "outage-1").start()) {
            scenario.publishEvents(10_000);
            scenario.publishTaskUpdates(1_000);

            MachineServices.stopPostgres();
            try {
                scenario.publishEvents(10_000);
                scenario.publishTaskUpdates(1_000);
                await("readiness DOWN while PostgreSQL is away").atMost(Duration.ofSeconds(20))
                        .until(() -> service.httpStatus("/q/health/ready") == 503);
                // Nothing can be acknowledged while the database is away.
                long pendingDuringOutage = scenario.pending("events") + scenario.pending("tasks");
                Thread.sleep(12_000); // the outage itself: keep PostgreSQL down for 12 s
                assertThat(service.isAlive()).isTrue();
                assertThat(scenario.pending("events") + scenario.pending("tasks"))
                        .isGreaterThanOrEqualTo(Math.min(pendingDuringOutage, 1));
                assertThat(service.httpStatus("/q/health/live")).as("liveness stays UP").isEqualTo(200);
            } finally {
                MachineServices.startPostgres();
            }

            scenario.awaitEverythingStored(Duration.ofSeconds(90));
            await("readiness UP again").atMost(Duration.ofSeconds(30))
                    .until(() -> service.httpStatus("/q/health/ready") == 200);
            scenario.assertExactlyOnce();
            System.out.printf("fault 1 (PostgreSQL outage): published %d events + %d task updates (%d tasks);"
                            + " stored %d events, %d tasks%n", scenario.eventsPublished(),
                    scenario.taskUpdatesPublished(), scenario.tasksPublished(), scenario.storedEvents(),
                    scenario.storedTasks());
        }
    }
}
