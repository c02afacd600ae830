package ai.trainingstore.config;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Drops one known, harmless WARN from every start: Quarkus 3.33 creates the default Redis client
 * twice at start-up (once for the data source, once for the client itself) and keeps the first,
 * so the second's pool gauge {@code redis.pool.queue.size} is refused by Micrometer as already
 * registered. Nothing is wrong, and a WARN on every clean start teaches operators to ignore WARNs.
 * Only that message about that gauge is dropped; every other duplicate-meter warning stays.
 */
@LoggingFilter(name = "redis-pool-gauge-twice")
public final class RedisPoolGaugeWarning implements Filter {

    @Override
    public boolean isLoggable(LogRecord record) {
        String text = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        return text == null || !(text.startsWith("This Gauge has been already registered")
                && text.contains("name='redis.pool."));
    }
}
