package ai.trainingstore.search;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The SQL of search (tables of V11): the on/off state the insert trigger reads, the queue of messages
 * to embed, and the vectors. Parameterized statements only.
 */
@ApplicationScoped
public class VectorTable {

    /** The backfill lock's keys ("tsrc", 1): one replica at a time enqueues the messages without a vector. */
    static final int LOCK_CLASS = 0x7473_7263;
    /** Characters of a message the model is given: it reads about 256 word pieces, a little over 1,000 characters of English. */
    static final int EMBEDDED_CHARS = 2000;

    private final Pool pool;

    public VectorTable(Pool pool) {
        this.pool = pool;
    }

    /** A message claimed for embedding. */
    public record Claimed(String messageId, String conversationId, String agentId, String taskId,
            OffsetDateTime occurredAt, String content) {
    }

    /** Queue rows taken, and the messages among them to embed. */
    public record Claim(int taken, List<Claimed> messages) {
    }

    /** Switches the queueing trigger on (with the model) or off; off also empties the queue. */
    public Uni<Void> setEnabled(boolean enabled, String model) {
        if (!enabled) {
            return pool.withTransaction(conn -> conn
                    .preparedQuery("UPDATE training_data.search_state SET enabled = false WHERE enabled").execute()
                    .chain(() -> conn.preparedQuery("DELETE FROM training_data.search_queue").execute()))
                    .replaceWithVoid();
        }
        return pool.preparedQuery("INSERT INTO training_data.search_state (id, enabled, model) VALUES (1, true, $1)"
                        + " ON CONFLICT (id) DO UPDATE SET enabled = true, model = excluded.model")
                .execute(Tuple.of(model)).replaceWithVoid();
    }

    /**
     * Queues every user and assistant message that has no vector of this model, and drops the vectors of
     * other models. One replica at a time (a transaction advisory lock; the others skip). Returns the
     * messages queued, or -1 when another replica holds the lock.
     */
    public Uni<Long> backfill(String model) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1, 1) AS locked")
                .execute(Tuple.of(LOCK_CLASS))
                .chain(locked -> !locked.iterator().next().getBoolean("locked") ? Uni.createFrom().item(-1L)
                        : conn.preparedQuery("DELETE FROM training_data.search_vectors WHERE model <> $1").execute(Tuple.of(model))
                        .chain(() -> conn.preparedQuery("INSERT INTO training_data.search_queue (message_id, backfill)"
                                + " SELECT m.message_id, true FROM training_data.training_messages m"
                                + " WHERE m.role IN ('user', 'assistant') AND m.content <> ''"
                                + " AND NOT EXISTS (SELECT 1 FROM training_data.search_vectors v"
                                + " WHERE v.message_id = m.message_id AND v.model = $1)"
                                + " ORDER BY m.occurred_at"
                                + " ON CONFLICT (message_id) DO NOTHING").execute(Tuple.of(model)))
                        .map(rows -> (long) rows.rowCount())));
    }

    /**
     * In the caller's transaction: takes up to {@code limit} queued messages that no other transaction
     * holds (SKIP LOCKED), those the trigger queued before the backfill's, each newest first; deletes
     * them from the queue and returns the ones still stored and still without a vector of this model
     * (read after the claim, so a message another replica has just embedded is not embedded again). A
     * rollback puts them all back.
     */
    public Uni<Claim> claim(SqlConnection conn, int limit, String model) {
        return conn.preparedQuery("DELETE FROM training_data.search_queue WHERE id IN"
                        + " (SELECT id FROM training_data.search_queue ORDER BY backfill, id DESC LIMIT $1 FOR UPDATE SKIP LOCKED)"
                        + " RETURNING message_id")
                .execute(Tuple.of(limit))
                .chain(taken -> {
                    List<String> ids = new ArrayList<>();
                    taken.forEach(row -> ids.add(row.getString(0)));
                    if (ids.isEmpty()) {
                        return Uni.createFrom().item(new Claim(0, List.of()));
                    }
                    return conn.preparedQuery("SELECT m.message_id, m.conversation_id, m.agent_id, m.task_id, m.occurred_at,"
                                    + " left(m.content, " + EMBEDDED_CHARS + ") AS content"
                                    + " FROM training_data.training_messages m WHERE m.message_id = ANY($1)"
                                    + " AND NOT EXISTS (SELECT 1 FROM training_data.search_vectors v"
                                    + " WHERE v.message_id = m.message_id AND v.model = $2)")
                            .execute(Tuple.of(ids.toArray(String[]::new), model))
                            .map(rows -> map(rows, row -> new Claimed(row.getString("message_id"),
                                    row.getString("conversation_id"), row.getString("agent_id"), row.getString("task_id"),
                                    row.getOffsetDateTime("occurred_at"), row.getString("content"))))
                            .map(messages -> new Claim(ids.size(), messages));
                });
    }

    /** In the caller's transaction: the claimed messages' vectors, in the same order. */
    public Uni<Void> write(SqlConnection conn, List<Claimed> claimed, List<float[]> vectors, String model, String embeddedBy) {
        int n = claimed.size();
        String[] ids = new String[n];
        String[] conversations = new String[n];
        String[] agents = new String[n];
        String[] tasks = new String[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        Buffer[] bytes = new Buffer[n];
        for (int i = 0; i < n; i++) {
            Claimed message = claimed.get(i);
            ids[i] = message.messageId();
            conversations[i] = message.conversationId();
            agents[i] = message.agentId();
            tasks[i] = message.taskId();
            times[i] = message.occurredAt();
            bytes[i] = Buffer.buffer(Vectors.toBytes(vectors.get(i)));
        }
        return conn.preparedQuery("INSERT INTO training_data.search_vectors"
                        + " (message_id, model, conversation_id, agent_id, task_id, occurred_at, vector, embedded_by)"
                        + " SELECT u.message_id, $7, u.conversation_id, u.agent_id, u.task_id, u.occurred_at, u.vector, $8"
                        + " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bytea[])"
                        + " AS u (message_id, conversation_id, agent_id, task_id, occurred_at, vector)"
                        + " ON CONFLICT (message_id, model) DO NOTHING")
                .execute(Tuple.from(List.<Object>of(ids, conversations, agents, tasks, times, bytes, model, embeddedBy)))
                .replaceWithVoid();
    }

    /** A vector read by tailing, and whether it was embedded less than the asked time ago (the database's clock). */
    public record Tailed(StoredVector vector, boolean recent) {
    }

    /** Vectors of this model with an id above {@code afterId}, in id order. */
    public Uni<List<Tailed>> after(long afterId, int limit, String model, Duration recentWithin) {
        return pool.preparedQuery("SELECT id, message_id, conversation_id, agent_id, task_id, occurred_at, vector,"
                        + " embedded_at > now() - make_interval(secs => $4) AS recent"
                        + " FROM training_data.search_vectors WHERE model = $1 AND id > $2 ORDER BY id LIMIT $3")
                .execute(Tuple.of(model, afterId, limit, (double) recentWithin.toSeconds()))
                .map(rows -> map(rows, row -> new Tailed(stored(row), row.getBoolean("recent"))));
    }

    /** Vectors with these ids (ids once skipped because their transaction had not committed yet). */
    public Uni<List<StoredVector>> withIds(Long[] ids, String model) {
        return pool.preparedQuery("SELECT id, message_id, conversation_id, agent_id, task_id, occurred_at, vector"
                        + " FROM training_data.search_vectors WHERE model = $1 AND id = ANY($2)")
                .execute(Tuple.of(model, ids))
                .map(rows -> map(rows, VectorTable::stored));
    }

    /** The vectors of one conversation's messages (at most {@code limit}). */
    public Uni<List<float[]>> conversation(String conversationId, String model, int limit) {
        return pool.preparedQuery("SELECT vector FROM training_data.search_vectors"
                        + " WHERE conversation_id = $1 AND model = $2 LIMIT $3")
                .execute(Tuple.of(conversationId, model, limit))
                .map(rows -> map(rows, row -> Vectors.fromBytes(row.getBuffer(0).getBytes())));
    }

    /** The stored content of these messages, each cut to {@code maxChars}, and whether it was cut. */
    public Uni<Map<String, Content>> contents(List<String> messageIds, int maxChars) {
        return pool.preparedQuery("SELECT message_id, left(content, $2) AS content, length(content) > $2 AS cut"
                        + " FROM training_data.training_messages WHERE message_id = ANY($1)")
                .execute(Tuple.of(messageIds.toArray(String[]::new), maxChars))
                .map(rows -> {
                    Map<String, Content> contents = new java.util.HashMap<>();
                    rows.forEach(row -> contents.put(row.getString(0), new Content(row.getString(1), row.getBoolean(2))));
                    return contents;
                });
    }

    public record Content(String text, boolean cut) {
    }

    /** Messages waiting to be embedded. */
    public Uni<Long> pending() {
        return pool.query("SELECT count(*) FROM training_data.search_queue").execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    private static StoredVector stored(Row row) {
        return new StoredVector(row.getLong("id"), row.getString("message_id"), row.getString("conversation_id"),
                row.getString("agent_id"), row.getString("task_id"),
                row.getOffsetDateTime("occurred_at").toInstant(),
                Vectors.fromBytes(row.getBuffer("vector").getBytes()));
    }

    private static <T> List<T> map(RowSet<Row> rows, Function<Row, T> mapper) {
        List<T> list = new ArrayList<>(rows.size());
        rows.forEach(row -> list.add(mapper.apply(row)));
        return list;
    }
}
