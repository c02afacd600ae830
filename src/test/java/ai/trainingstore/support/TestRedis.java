package ai.trainingstore.support;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Redis work done before the application starts, with a plain Vert.x Redis client. */
final class TestRedis {

    static final List<String> TEST_STREAMS = List.of("test:training:events", "test:training:tasks",
            "test:training:tool_executions", "test:training:workflows", "test:training:messages",
            "test:training:dead-letter");

    private TestRedis() {
    }

    /** Deletes the test streams (and so the test group), then publishes the early events. */
    static void resetStreamsAndPublishEarlyEvents(String host, int port) {
        Vertx vertx = Vertx.vertx();
        Redis client = Redis.createClient(vertx, "redis://" + host + ":" + port);
        try {
            RedisAPI redis = RedisAPI.api(client);
            redis.del(TEST_STREAMS).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < LocalServices.PUBLISHED_BEFORE_START; i++) {
                client.send(Request.cmd(Command.XADD).arg("test:training:events").arg("*")
                                .arg("event_type").arg("early").arg("agent_id").arg(LocalServices.EARLY_AGENT)
                                .arg("event_id").arg(LocalServices.EARLY_AGENT + "-" + i))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("Redis is not reachable at " + host + ":" + port
                    + "; start it (see the README) and run the tests again", e);
        } finally {
            client.close();
            vertx.close();
        }
    }
}
