package ai.trainingstore.health;

import ai.trainingstore.stream.ConsumerStatus;
import ai.trainingstore.stream.IngestService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * UP while every stream consumer runs and its last batch succeeded. The PostgreSQL and Redis
 * extensions add their own readiness checks beside this one.
 */
@Readiness
@ApplicationScoped
public class ConsumersReadiness implements HealthCheck {

    private final IngestService ingest;

    public ConsumersReadiness(IngestService ingest) {
        this.ingest = ingest;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("consumers").up();
        for (ConsumerStatus consumer : ingest.status()) {
            String state = !consumer.running() ? "stopped"
                    : consumer.retrying() ? "retrying: " + consumer.lastError()
                    : "consuming";
            response.withData(consumer.label(), state);
            if (!consumer.running() || consumer.retrying()) {
                response.down();
            }
        }
        if (ingest.status().isEmpty()) {
            response.down().withData("consumers", "not started");
        }
        return response.build();
    }
}
