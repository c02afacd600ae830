package ai.trainingstore.search;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Semantic search through the real pieces: conversations published with XADD, embedded by the
 * in-process model in the background, found through /api/v1/search/conversations. A topical corpus
 * (five topics, five conversations each, every one worded differently) is searched with queries
 * worded differently again.
 */
@QuarkusTest
@TestProfile(SearchProfile.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SearchTest extends SearchTestSupport {

    /** Per topic: a query worded unlike the data, then five (user, assistant) conversations. */
    static final Map<String, String[]> TOPICS = new LinkedHashMap<>();

    static {
        TOPICS.put("postgres", new String[] {
            "speed up a slow SQL query on a big relational table",
            "My PostgreSQL SELECT takes 40 seconds on a table with 50 million rows.|Add a B-tree index on the column in the WHERE clause and check the plan with EXPLAIN ANALYZE.",
            "Postgres is doing a sequential scan instead of using my index.|Run ANALYZE so the planner has fresh statistics, and make sure the predicate matches the indexed expression.",
            "The database join between orders and customers is very slow.|Index the foreign key column orders.customer_id and raise work_mem for the hash join.",
            "How can I find which queries make my PostgreSQL server slow?|Enable pg_stat_statements and sort by total execution time.",
            "Vacuum seems to never finish and the table is bloated.|Tune autovacuum thresholds for that table and consider pg_repack for the bloat."});
        TOPICS.put("bread", new String[] {
            "why does my homemade loaf not rise in the oven",
            "My sourdough loaf comes out flat and dense every time.|Your starter may be weak: feed it twice a day until it doubles within six hours before baking.",
            "The bread dough did not rise at all after two hours.|The yeast was probably dead or the water too hot; proof the yeast in lukewarm water first.",
            "How long should I knead dough for a white sandwich loaf?|About ten minutes by hand, until the dough passes the windowpane test.",
            "My baguettes have a pale, soft crust.|Bake hotter with steam in the first fifteen minutes so the crust browns and crisps.",
            "What hydration should a ciabatta dough have?|Around 75 to 80 percent water relative to flour gives the open crumb of ciabatta."});
        TOPICS.put("kubernetes", new String[] {
            "container in the cluster keeps crashing and restarting",
            "The pod is stuck in CrashLoopBackOff after the deployment.|Check kubectl logs --previous for the crash and kubectl describe pod for the exit code.",
            "My Kubernetes container gets OOMKilled every few minutes.|Raise the memory limit in the pod spec or reduce the JVM heap so it fits within the limit.",
            "The readiness probe fails and the service gets no traffic.|Point the probe at a path that answers quickly and give it an initialDelaySeconds.",
            "Pods remain Pending and are never scheduled on a node.|The nodes lack CPU or memory for the requests; scale the node pool or lower the requests.",
            "ImagePullBackOff on my new deployment in the cluster.|The image tag is wrong or the registry needs an imagePullSecret."});
        TOPICS.put("travel", new String[] {
            "reschedule my airline ticket to another date",
            "I need to move my flight to Paris from Monday to next Tuesday.|I can change the booking; the fare difference is 45 euros, shall I proceed?",
            "Can I change the date of my plane trip to Tokyo?|Yes, your ticket allows one date change for free before departure.",
            "My connecting flight was cancelled, what are my options?|You can be rebooked on the next departure or ask for a refund of the unused segment.",
            "How much checked luggage is included with my air fare?|Your fare includes one checked bag of up to 23 kilograms.",
            "I want to upgrade my seat on the flight to business class.|An upgrade to business on that flight costs 320 dollars; shall I book it?"});
        TOPICS.put("garden", new String[] {
            "my vegetable plants have discolored foliage",
            "The leaves on my tomato plants are turning yellow.|Yellow lower leaves often mean nitrogen deficiency or overwatering; feed with a balanced fertiliser.",
            "There are brown spots spreading on my cucumber leaves.|That looks like a fungal leaf spot; remove affected leaves and water at the base, not the foliage.",
            "My pepper seedlings look pale and leggy.|They need more light: move them under a grow lamp a few centimetres above the tops.",
            "White powder covers the leaves of my courgette plants.|That is powdery mildew; improve air flow and spray a diluted milk or sulfur solution.",
            "The lettuce in my vegetable patch is wilting at midday.|Water deeply in the early morning and mulch to keep the soil cool and moist."});
    }

    @Inject
    VectorTable vectors;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    final String run = unique("search");
    final String agent = "agent-" + run;
    final Map<String, List<String>> conversationsByTopic = new LinkedHashMap<>();

    private boolean published;

    /** REST Assured knows the application's port only inside a test, so the corpus is published by the first one. */
    @BeforeEach
    void publishCorpusOnce() {
        if (published) {
            return;
        }
        published = true;
        List<String> all = new ArrayList<>();
        TOPICS.forEach((topic, lines) -> {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String[] turn = lines[i].split("\\|");
                String conversation = run + "-" + topic + "-" + i;
                conversation(conversation, agent, run + "-task-" + topic, turn[0], turn[1]);
                ids.add(conversation);
            }
            conversationsByTopic.put(topic, ids);
            all.addAll(ids);
        });
        awaitEmbedded(all);
        List<String> lastTopic = conversationsByTopic.get("garden");
        awaitSearchable("tomato leaves turning yellow", agent, lastTopic.get(0));
    }

    @Test
    void eachTopicsQueryRanksItsOwnConversationsFirst() {
        TOPICS.forEach((topic, lines) -> {
            List<Map<String, Object>> results = results(search("q", lines[0], "agent_id", agent, "k", "5"));
            assertThat(results).hasSize(5);
            long relevant = results.stream().filter(r -> conversationsByTopic.get(topic).contains(r.get("conversation_id"))).count();
            assertThat(relevant / 5.0).as("precision@5 of '%s': %s", topic, results).isGreaterThanOrEqualTo(0.8);
            List<Double> scores = results.stream().map(r -> ((Number) r.get("score")).doubleValue()).toList();
            assertThat(scores).isSortedAccordingTo((a, b) -> Double.compare(b, a));
            assertThat(scores).allSatisfy(score -> assertThat(score).isBetween(-1.0, 1.0));
        });
    }

    @Test
    void aResultIsTheConversationsBestMessageWithItsContentAndNeverASystemMessage() {
        List<Map<String, Object>> results = results(search("q", "sourdough starter too weak", "agent_id", agent, "k", "25"));
        assertThat(results).hasSize(25); // one line per conversation, each once
        assertThat(results.stream().map(r -> r.get("conversation_id")).distinct()).hasSize(25);
        Map<String, Object> first = results.get(0);
        assertThat(first.get("conversation_id")).isEqualTo(run + "-bread-1");
        assertThat((String) first.get("message_id")).matches(".*-(u|a)");
        List<Map<String, Object>> stored = query("SELECT content FROM training_data.training_messages WHERE message_id = ?",
                first.get("message_id"));
        assertThat(first.get("content")).isEqualTo(stored.get(0).get("content"));
        assertThat(results).allSatisfy(r -> assertThat((String) r.get("message_id")).doesNotEndWith("-s"));
        assertThat(count("SELECT count(*) FROM training_data.search_vectors WHERE message_id LIKE ?", run + "%-s")).isZero();
    }

    @Test
    void likeFindsConversationsOfTheSameTopicAndLeavesItselfOut() {
        TOPICS.keySet().forEach(topic -> {
            String self = conversationsByTopic.get(topic).get(0);
            List<Map<String, Object>> results = results(search("like", self, "agent_id", agent, "k", "4"));
            assertThat(results).extracting(r -> r.get("conversation_id")).doesNotContain(self);
            long sameTopic = results.stream().filter(r -> conversationsByTopic.get(topic).contains(r.get("conversation_id"))).count();
            assertThat(sameTopic).as("like %s: %s", self, results).isGreaterThanOrEqualTo(3);
        });
        search("like", run + "-no-such-conversation").then().statusCode(404)
                .body("error", org.hamcrest.Matchers.containsString("no indexed message"));
    }

    @Test
    void filtersRestrictTheMessagesSearched() {
        String otherAgent = agent + "-other";
        String conversation = run + "-filtered";
        conversation(conversation, otherAgent, run + "-task-filtered", "My sourdough bread never rises properly.",
                "Feed the starter more often and keep the dough warm.");
        awaitEmbedded(List.of(conversation));
        awaitSearchable("sourdough bread", otherAgent, conversation);

        assertThat(results(search("q", "sourdough bread", "agent_id", otherAgent)))
                .extracting(r -> r.get("conversation_id")).containsExactly(conversation);
        assertThat(results(search("q", "sourdough bread", "agent_id", agent, "k", "30")))
                .extracting(r -> r.get("conversation_id")).doesNotContain(conversation).hasSize(25);
        assertThat(results(search("q", "sourdough bread", "agent_id", agent, "agent_id", otherAgent, "k", "30"))).hasSize(26);
        assertThat(results(search("q", "pods crashing", "task_id", run + "-task-kubernetes", "k", "30")))
                .extracting(r -> r.get("conversation_id")).containsExactlyInAnyOrderElementsOf(conversationsByTopic.get("kubernetes"));
        // occurred_at: everything was published just now
        assertThat(results(search("q", "sourdough", "agent_id", agent, "from", "2000-01-01", "to", "2000-01-02"))).isEmpty();
        assertThat(results(search("q", "sourdough", "agent_id", agent, "from", "2000-01-01", "k", "30"))).hasSize(25);
        assertThat(results(search("like", conversationsByTopic.get("bread").get(0), "agent_id", otherAgent)))
                .extracting(r -> r.get("conversation_id")).containsExactly(conversation);
    }

    @Test
    void kIsBoundedAndDefaultsToTen() {
        assertThat(results(search("q", "anything at all", "agent_id", agent))).hasSize(10);
        assertThat(results(search("q", "anything at all", "agent_id", agent, "k", "1"))).hasSize(1);
        assertThat(results(search("q", "anything at all", "agent_id", agent, "k", "1000"))).hasSize(25);
        for (String bad : List.of("0", "-1", "1001", "ten", "1.5", "")) {
            search("q", "anything", "k", bad).then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("'k'"));
        }
    }

    @Test
    void badRequestsAre400WithAReason() {
        search().then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("exactly one of q"));
        search("q", "bread", "like", run + "-bread-1").then().statusCode(400);
        search("q", "").then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("empty"));
        search("q", "   ").then().statusCode(400);
        search("like", "").then().statusCode(400);
        search("q", "bread", "q", "cake").then().statusCode(400);
        search("q", "bread", "colour", "blue").then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("colour"));
        search("q", "bread", "from", "yesterday").then().statusCode(400);
        search("q", "bread", "redact", "everything").then().statusCode(400);
        search("q", "x".repeat(2001)).then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("2001"));
    }

    @Test
    void hostileQueriesGet400OrACorrectAnswer() {
        search("q", "bread\u0000rise").then().statusCode(400);
        search("q", "bread\u0007rise").then().statusCode(400).body("error", org.hamcrest.Matchers.containsString("U+0007"));
        search("q", "bread\u001brise").then().statusCode(400);
        // tabs and newlines are text
        assertThat(results(search("q", "bread\tdough\nrise", "agent_id", agent, "k", "3"))).hasSize(3);
        // 1 MB: refused before it is read as a query (over the URI limit). The server answers 414 as
        // soon as the request line passes its limit and closes; a client still writing the rest may
        // see the connection closed instead of the status. Either way the next request is served.
        try {
            int status = given().auth().oauth2(EXPORT_TOKEN).queryParam("q", "bread ".repeat(175_000)).get(PATH).statusCode();
            assertThat(status).isIn(400, 414, 431);
        } catch (Exception closed) {
            assertThat(closed).hasRootCauseInstanceOf(java.net.SocketException.class);
        }
        // markup, quotes and emoji are just text
        assertThat(results(search("q", "<script>alert('x')</script> \"bread\" 🍞", "agent_id", agent, "k", "2"))).hasSize(2);
    }

    @Test
    void scopesAreCheckedLikeEveryExport() {
        given().queryParam("q", "bread").get(PATH).then().statusCode(401);
        given().auth().oauth2("test-ingest-token").queryParam("q", "bread").get(PATH).then().statusCode(403);
        given().auth().oauth2(EXPORT_TOKEN).get("/api/v1/search/nothing-here").then().statusCode(404);
    }

    @Test
    void redactionAppliesToTheContent() {
        String conversation = run + "-redact";
        conversation(conversation, agent + "-redact", run + "-task-redact", "Please email the invoice to jane.doe@example.com today.",
                "I will send the invoice to jane.doe@example.com this afternoon.");
        awaitEmbedded(List.of(conversation));
        awaitSearchable("send the invoice by email", agent + "-redact", conversation);
        Map<String, Object> plain = results(search("q", "send the invoice by email", "agent_id", agent + "-redact")).get(0);
        assertThat((String) plain.get("content")).contains("jane.doe@example.com");
        Map<String, Object> redacted = results(search("q", "send the invoice by email", "agent_id", agent + "-redact",
                "redact", "email")).get(0);
        assertThat((String) redacted.get("content")).doesNotContain("jane.doe@example.com").contains("[REDACTED_EMAIL]");
    }

    @Test
    void aStoredMessageIsFoundWithinSecondsAndStatusTellsWhatWaits() {
        String conversation = run + "-fresh";
        String freshAgent = agent + "-fresh";
        xadd(MESSAGES, "message_id", conversation + "-u", "conversation_id", conversation, "role", "user",
                "content", "The espresso machine leaks water from the group head.", "agent_id", freshAgent);
        long start = System.nanoTime();
        awaitSearchable("coffee maker dripping", freshAgent, conversation);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("search: a new message was searchable %.1f s after XADD (busy machine)%n", seconds);

        given().auth().oauth2(EXPORT_TOKEN).get("/api/v1/search/status").then().statusCode(200)
                .body("enabled", org.hamcrest.Matchers.equalTo(true))
                .body("model", org.hamcrest.Matchers.equalTo(Embedder.MODEL))
                .body("dimensions", org.hamcrest.Matchers.equalTo(384));
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("training_store_search_pending").contains("training_store_search_embedded");
    }

    @Test
    void messagesStoredWhileSearchWasOffAreEmbeddedByTheBackfill() throws Exception {
        String conversation = run + "-backfill";
        String backfillAgent = agent + "-backfill";
        // Stored as a store with search off stores them: the trigger reads search_state inside this
        // transaction, where it is off; every other transaction still sees it on.
        try (Connection connection = database.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE training_data.search_state SET enabled = false");
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO training_data.training_messages"
                    + " (message_id, conversation_id, role, content, agent_id, occurred_at, stream_entry_id)"
                    + " VALUES (?, ?, ?, ?, ?, now(), 'test/0-1')")) {
                for (String[] message : List.of(new String[] {"-u", "user", "The violin sounds scratchy when I bow it."},
                        new String[] {"-a", "assistant", "Rosin the bow and check that the bridge stands straight."})) {
                    insert.setString(1, conversation + message[0]);
                    insert.setString(2, conversation);
                    insert.setString(3, message[1]);
                    insert.setString(4, message[2]);
                    insert.setString(5, backfillAgent);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE training_data.search_state SET enabled = true");
            }
            connection.commit();
        }
        assertThat(count("SELECT count(*) FROM training_data.search_queue WHERE message_id LIKE ?", conversation + "%")).isZero();

        await().atMost(Duration.ofSeconds(60)).until(() -> vectors.backfill(Embedder.MODEL).await().atMost(Duration.ofSeconds(60)) >= 0);
        awaitEmbedded(List.of(conversation));
        awaitSearchable("string instrument makes a scratching noise", backfillAgent, conversation);
    }

    /**
     * Times far from 1970 (9999-12-31, year 1) and those a long's microseconds cannot hold ('infinity',
     * 294276 AD) are indexed and filtered; the vectors read with them are indexed too (the CI saw the
     * whole index stall on "long overflow" after another test stored a message of 9999-12-31).
     */
    @Test
    void messagesAtTheEndsOfTimeAreSearchableAndBlockNothingAfterThem() {
        String conversation = run + "-ends-of-time";
        String endsAgent = agent + "-ends";
        int i = 0;
        for (String time : List.of("infinity", "-infinity", "9999-12-31 23:59:59.999999+00", "0001-01-01 00:00:00+00",
                "294276-12-31 23:59:59+00", "2026-06-01 00:00:00+00")) {
            executeSql("INSERT INTO training_data.training_messages (message_id, conversation_id, role, content, agent_id,"
                    + " occurred_at, stream_entry_id) VALUES (?, ?, 'user', ?, ?, ?::timestamptz, 'test/0-1')",
                    conversation + "-" + i + "-m", conversation + "-" + i, "The espresso machine leaks water " + time,
                    endsAgent, time);
            i++;
        }
        awaitSearchable("coffee maker dripping", endsAgent, conversation + "-5");
        assertThat(search("q", "coffee maker dripping", "agent_id", endsAgent, "k", "10")
                .jsonPath().getList("results.conversation_id", String.class))
                .containsExactlyInAnyOrder(conversation + "-0", conversation + "-1", conversation + "-2", conversation + "-3",
                        conversation + "-4", conversation + "-5");
        assertThat(search("q", "coffee maker dripping", "agent_id", endsAgent, "from", "9000-01-01T00:00:00Z")
                .jsonPath().getList("results.conversation_id", String.class))
                .containsExactlyInAnyOrder(conversation + "-0", conversation + "-2", conversation + "-4");
    }

    /**
     * A message the trigger queued is claimed before the backfill's backlog, even when the backlog's
     * ids are higher (the backfill sorts the whole store before it takes its first id). Both rows are
     * made and claimed in one transaction that is rolled back, so the running workers never see them.
     */
    @Test
    void messagesQueuedByTheTriggerAreClaimedBeforeTheBackfillsBacklog() {
        String conversation = run + "-claim-order";
        var claimed = new java.util.concurrent.atomic.AtomicReference<List<String>>();
        var rollBack = new IllegalStateException("roll back");
        pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO training_data.training_messages"
                                + " (message_id, conversation_id, role, content, agent_id, occurred_at, stream_entry_id)"
                                + " SELECT $1 || suffix, $1, 'user', 'a question', 'claim-order', now(), 'test/0-1'"
                                + " FROM unnest(ARRAY['-live', '-backlog']) AS suffix")
                        .execute(io.vertx.mutiny.sqlclient.Tuple.of(conversation))
                        .chain(() -> conn.preparedQuery("UPDATE training_data.search_queue"
                                + " SET backfill = true, id = nextval(pg_get_serial_sequence('training_data.search_queue', 'id'))"
                                + " WHERE message_id = $1").execute(io.vertx.mutiny.sqlclient.Tuple.of(conversation + "-backlog")))
                        .chain(() -> vectors.claim(conn, 1, Embedder.MODEL))
                        .invoke(claim -> claimed.set(claim.messages().stream().map(VectorTable.Claimed::messageId).toList()))
                        .chain(claim -> io.smallrye.mutiny.Uni.createFrom().failure(rollBack)))
                .onFailure(failure -> failure == rollBack).recoverWithNull()
                .await().atMost(Duration.ofSeconds(30));
        assertThat(claimed.get()).containsExactly(conversation + "-live");
    }

    @Test
    void aMessageWithoutContentOrOfAToolIsNotEmbedded() {
        String conversation = run + "-tools";
        List<String> ids = new ArrayList<>();
        ids.add(xadd(MESSAGES, "message_id", conversation + "-call", "conversation_id", conversation, "role", "assistant",
                "content", "", "agent_id", agent + "-tools", "seq", "1", "tool_calls",
                "[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]"));
        ids.add(xadd(MESSAGES, "message_id", conversation + "-tool", "conversation_id", conversation, "role", "tool",
                "content", "the tool said something", "tool_call_id", "c1", "agent_id", agent + "-tools", "seq", "2"));
        ids.add(xadd(MESSAGES, "message_id", conversation + "-u", "conversation_id", conversation, "role", "user",
                "content", "thanks, that works", "agent_id", agent + "-tools", "seq", "3"));
        awaitRows(3, "SELECT message_id FROM training_data.training_messages WHERE conversation_id = ?", conversation);
        await().atMost(EMBEDDED_WITHIN).until(() -> count("SELECT count(*) FROM training_data.search_vectors WHERE conversation_id = ?",
                conversation) == 1);
        assertThat(query("SELECT message_id FROM training_data.search_vectors WHERE conversation_id = ?", conversation))
                .extracting(row -> row.get("message_id")).containsExactly(conversation + "-u");
        assertThat(count("SELECT count(*) FROM training_data.search_queue WHERE message_id LIKE ?", conversation + "%")).isZero();
    }

}
