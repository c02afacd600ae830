package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fault 2 on the COPY path: the service SIGKILLed while a COPY of events is running, three times
 * in a row. The killed COPY's transaction is rolled back by PostgreSQL; its entries stay pending
 * and are read again by the next instance: under the same consumer name (its own pending entries,
 * at once), then by another one (claimed after claim-idle). A batch committed but not yet
 * acknowledged comes back as a duplicate and takes the ON CONFLICT DO NOTHING fallback. In the end
 * every published event is stored exactly once.
 */
class CopyKilledIT {

    private final FaultScenario scenario = new FaultScenario();

    @AfterEach
    void cleanUp() {
        scenario.close();
    }

    @Test
    void killedInTheMiddleOfCopyBatchesEveryEventIsStoredExactlyOnce() throws Exception {
        scenario.publishEvents(150_000);
        List<Long> storedAtKills = new ArrayList<>();
        for (String name : List.of("victim", "victim", "other-victim")) {
            try (ServiceProcess victim = new ServiceProcess(scenario, name).start()) {
                long storedBefore = scenario.storedEvents();
                await(name + " copying").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                        .until(() -> scenario.storedEvents() > storedBefore && copyRunning());
                victim.kill();
            }
            storedAtKills.add(scenario.storedEvents());
        }
        assertThat(storedAtKills.get(storedAtKills.size() - 1)).as("killed before the end")
                .isLessThan(scenario.eventsPublished());

        try (ServiceProcess survivor = new ServiceProcess(scenario, "survivor").start()) {
            scenario.awaitEverythingStored(Duration.ofSeconds(180));
            await("nothing left pending").atMost(Duration.ofSeconds(60)).until(() -> scenario.pending("events") == 0);
            scenario.assertExactlyOnce();
            System.out.printf("fault 2 on COPY (3 x SIGKILL mid-COPY): published %d events; stored at the kills %s;"
                            + " stored %d, distinct %d; survivor claimed %.0f entries, %.0f COPY fallbacks%n",
                    scenario.eventsPublished(), storedAtKills, scenario.storedEvents(),
                    scenario.count("SELECT count(DISTINCT event_id) FROM training_data.training_events WHERE agent_id = ?"),
                    survivor.metric("training_store_records_claimed_total"),
                    survivor.metric("training_store_copy_fallbacks_total"));
        }
    }

    /** A COPY into the events table is running in this database right now. */
    private boolean copyRunning() {
        return scenario.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND state = 'active' AND query LIKE 'COPY training_data.training_events%'") > 0;
    }
}
