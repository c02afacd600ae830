package ai.trainingstore.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code training_store_live}: 1 while the liveness check ({@link ConsumersLiveness}) is UP, 0
 * while it is DOWN. Kubernetes acts on the probe by restarting the pod; the gauge lets an alert
 * say so (and why, through the stalled consumer's stream in the probe's data) before it happens.
 */
@Startup
@ApplicationScoped
public class LivenessMetric {

    public LivenessMetric(MeterRegistry registry, @Liveness ConsumersLiveness liveness) {
        Gauge.builder("training_store_live", liveness,
                        check -> check.call().getStatus() == HealthCheckResponse.Status.UP ? 1 : 0)
                .description("1 while /q/health/live is UP (no consumer loop stalled), 0 while it is DOWN")
                .strongReference(true)
                .register(registry);
    }
}
