package ai.trainingstore.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The ingest budget's settings are checked against each other, and its grants stay within them. */
class IngestBudgetTest {

    @Test
    void aBatchSmallerThanTheEntryLimitStopsTheStartNamingBothSettings() {
        assertThatThrownBy(() -> new IngestBudget(8_000_000, 500_000, 1_048_576))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("training-store.memory.batch-bytes (500,000)")
                .hasMessageContaining("training-store.delivery.max-entry-bytes (1,048,576)");
    }

    @Test
    void anIngestBudgetSmallerThanABatchStopsTheStartNamingBothSettings() {
        assertThatThrownBy(() -> new IngestBudget(2_000_000, 4_194_304, 1_048_576))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("training-store.memory.ingest-bytes (2,000,000)")
                .hasMessageContaining("training-store.memory.batch-bytes (4,194,304)");
    }

    @Test
    void equalSettingsAreAccepted() {
        assertThat(new IngestBudget(1_048_576, 1_048_576, 1_048_576).capacity()).isEqualTo(1_048_576);
    }

    @Test
    void grantsAreBetweenTheEntryLimitAndTheBatchSizeAndComeBack() {
        IngestBudget budget = new IngestBudget(10_000_000, 4_000_000, 1_000_000);
        long first = budget.takeForRead();
        long second = budget.takeForRead();
        long third = budget.takeForRead();
        assertThat(first).isEqualTo(4_000_000);
        assertThat(second).isEqualTo(4_000_000);
        assertThat(third).as("what is left, still at least one entry").isEqualTo(2_000_000);
        assertThat(budget.takeForRead()).as("less than one entry left").isZero();
        assertThat(budget.held()).isEqualTo(10_000_000);
        budget.giveBack(first);
        budget.giveBack(second);
        budget.giveBack(third);
        assertThat(budget.held()).isZero();
    }
}
