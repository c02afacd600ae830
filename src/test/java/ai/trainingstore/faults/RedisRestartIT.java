package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fault 4: Redis restarted. It keeps nothing on disk here, so its streams and groups are gone:
 * the service must reconnect, recreate its group and store what is published afterwards.
 */
class RedisRestartIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        MachineServices.ensureRedis(java.util.List.of("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1",
                "--port", "6379", "--save", "", "--appendonly", "no"));
        scenario.close();
    }

    @Test
    void theServiceResumesByItselfAfterRedisRestarts() throws Exception {
        try (ServiceProcess service = new ServiceProcess(scenario, "redis-restart").start()) {
            scenario.publishEvents(1_000);
            scenario.awaitEverythingStored(Duration.ofSeconds(30));

            MachineServices.restartRedis();

            scenario.publishEvents(5_000);
            scenario.publishTaskUpdates(500);
            scenario.awaitEverythingStored(Duration.ofSeconds(90));
            assertThat(service.isAlive()).as("no crash").isTrue();
            scenario.assertExactlyOnce();
            await("ready again").atMost(Duration.ofSeconds(30))
                    .until(() -> service.httpStatus("/q/health/ready") == 200);
        }
    }
}
