package ai.trainingstore.support;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Redis work done outside the application (before it starts, after it stops), with a plain client. */
final class TestRedis {

    private TestRedis() {
    }

    /** Deletes this run's streams, then publishes the early events. */
    static void resetStreamsAndPublishEarlyEvents(String host, int port) {
        run(host, port, (client, redis) -> {
            redis.del(LocalServices.runStreams()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < LocalServices.PUBLISHED_BEFORE_START; i++) {
                client.send(Request.cmd(Command.XADD).arg(LocalServices.stream("events")).arg("*")
                                .arg("event_type").arg("early").arg("agent_id").arg(LocalServices.EARLY_AGENT)
                                .arg("event_id").arg(LocalServices.EARLY_AGENT + "-" + i))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        });
    }

    /** Removes this run's streams, so test runs leave nothing behind in Redis. */
    static void deleteStreams(String host, int port) {
        run(host, port, (client, redis) ->
                redis.del(LocalServices.runStreams()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    }

    private interface Work {
        void run(Redis client, RedisAPI redis) throws Exception;
    }

    private static void run(String host, int port, Work work) {
        Vertx vertx = Vertx.vertx();
        Redis client = Redis.createClient(vertx, "redis://" + host + ":" + port);
        try {
            work.run(client, RedisAPI.api(client));
        } catch (Exception e) {
            throw new IllegalStateException("Redis is not reachable at " + host + ":" + port
                    + "; start it (see the README) and run the tests again", e);
        } finally {
            client.close();
            vertx.close();
        }
    }
}
