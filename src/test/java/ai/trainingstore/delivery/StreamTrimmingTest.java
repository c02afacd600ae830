package ai.trainingstore.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.NarrowLimitsProfile;
import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.XGroupCreateArgs;
import io.quarkus.redis.datasource.stream.XReadGroupArgs;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fault 7: trimming removes only entries every consumer group has been delivered and has
 * acknowledged; a lagging group keeps its entries, and the stream stays bounded when all keep up.
 */
@QuarkusTest
@TestProfile(NarrowLimitsProfile.class)
class StreamTrimmingTest extends StoreTestSupport {

    static final String STREAM = EVENTS;

    @Test
    void aLaggingGroupKeepsItsEntriesAndTrimmingFollowsWhatItAcknowledges() {
        redis.key().del(STREAM);
        streams().xgroupCreate(STREAM, "laggard", "0", new XGroupCreateArgs().mkstream());
        String agent = unique("trim");
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add(xadd(STREAM, "event_type", "trim", "agent_id", agent));
        }
        awaitRows(100, "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        // The store has acknowledged everything; the laggard has read nothing: all 100 stay.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> streams().xlen(STREAM) == 100);

        List<StreamMessage<String, String, String>> read = streams().xreadgroup("laggard", "l1", STREAM, ">",
                new XReadGroupArgs().count(60));
        assertThat(read).hasSize(60);
        streams().xack(STREAM, "laggard", read.subList(0, 50).stream().map(StreamMessage::id).toArray(String[]::new));
        // Entries 0..49 are acknowledged by both groups; 50..59 are pending on the laggard; 60..99 unread.
        await().atMost(Duration.ofSeconds(10)).until(() -> streams().xlen(STREAM) == 50);
        assertThat(firstId()).isEqualTo(ids.get(50));

        streams().xack(STREAM, "laggard", read.subList(50, 60).stream().map(StreamMessage::id).toArray(String[]::new));
        await().atMost(Duration.ofSeconds(10)).until(() -> streams().xlen(STREAM) == 40);
        assertThat(firstId()).isEqualTo(ids.get(60));
    }

    @Test
    void theStreamStaysBoundedWhenEveryGroupKeepsUp() {
        redis.key().del(STREAM);
        String agent = unique("steady");
        long longest = 0;
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 200; i++) {
                xadd(STREAM, "event_type", "steady", "agent_id", agent);
            }
            longest = Math.max(longest, streams().xlen(STREAM));
            awaitRows(200 * (round + 1), "SELECT event_id FROM training_data.training_events WHERE agent_id = ?", agent);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> streams().xlen(STREAM) == 0);
        // Trimming runs every trim.interval on a busy 2-core machine: the stream must be trimmed while
        // the rounds go on (at most half of the 4,000 entries ever waiting), not only at the end.
        assertThat(longest).as("trimmed during the run, not only at its end").isLessThanOrEqualTo(2_000);
    }

    private String firstId() {
        return streams().xrange(STREAM, io.quarkus.redis.datasource.stream.StreamRange.of("-", "+"), 1).get(0).id();
    }
}
