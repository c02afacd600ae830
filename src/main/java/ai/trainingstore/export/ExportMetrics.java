package ai.trainingstore.export;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.RecordKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Supplier;

/**
 * The exports' meters, each registered at start-up with value 0 for every kind (contract section
 * 9), so the dashboard's export panels and the 429 alert work before the first export.
 */
@ApplicationScoped
public class ExportMetrics {

    /** The label of the conversations dataset in the export meters (kinds are labelled by their id). */
    public static final String CONVERSATIONS = "dataset_conversations";
    /** The label of the trajectories dataset. */
    public static final String TRAJECTORIES = "dataset_trajectories";
    /** The label of the preferences dataset. */
    public static final String PREFERENCES = "dataset_preferences";
    /** Every value of the {@code kind} label: each kind, then each dataset. */
    static final List<String> EXPORTS = java.util.stream.Stream.concat(
            java.util.Arrays.stream(RecordKind.values()).map(RecordKind::id),
            java.util.stream.Stream.of(CONVERSATIONS, TRAJECTORIES, PREFERENCES)).toList();

    private final MeterRegistry registry;

    private final DistributionSummary fetchBytes;

    public ExportMetrics(MeterRegistry registry, StoreConfig config) {
        this.registry = registry;
        // One bucket at the budget: count minus bucket{le=budget} = fetches of a single row larger
        // than memory.fetch-bytes (allowed, fetched alone), an operator's sign to raise the budget.
        this.fetchBytes = DistributionSummary.builder("training_store_export_fetch_bytes")
                .description("Bytes of rows fetched at a time by exports and datasets, as PostgreSQL measured them")
                .serviceLevelObjectives(config.memory().fetchBytes())
                .baseUnit("bytes").register(registry);
        for (String export : EXPORTS) {
            started(export);
            failed(export);
            rows(export);
        }
        refused();
    }

    public void exportStarted(String kind) {
        started(kind).increment();
    }

    /** An export cut after its first byte (the client sees no final chunk). */
    public void exportFailed(String kind) {
        failed(kind).increment();
    }

    public void rowsExported(String kind, int rows) {
        rows(kind).increment(rows);
    }

    /** An export refused with 429 because {@code export.max-concurrent} exports were running. */
    public void exportRefused() {
        refused().increment();
    }

    /**
     * A dataset line left out because of what was stored (too_large, bad_record): the summary
     * counts them for conversations; for trajectories this is where they show.
     */
    public void lineLeftOut(String dataset, String reason) {
        Counter.builder("training_store_dataset_lines_left_out")
                .description("Dataset lines left out because of what was stored, by reason")
                .tag("dataset", dataset).tag("reason", reason).register(registry).increment();
    }

    /** The bytes of rows one fetch of an export or dataset asked PostgreSQL for (memory.fetch-bytes bounds it). */
    void fetched(long bytes) {
        fetchBytes.record(bytes);
    }

    void runningGauge(Supplier<Number> running) {
        Gauge.builder("training_store_exports_running", running)
                .description("Exports streaming now (each holds a PostgreSQL connection)")
                .strongReference(true).register(registry);
    }

    private Counter started(String kind) {
        return Counter.builder("training_store_exports_started")
                .description("Exports that passed validation and started streaming")
                .tag("kind", kind).register(registry);
    }

    private Counter failed(String kind) {
        return Counter.builder("training_store_exports_failed")
                .description("Exports that failed after their first byte and were cut without the final chunk")
                .tag("kind", kind).register(registry);
    }

    private Counter rows(String kind) {
        return Counter.builder("training_store_export_rows")
                .description("Rows written by exports")
                .tag("kind", kind).register(registry);
    }

    private Counter refused() {
        return Counter.builder("training_store_exports_refused")
                .description("Exports refused with 429 because training-store.export.max-concurrent were running")
                .register(registry);
    }
}
