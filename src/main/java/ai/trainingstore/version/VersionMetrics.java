package ai.trainingstore.version;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Versions by status and bytes stored (gauges over the whole database, refreshed by each replica's
 * sweep and after each build or deletion), and the duration of this replica's builds.
 */
@ApplicationScoped
public class VersionMetrics {

    private static final List<String> STATUSES = List.of(Manifest.BUILDING, Manifest.READY, Manifest.FAILED);

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final AtomicLong storedBytes = new AtomicLong();

    public VersionMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String status : STATUSES) {
            AtomicLong count = byStatus.computeIfAbsent(status, s -> new AtomicLong());
            Gauge.builder("training_store_versions", count, AtomicLong::get).tag("status", status)
                    .description("Dataset versions in the database, by status").register(registry);
        }
        Gauge.builder("training_store_version_stored_bytes", storedBytes, AtomicLong::get).baseUnit("bytes")
                .description("Compressed bytes of the ready dataset versions in the database").register(registry);
        for (String outcome : List.of(Manifest.READY, Manifest.FAILED)) {
            buildTimer(outcome);
        }
    }

    /** The figures of one count: versions per status, stored bytes. */
    void counted(Map<String, Long> versions, long bytes) {
        STATUSES.forEach(status -> byStatus.get(status).set(versions.getOrDefault(status, 0L)));
        storedBytes.set(bytes);
    }

    void built(String outcome, Duration duration) {
        buildTimer(outcome).record(duration);
    }

    private Timer buildTimer(String outcome) {
        return Timer.builder("training_store_version_build_seconds")
                .description("Time a dataset version's build took, by outcome (ready or failed)")
                .tag("outcome", outcome).register(registry);
    }
}
