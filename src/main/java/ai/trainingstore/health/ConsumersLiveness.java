package ai.trainingstore.health;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.stream.ConsumerStatus;
import ai.trainingstore.stream.IngestService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * DOWN when a consumer loop has not finished an iteration for longer than the stall timeout. An
 * idle loop finishes one every read block (2 s by default) and a failing one every back-off, so
 * only a loop that is stuck goes DOWN, and a restart is what fixes it. A database outage does not
 * make the pod unlive: restarting would not help; readiness reports it instead.
 */
@Liveness
@ApplicationScoped
public class ConsumersLiveness implements HealthCheck {

    private final IngestService ingest;
    private final StoreConfig config;

    public ConsumersLiveness(IngestService ingest, StoreConfig config) {
        this.ingest = ingest;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("consumers-progress").up();
        for (ConsumerStatus consumer : ingest.status()) {
            boolean stalled = consumer.running()
                    && consumer.sinceLastIteration().compareTo(config.health().stallTimeout()) > 0;
            response.withData(consumer.label(), stalled
                    ? "stalled for " + consumer.sinceLastIteration().toSeconds() + " s"
                    : "progressing");
            if (stalled) {
                response.down();
            }
        }
        return response.build();
    }
}
