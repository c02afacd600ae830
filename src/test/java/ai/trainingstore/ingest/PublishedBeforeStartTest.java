package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.LocalServices;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PublishedBeforeStartTest extends StoreTestSupport {

    @Test
    void eventsPublishedBeforeTheFirstStartAreStoredOnce() {
        var rows = awaitRows(LocalServices.PUBLISHED_BEFORE_START,
                "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", LocalServices.EARLY_AGENT);
        assertThat(rows).hasSize(LocalServices.PUBLISHED_BEFORE_START);
        assertThat(count("SELECT count(DISTINCT event_id) FROM training_data.training_events WHERE agent_id = ?",
                LocalServices.EARLY_AGENT)).isEqualTo(LocalServices.PUBLISHED_BEFORE_START);
    }
}
