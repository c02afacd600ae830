package ai.trainingstore.ingest;

import java.time.Duration;

/** What the health checks see of one stream consumer. */
public record ConsumerStatus(String stream, boolean running, boolean retrying, Duration sinceLastIteration,
                             String lastError) {
}
