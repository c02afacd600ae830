package ai.trainingstore.search;

import java.time.Instant;

/** One message's vector with what search filters on; {@code id} orders the rows for tailing. */
public record StoredVector(long id, String messageId, String conversationId, String agentId, String taskId,
        Instant occurredAt, float[] vector) {
}
