package ai.trainingstore.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fault 6: an entry that passes validation but that PostgreSQL refuses every time (an agent_id too
 * long for its btree index) reaches the dead-letter stream after the delivery limit (5), and never
 * holds back the entries around it or published while it is retried.
 */
@QuarkusTest
class PoisonEntryTest extends StoreTestSupport {

    @Test
    void anEntryTheDatabaseRefusesIsDeadLetteredAfterFiveDeliveriesWithoutHoldingBackOthers() {
        String agent = unique("poison-neighbour");
        String before = xadd(EVENTS, "event_type", "before", "agent_id", agent);
        String poison = xadd(EVENTS, "event_type", "poison", "agent_id", incompressible(9000));
        String after = xadd(EVENTS, "event_type", "after", "agent_id", agent);

        awaitRows(2, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        // Published while the poison entry is being retried: stored without waiting for it.
        xadd(EVENTS, "event_type", "during", "agent_id", agent);
        awaitRows(3, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);

        List<Map<String, String>> deadLetters = awaitDeadLetters(1, List.of(poison));
        Map<String, String> deadLetter = deadLetters.get(0);
        assertThat(deadLetter).containsEntry("source_stream", EVENTS)
                .containsEntry("error_code", "delivery_limit")
                .containsEntry("delivery_count", "6")
                .containsEntry("event_type", "poison");
        assertThat(deadLetter.get("error")).contains("delivered 6 times").contains("index row");
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE stream_entry_id IN (?, ?)",
                before, after)).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM training_data.training_events WHERE stream_entry_id = ?", poison))
                .isZero();
        await().atMost(TIMEOUT).until(() -> pendingIds(EVENTS).stream().noneMatch(poison::equals));
    }
}
