package ai.trainingstore.stream;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Rejection;
import ai.trainingstore.kind.Rejection.Reason;
import ai.trainingstore.store.WriteFailures;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a consumer does when storing fails, in one place:
 * <ul>
 * <li>an <b>outage</b> (PostgreSQL or Redis out of reach) keeps the batch and retries it as it is,
 *     with exponential back-off, acknowledging nothing: it never counts against an entry;
 * <li>a batch PostgreSQL refuses <b>for its data</b> is written record by record, so only the
 *     culprits are held back; each stays pending and is read again in a separate pass;
 * <li>an entry delivered more than {@code max-deliveries} times is dead-lettered with its last error.
 * </ul>
 */
final class FailurePolicy {

    private static final int LAST_ERRORS_KEPT = 10_000;

    private final StoreConfig.Delivery delivery;
    /** Why an entry's last write failed, for its dead letter if it reaches the delivery limit. */
    private final Map<String, String> lastErrors = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > LAST_ERRORS_KEPT;
        }
    };

    FailurePolicy(StoreConfig.Delivery delivery) {
        this.delivery = delivery;
    }

    /** The pause before retrying after {@code attempt} outage failures in a row. */
    Duration outageBackOff(int attempt) {
        return Duration.ofMillis(Math.min(delivery.retryMax().toMillis(),
                delivery.retryMin().toMillis() << Math.min(attempt - 1, 20)));
    }

    /** Whether the records, not the database's reachability, caused the failure. */
    boolean blamesRecords(Throwable failure) {
        return WriteFailures.isCausedByData(failure);
    }

    /** A record PostgreSQL refused on its own: it stays pending; returns the reason kept for it. */
    String refusedAlone(String entryId, Throwable failure) {
        String reason = WriteFailures.describe(failure);
        lastErrors.put(entryId, reason);
        return reason;
    }

    /** How long the entries left pending wait before they are read again. */
    Duration pendingRetryDelay() {
        return delivery.retryMin();
    }

    boolean overDeliveryLimit(int deliveries) {
        return deliveries > delivery.maxDeliveries();
    }

    Rejection deliveryLimit(String entryId, int deliveries) {
        String cause = lastErrors.get(entryId);
        return new Rejection(Reason.DELIVERY_LIMIT, String.format(
                "The entry was delivered %d times without being stored (limit %d,"
                        + " training-store.delivery.max-deliveries). Last error: %s. Fix the cause, then replay it.",
                deliveries, delivery.maxDeliveries(),
                cause != null ? cause : "none recorded: the consumer holding it stopped before finishing it"));
    }

    /** The entry left the consumer (stored or dead-lettered): its error is no longer needed. */
    void forget(String entryId) {
        lastErrors.remove(entryId);
    }
}
