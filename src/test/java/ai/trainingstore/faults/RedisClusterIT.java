package ai.trainingstore.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store on a Redis Cluster: three masters on loopback ports (the machine's redis-server), the
 * five streams on hash slots of different masters, two replicas of the packaged service in one
 * consumer group. Every record published to every stream must be stored exactly once, merged
 * kinds must hold the fold of all their updates, a bad entry must reach the dead-letter stream (on
 * yet another slot), and HTTP ingest (MULTI/EXEC on one stream) must work with
 * {@code QUARKUS_REDIS_CLUSTER_TRANSACTIONS=single-node}.
 */
class RedisClusterIT {

    private static final List<String> KINDS = List.of("events", "tasks", "tool_executions", "workflows", "messages");
    private static final String TOKEN = "cluster-it-token";
    private static final int TOOL_EXECUTIONS = 1_000;
    private static final int WORKFLOWS = 300;
    private static final String[] WORKFLOW_PHASES = {"planning", "running", "done"};
    private static final int MESSAGES = 1_000;
    private static final int HTTP_EVENTS = 50;

    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = RedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoReplicasStoreEveryStreamOfAClusterExactlyOnce() throws Exception {
        String prefix = prefixSpreadingTheStreamsOverEveryMaster();
        Map<String, Integer> masterOfStream = verifiedPlacement(prefix);
        System.out.printf("redis cluster: masters %s; stream -> master: %s%n", cluster.ports(), masterOfStream);

        RedisOptions publisher = new RedisOptions().setType(RedisClientType.CLUSTER);
        cluster.ports().forEach(port -> publisher.addConnectionString("redis://127.0.0.1:" + port));
        Map<String, String> serviceRedis = Map.of(
                "QUARKUS_REDIS_HOSTS", cluster.hosts(),
                "QUARKUS_REDIS_CLIENT_TYPE", "cluster",
                // HTTP ingest adds a request's records in one MULTI/EXEC on one stream (one slot);
                // the cluster client refuses transactions unless told they stay on one node.
                "QUARKUS_REDIS_CLUSTER_TRANSACTIONS", "single-node",
                "TRAINING_STORE_TOKENS", TOKEN + ":export+ingest");

        try (FaultScenario scenario = new FaultScenario(prefix, publisher, serviceRedis);
             ServiceProcess first = new ServiceProcess(scenario, "cluster-a").start();
             ServiceProcess second = new ServiceProcess(scenario, "cluster-b").start()) {
            assertTheDeploymentsProbesAnswer(first);

            scenario.publishEvents(5_000);
            scenario.publishTaskUpdates(500);
            publishToolExecutions(scenario);
            publishWorkflows(scenario);
            publishMessages(scenario);
            publishOneBadMessage(scenario);
            ingestEventsOverHttp(scenario, second);

            int events = scenario.eventsPublished() + HTTP_EVENTS;
            await("every record of every stream stored").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> scenario.storedEvents() >= events
                            && scenario.tasksMerged() >= scenario.tasksPublished()
                            && toolExecutionsMerged(scenario) >= TOOL_EXECUTIONS
                            && workflowsMerged(scenario) >= WORKFLOWS
                            && storedMessages(scenario) >= MESSAGES
                            && scenario.length(scenario.stream("dead-letter")) >= 1);
            await("every entry acknowledged").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .until(() -> KINDS.stream().allMatch(kind -> scenario.pending(kind) == 0));
            // Each stream really lives on the master its slot says, and only there.
            masterOfStream.forEach((key, port) -> {
                assertThat(cluster.redisCli(port, "TYPE", key).trim()).as(key + " on master " + port).isEqualTo("stream");
                int other = cluster.ports().stream().filter(candidate -> !candidate.equals(port)).findFirst().orElseThrow();
                assertThat(cluster.redisCli(other, "TYPE", key)).as(key + " asked of master " + other).contains("MOVED");
            });

            // Exactly once: as many rows as identities published, each merged row the fold of all
            // its updates, nothing else under this run's names.
            assertThat(scenario.storedEvents()).as("events").isEqualTo(events);
            assertThat(scenario.count("SELECT count(DISTINCT event_id) FROM training_data.training_events WHERE agent_id = ?"))
                    .as("distinct events").isEqualTo(events);
            assertThat(scenario.storedTasks()).as("tasks").isEqualTo(scenario.tasksPublished());
            assertThat(scenario.tasksMerged()).as("tasks merged from all 5 updates").isEqualTo(scenario.tasksPublished());
            assertThat(scenario.count("SELECT count(*) FROM training_data.training_tool_executions WHERE agent_id = ?"))
                    .as("tool executions").isEqualTo(TOOL_EXECUTIONS);
            assertThat(toolExecutionsMerged(scenario)).as("tool executions merged from both updates").isEqualTo(TOOL_EXECUTIONS);
            assertThat(scenario.count("SELECT count(*) FROM training_data.training_workflows WHERE workflow_id LIKE ? || '-w-%'"))
                    .as("workflows").isEqualTo(WORKFLOWS);
            assertThat(workflowsMerged(scenario)).as("workflows merged from all 3 phases").isEqualTo(WORKFLOWS);
            assertThat(storedMessages(scenario)).as("messages").isEqualTo(MESSAGES);
            assertThat(scenario.length(scenario.stream("dead-letter"))).as("dead letters (the one bad message)").isEqualTo(1);
            assertThat(scenario.command(Request.cmd(Command.XRANGE).arg(scenario.stream("dead-letter")).arg("-").arg("+"))
                    .get(0).get(1).toString()).contains("source_stream", scenario.stream("messages"), "missing_field");

            double readByFirst = first.metric("training_store_records_read_total");
            double readBySecond = second.metric("training_store_records_read_total");
            assertThat(readByFirst).as("replica a read part of the entries").isPositive();
            assertThat(readBySecond).as("replica b read part of the entries").isPositive();
            assertThat(readByFirst + readBySecond).as("entries read by both replicas")
                    .isGreaterThanOrEqualTo(events + scenario.taskUpdatesPublished() + 2.0 * TOOL_EXECUTIONS
                            + WORKFLOW_PHASES.length * WORKFLOWS + MESSAGES + 1);
            System.out.printf("redis cluster: stored %d events, %d tasks (%d updates), %d tool executions, %d workflows,"
                            + " %d messages, 1 dead letter; read by a: %.0f, by b: %.0f%n",
                    events, scenario.tasksPublished(), scenario.taskUpdatesPublished(), TOOL_EXECUTIONS, WORKFLOWS,
                    MESSAGES, readByFirst, readBySecond);
        }
    }

    /**
     * A per-run key prefix whose five streams fall on all three masters (and the dead-letter
     * stream on a slot of its own), so the test proves the store needs no multi-key command across
     * streams. Slots computed here (CRC16) against the cluster's slot table, then checked key by
     * key with CLUSTER KEYSLOT in {@link #verifiedPlacement}.
     */
    private static String prefixSpreadingTheStreamsOverEveryMaster() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            String prefix = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
            Set<Integer> slots = new HashSet<>();
            Set<Integer> masters = new HashSet<>();
            for (String kind : KINDS) {
                int slot = RedisCluster.slotOf(prefix + ":" + kind);
                slots.add(slot);
                masters.add(cluster.masterOf(slot));
            }
            slots.add(RedisCluster.slotOf(prefix + ":dead-letter"));
            if (slots.size() == KINDS.size() + 1 && masters.size() == cluster.ports().size()) {
                return prefix;
            }
        }
        throw new IllegalStateException("no prefix spreads the streams over every master");
    }

    /** Asks the cluster where each stream lives (CLUSTER KEYSLOT, CLUSTER NODES) and checks the spread. */
    private static Map<String, Integer> verifiedPlacement(String prefix) {
        Map<String, Integer> masterOfStream = new LinkedHashMap<>();
        Set<Integer> slots = new HashSet<>();
        for (String kind : KINDS) {
            String key = prefix + ":" + kind;
            int slot = cluster.keySlot(key);
            assertThat(slot).as("CLUSTER KEYSLOT " + key).isEqualTo(RedisCluster.slotOf(key));
            slots.add(slot);
            masterOfStream.put(key, cluster.masterOf(slot));
        }
        assertThat(slots).as("one hash slot per stream").hasSize(KINDS.size());
        assertThat(Set.copyOf(masterOfStream.values())).as("masters holding the five streams")
                .containsExactlyInAnyOrderElementsOf(cluster.ports());
        return masterOfStream;
    }

    /** The probe paths of k8s/base/deployment.yaml answer 200 on the packaged service. */
    private static void assertTheDeploymentsProbesAnswer(ServiceProcess service) throws IOException {
        JsonNode container = new ObjectMapper(new YAMLFactory())
                .readTree(Path.of("k8s", "base", "deployment.yaml").toFile())
                .at("/spec/template/spec/containers/0");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            String path = container.at("/" + probe + "/httpGet/path").asText();
            assertThat(path).as(probe + " path in k8s/base/deployment.yaml").startsWith("/");
            await(probe + " " + path + " answers 200").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> service.httpStatus(path) == 200);
        }
    }

    /** Two updates per execution (running, then ok with a duration), in random order. */
    private static void publishToolExecutions(FaultScenario scenario) {
        String prefix = scenario.prefix();
        Instant base = Instant.parse("2026-06-02T00:00:00Z");
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < TOOL_EXECUTIONS; i++) {
            String id = prefix + "-x-" + i;
            Instant at = base.plusSeconds(i * 10L);
            requests.add(xadd(scenario, "tool_executions", "execution_id", id, "agent_id", prefix,
                    "tool_name", "code_search", "status", "running", "occurred_at", at.toString()));
            requests.add(xadd(scenario, "tool_executions", "execution_id", id, "agent_id", prefix,
                    "tool_name", "code_search", "status", "ok", "duration_ms", Integer.toString(i),
                    "occurred_at", at.plusSeconds(1).toString()));
        }
        Collections.shuffle(requests, new Random(7));
        scenario.publish(requests);
    }

    private static long toolExecutionsMerged(FaultScenario scenario) {
        return scenario.count("SELECT count(*) FROM training_data.training_tool_executions WHERE agent_id = ?"
                + " AND status = 'ok' AND duration_ms = split_part(execution_id, '-x-', 2)::bigint");
    }

    /** Three phases per workflow, in random order, as document entries. */
    private static void publishWorkflows(FaultScenario scenario) {
        String prefix = scenario.prefix();
        Instant base = Instant.parse("2026-06-03T00:00:00Z");
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < WORKFLOWS; i++) {
            for (int phase = 0; phase < WORKFLOW_PHASES.length; phase++) {
                requests.add(xadd(scenario, "workflows", "data", "{\"workflow_id\":\"" + prefix + "-w-" + i
                        + "\",\"workflow_type\":\"review\",\"phase\":\"" + WORKFLOW_PHASES[phase]
                        + "\",\"agent_ids\":[\"" + prefix + "\"],\"occurred_at\":\""
                        + base.plusSeconds(i * 10L + phase) + "\"}"));
            }
        }
        Collections.shuffle(requests, new Random(11));
        scenario.publish(requests);
    }

    private static long workflowsMerged(FaultScenario scenario) {
        return scenario.count("SELECT count(*) FROM training_data.training_workflows WHERE workflow_id LIKE ? || '-w-%'"
                + " AND phase = 'done' AND occurred_at - first_occurred_at = interval '2 seconds'");
    }

    private static void publishMessages(FaultScenario scenario) {
        String prefix = scenario.prefix();
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            requests.add(xadd(scenario, "messages", "message_id", prefix + "-m-" + i, "conversation_id",
                    prefix + "-c-" + (i / 10), "role", i % 2 == 0 ? "user" : "assistant", "content", "message " + i,
                    "agent_id", prefix, "seq", Integer.toString(i % 10)));
        }
        scenario.publish(requests);
    }

    private static long storedMessages(FaultScenario scenario) {
        return scenario.count("SELECT count(DISTINCT message_id) FROM training_data.training_messages WHERE agent_id = ?");
    }

    /** A message without content: the consumer adds it to the dead-letter stream, another slot. */
    private static void publishOneBadMessage(FaultScenario scenario) {
        scenario.publish(List.of(xadd(scenario, "messages", "message_id", scenario.prefix() + "-bad",
                "conversation_id", scenario.prefix() + "-c-bad", "role", "user", "agent_id", scenario.prefix())));
    }

    /** HTTP ingest on a cluster: one request, MULTI/EXEC of XADDs to the events stream. */
    private static void ingestEventsOverHttp(FaultScenario scenario, ServiceProcess service) throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < HTTP_EVENTS; i++) {
            body.append("{\"event_id\":\"").append(scenario.prefix()).append("-http-").append(i)
                    .append("\",\"event_type\":\"fault_test\",\"agent_id\":\"").append(scenario.prefix())
                    .append("\",\"payload\":{\"n\":\"http-").append(i).append("\"}}\n");
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                        .uri(URI.create("http://localhost:" + service.port() + "/api/v1/ingest/events"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("POST /api/v1/ingest/events on a cluster: " + response.body()).isEqualTo(202);
        assertThat(response.body()).contains(scenario.stream("events"));
    }

    private static Request xadd(FaultScenario scenario, String kind, String... fields) {
        Request request = Request.cmd(Command.XADD).arg(scenario.stream(kind)).arg("*");
        for (String field : fields) {
            request.arg(field);
        }
        return request;
    }
}
