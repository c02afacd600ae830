package ai.trainingstore.retention;

import ai.trainingstore.kind.RecordKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Retention's meters per kind, registered at start-up with value 0 (contract section 9): rows
 * deleted and archived, when the last run of the kind finished and how long it took.
 */
// Created at start-up, so that its meters exist (at 0) before the first run.
@Startup
@ApplicationScoped
public class RetentionMetrics {

    private final Map<RecordKind, Counter> deleted = new EnumMap<>(RecordKind.class);
    private final Map<RecordKind, Counter> archived = new EnumMap<>(RecordKind.class);
    private final Map<RecordKind, AtomicLong> lastRunMillis = new EnumMap<>(RecordKind.class);
    private final Map<RecordKind, AtomicLong> lastDurationMillis = new EnumMap<>(RecordKind.class);

    public RetentionMetrics(MeterRegistry registry) {
        for (RecordKind kind : RecordKind.values()) {
            deleted.put(kind, Counter.builder("training_store_retention_rows_deleted")
                    .description("Rows deleted by retention because they were older than their kind's policy")
                    .tag("kind", kind.id()).register(registry));
            archived.put(kind, Counter.builder("training_store_retention_rows_archived")
                    .description("Rows written to archive files before retention deleted them")
                    .tag("kind", kind.id()).register(registry));
            AtomicLong last = new AtomicLong();
            lastRunMillis.put(kind, last);
            Gauge.builder("training_store_retention_last_run_timestamp_seconds", last, value -> value.get() / 1000.0)
                    .description("When retention last finished a run of this kind (Unix time; 0: never)")
                    .tag("kind", kind.id()).strongReference(true).register(registry);
            AtomicLong duration = new AtomicLong();
            lastDurationMillis.put(kind, duration);
            Gauge.builder("training_store_retention_last_run_duration_seconds", duration, value -> value.get() / 1000.0)
                    .description("How long retention's last run of this kind took")
                    .tag("kind", kind.id()).strongReference(true).register(registry);
        }
    }

    void batch(RecordKind kind, int deletedRows, int archivedRows) {
        deleted.get(kind).increment(deletedRows);
        archived.get(kind).increment(archivedRows);
    }

    void finished(RecordKind kind, long startedMillis, long finishedMillis) {
        lastRunMillis.get(kind).set(finishedMillis);
        lastDurationMillis.get(kind).set(finishedMillis - startedMillis);
    }
}
