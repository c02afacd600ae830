package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.trainingstore.support.StoreTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * At least once from Redis, idempotent into PostgreSQL (contract section 3): entries delivered
 * again after they were stored and acknowledged create no duplicate row and change no row.
 */
@QuarkusTest
class RedeliveryTest extends StoreTestSupport {

    /** A consumer name that holds entries and never acknowledges them, like a replica that died. */
    private static final String DEAD_REPLICA = "dead-replica";

    /** What one test published: events of one agent and the updates of two tasks. */
    private record Published(String agent, List<String> eventEntries, List<String> taskIds, List<String> taskEntries) {
    }

    @Test
    void replayingTheStreamsFromTheStartCreatesNoDuplicateAndChangesNoRow() {
        Published published = publishEventsAndTaskUpdates();
        Map<String, List<Map<String, Object>>> before = storedOnce(published);

        redis.execute("XGROUP", "SETID", EVENTS, GROUP, "0");
        redis.execute("XGROUP", "SETID", TASKS, GROUP, "0");
        // Both waits need the group to be delivered our entries again: it starts from 0 now.
        awaitAcknowledged(EVENTS, published.eventEntries());
        awaitAcknowledged(TASKS, published.taskEntries());

        assertThat(rowsWithoutIngestedAt(published)).isEqualTo(before);
        awaitNothingPending(EVENTS, TASKS);
    }

    @Test
    void entriesClaimedFromAReplicaThatDiedBeforeAcknowledgingCreateNoDuplicateAndChangeNoRow() {
        Published published = publishEventsAndTaskUpdates();
        Map<String, List<Map<String, Object>>> before = storedOnce(published);
        try {
            // The dead replica stored them but died before its XACK: they are pending on it, idle for an hour.
            assertThat(claimForDeadReplica(EVENTS, published.eventEntries())).as("events made pending")
                    .isEqualTo(published.eventEntries().size());
            assertThat(claimForDeadReplica(TASKS, published.taskEntries())).as("task updates made pending")
                    .isEqualTo(published.taskEntries().size());

            // The store claims them (claim-idle 60 s, scan every 10 s), stores them again and acknowledges them.
            awaitAcknowledged(EVENTS, published.eventEntries());
            awaitAcknowledged(TASKS, published.taskEntries());

            assertThat(rowsWithoutIngestedAt(published)).isEqualTo(before);
        } finally {
            streams().xgroupDelConsumer(EVENTS, GROUP, DEAD_REPLICA);
            streams().xgroupDelConsumer(TASKS, GROUP, DEAD_REPLICA);
        }
    }

    /**
     * Events with and without an id (one id sent twice) and two tasks reported several times,
     * flat and as documents, out of order.
     */
    private Published publishEventsAndTaskUpdates() {
        String agent = unique("agent");
        String eventId = unique("event");
        List<String> events = new ArrayList<>();
        events.add(xadd(EVENTS, "event_id", eventId, "event_type", "first", "agent_id", agent, "payload", "{\"n\": 1}"));
        events.add(xadd(EVENTS, "event_type", "anonymous", "agent_id", agent, "note", "flat"));
        events.add(xadd(EVENTS, "data", "{\"event_type\": \"anonymous\", \"agent_id\": \"" + agent + "\","
                + " \"payload\": [1, 2], \"note\": {\"doc\": true}}"));
        events.add(xadd(EVENTS, "event_id", eventId, "event_type", "second", "agent_id", agent, "payload", "{\"n\": 2}"));

        String taskA = unique("task");
        String taskB = unique("task");
        List<String> tasks = new ArrayList<>();
        tasks.add(xadd(TASKS, "task_id", taskA, "agent_id", agent, "status", "completed",
                "output", "{\"answer\": 42}", "occurred_at", "2026-04-01T12:00:10Z", "step", "3"));
        tasks.add(xadd(TASKS, "task_id", taskA, "agent_id", agent, "status", "queued", "task_type", "qa",
                "input", "{\"q\": \"?\"}", "occurred_at", "2026-04-01T12:00:00Z", "step", "1"));
        tasks.add(xadd(TASKS, "data", "{\"task_id\": \"" + taskA + "\", \"agent_id\": \"" + agent + "\","
                + " \"status\": \"running\", \"output\": null, \"occurred_at\": \"2026-04-01T12:00:05Z\", \"step\": 2}"));
        tasks.add(xadd(TASKS, "task_id", taskB, "agent_id", agent, "status", "running"));
        tasks.add(xadd(TASKS, "data", "{\"task_id\": \"" + taskB + "\", \"agent_id\": \"" + agent + "\","
                + " \"status\": \"failed\", \"error\": \"boom\", \"metadata\": {\"retries\": 1}}"));
        return new Published(agent, events, List.of(taskA, taskB), tasks);
    }

    /** Waits until everything published is stored and acknowledged; checks one row per identity. */
    private Map<String, List<Map<String, Object>>> storedOnce(Published published) {
        awaitAcknowledged(EVENTS, published.eventEntries());
        awaitAcknowledged(TASKS, published.taskEntries());
        Map<String, List<Map<String, Object>>> rows = rowsWithoutIngestedAt(published);
        assertThat(rows.get("events")).as("events: the one with its id sent twice is stored once").hasSize(3);
        assertThat(rows.get("events")).filteredOn(row -> "first".equals(row.get("event_type"))).hasSize(1);
        assertThat(rows.get("tasks")).as("tasks").hasSize(2);
        assertThat(rows.get("tasks").get(0)).as("merged task").containsEntry("status", "completed")
                .containsEntry("output", json("{\"answer\": 42}")).containsEntry("task_type", "qa")
                .containsEntry("attributes", json("{\"step\": \"3\"}"));
        return rows;
    }

    /** Every row of the test, every column but ingested_at (set again on each merge). */
    private Map<String, List<Map<String, Object>>> rowsWithoutIngestedAt(Published published) {
        return Map.of(
                "events", withoutIngestedAt(storedRows(
                        "SELECT * FROM training_data.training_events WHERE agent_id = ? ORDER BY event_id",
                        published.agent())),
                "tasks", withoutIngestedAt(storedRows(
                        "SELECT * FROM training_data.training_tasks WHERE task_id IN (?, ?) ORDER BY task_id <> ?",
                        published.taskIds().get(0), published.taskIds().get(1), published.taskIds().get(0))));
    }

    private static List<Map<String, Object>> withoutIngestedAt(List<Map<String, Object>> rows) {
        rows.forEach(row -> row.remove("ingested_at"));
        return rows;
    }

    /** XCLAIM ... FORCE: makes acknowledged entries pending again on the dead replica; returns how many. */
    private int claimForDeadReplica(String stream, List<String> entryIds) {
        List<String> arguments = Stream.of(List.of(stream, GROUP, DEAD_REPLICA, "0"), entryIds,
                List.of("IDLE", "3600000", "FORCE", "JUSTID")).flatMap(List::stream).toList();
        return redis.execute("XCLAIM", arguments.toArray(String[]::new)).size();
    }

    private void awaitNothingPending(String... streams) {
        for (String stream : streams) {
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(pending(stream)).as("pending in %s", stream).isZero());
        }
    }
}
