package ai.trainingstore.version;

import io.smallrye.mutiny.Uni;

/**
 * Where a version's bytes live: numbered chunks of compressed bytes, each knowing where it starts
 * in the uncompressed bytes. {@link PostgresChunkStore} keeps them in the database (so a backup of
 * the database holds them); an S3-compatible object store would keep each chunk as an object
 * ({@code versions/<id>/<chunk_no>}, its offsets in the object's metadata or in the chunk table),
 * written and read the same way (README, "Dataset versions").
 */
public interface ChunkStore {

    /** One stored chunk: {@code data} is compressed, {@code length} its uncompressed size. */
    record Chunk(int number, long startOffset, int length, byte[] data) {
    }

    Uni<Void> write(long versionId, Chunk chunk);

    /** The chunk, or a failure when it is gone (the version was deleted meanwhile). */
    Uni<Chunk> read(long versionId, int number);

    /** The number of the chunk holding the uncompressed byte at {@code offset}. */
    Uni<Integer> chunkAt(long versionId, long offset);

    /** Every chunk of the version. */
    Uni<Void> delete(long versionId);
}
