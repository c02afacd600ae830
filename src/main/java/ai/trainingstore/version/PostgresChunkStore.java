package ai.trainingstore.version;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowIterator;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/** Chunks in {@code training_data.dataset_version_chunks}, one row each (V8). */
@ApplicationScoped
public class PostgresChunkStore implements ChunkStore {

    private final Pool pool;

    public PostgresChunkStore(Pool pool) {
        this.pool = pool;
    }

    @Override
    public Uni<Void> write(long versionId, Chunk chunk) {
        return pool.preparedQuery("INSERT INTO training_data.dataset_version_chunks"
                        + " (version_id, chunk_no, start_offset, length, data) VALUES ($1, $2, $3, $4, $5)")
                .execute(Tuple.of(versionId, chunk.number(), chunk.startOffset(), chunk.length(),
                        Buffer.buffer(chunk.data()).getDelegate()))
                .replaceWithVoid();
    }

    @Override
    public Uni<Chunk> read(long versionId, int number) {
        return pool.preparedQuery("SELECT chunk_no, start_offset, length, data FROM training_data.dataset_version_chunks"
                        + " WHERE version_id = $1 AND chunk_no = $2")
                .execute(Tuple.of(versionId, number))
                .map(rows -> {
                    RowIterator<Row> found = rows.iterator();
                    if (!found.hasNext()) {
                        throw new IllegalStateException("chunk " + number + " of version " + versionId
                                + " is gone (the version was deleted)");
                    }
                    Row row = found.next();
                    return new Chunk(row.getInteger("chunk_no"), row.getLong("start_offset"), row.getInteger("length"),
                            row.getBuffer("data").getBytes());
                });
    }

    @Override
    public Uni<Integer> chunkAt(long versionId, long offset) {
        return pool.preparedQuery("SELECT chunk_no FROM training_data.dataset_version_chunks"
                        + " WHERE version_id = $1 AND start_offset <= $2 ORDER BY chunk_no DESC LIMIT 1")
                .execute(Tuple.of(versionId, offset))
                .map(rows -> rows.iterator().hasNext() ? rows.iterator().next().getInteger(0) : 0);
    }

    @Override
    public Uni<Void> delete(long versionId) {
        return pool.preparedQuery("DELETE FROM training_data.dataset_version_chunks WHERE version_id = $1")
                .execute(Tuple.of(versionId)).replaceWithVoid();
    }
}
