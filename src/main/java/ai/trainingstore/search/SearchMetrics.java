package ai.trainingstore.search;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;

/** Search's metrics; registered only when search is enabled (no series at all otherwise). */
@ApplicationScoped
public class SearchMetrics {

    private final MeterRegistry registry;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong indexed = new AtomicLong();
    private volatile Counter embedded;

    public SearchMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void register() {
        Gauge.builder("training_store_search_pending", pending, AtomicLong::get)
                .description("Messages stored but not embedded yet (all replicas)").register(registry);
        Gauge.builder("training_store_search_indexed", indexed, AtomicLong::get)
                .description("Messages in this replica's search index").register(registry);
        embedded = Counter.builder("training_store_search_embedded")
                .description("Messages this replica has embedded").register(registry);
    }

    void embedded(int messages) {
        if (embedded != null) {
            embedded.increment(messages);
        }
    }

    void pending(long messages) {
        pending.set(messages);
    }

    void indexed(long messages) {
        indexed.set(messages);
    }

    public long pending() {
        return pending.get();
    }

    public long indexed() {
        return indexed.get();
    }
}
