package ai.trainingstore.stream;

import java.time.Duration;

/** What the health checks see of one stream consumer. */
public record ConsumerStatus(String stream, String consumer, boolean running, boolean retrying,
                             Duration sinceLastIteration, String lastError) {

    /** How the probes name it: the stream and the consumer. */
    public String label() {
        return stream + " (" + consumer + ")";
    }
}
