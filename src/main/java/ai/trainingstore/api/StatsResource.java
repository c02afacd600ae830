package ai.trainingstore.api;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetterCounts;
import ai.trainingstore.store.ReadPool;
import ai.trainingstore.stream.StreamLag;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.security.ApiTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** {@code GET /api/v1/stats}: per kind, rows stored, stream length, pending, lag and dead letters. */
@Path("/api/v1/stats")
public class StatsResource {

    /** One exact count per table, in one round trip. */
    private static final String ROW_COUNTS = "SELECT " + Arrays.stream(RecordKind.values())
            .map(kind -> "(SELECT count(*) FROM " + kind.qualifiedTable() + ") AS " + kind.id())
            .collect(Collectors.joining(", "));

    private final ReadPool reads;
    private final StreamLag streams;
    private final DeadLetterCounts deadLetters;
    private final StoreConfig config;

    public StatsResource(ReadPool reads, StreamLag streams, DeadLetterCounts deadLetters, StoreConfig config) {
        this.reads = reads;
        this.streams = streams;
        this.deadLetters = deadLetters;
        this.config = config;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({ApiTokens.EXPORT, ApiTokens.INGEST})
    @Operation(summary = "Rows stored, stream length, pending entries, consumer lag and dead letters per kind")
    public Uni<Answers.Stats> stats() {
        // Counts from the replica while it is fresh (within read.max-lag): they are as of its replay
        // position, which read_replica shows. A fresh probe first, so the lag shown is current.
        Uni<Row> counts = reads.probe()
                .chain(() -> reads.replicaOrPrimary().query(ROW_COUNTS).execute())
                .map(rows -> rows.iterator().next());
        return Uni.combine().all().unis(counts, deadLetters.current(), streams.refresh())
                .with((rows, deadLettered, ignored) -> {
                    Map<String, Answers.KindStats> kinds = new LinkedHashMap<>();
                    for (RecordKind kind : RecordKind.values()) {
                        String stream = config.streams().of(kind);
                        StreamLag.Snapshot snapshot = streams.snapshot(stream);
                        long lag = snapshot.lag().get();
                        kinds.put(kind.id(), new Answers.KindStats(stream, rows.getLong(kind.id()),
                                snapshot.length().get(), snapshot.pending().get(), lag < 0 ? null : lag,
                                deadLettered.bySource().getOrDefault(stream, 0L)));
                    }
                    return new Answers.Stats(config.group(), kinds, config.streams().deadLetter(),
                            deadLettered.total(), reads.status().map(this::replica).orElse(null));
                });
    }

    private Answers.ReadReplica replica(ReadPool.Status status) {
        String target = reads.target() == ReadPool.Target.REPLICA ? "replica"
                : config.read().whenUnavailable() == StoreConfig.Read.WhenUnavailable.REJECT ? "rejected" : "primary";
        return new Answers.ReadReplica(target, status.up(), status.up() ? status.lagBytes() : null,
                status.up() ? status.lagSeconds() : null, status.replayLsn(),
                status.replayAt() == null ? null : status.replayAt().toInstant().toString(), status.reason());
    }
}
