package ai.trainingstore.version;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A dataset version's manifest (contract section 6.4), as stored and as answered. */
@Schema(description = "A dataset version: what it was built from, its state, and the bytes' size and SHA-256")
public record Manifest(
        String id,
        String name,
        String dataset,
        @Schema(description = "The dataset's query parameters, as given")
        JsonNode parameters,
        @Schema(description = "building, ready or failed")
        String status,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("completed_at") String completedAt,
        Long lines,
        Long bytes,
        @Schema(description = "Lowercase hex SHA-256 of the uncompressed bytes (the ETag of /lines)")
        String sha256,
        @Schema(description = "The dataset's summary for the same snapshot")
        JsonNode summary,
        @Schema(description = "Why the build failed")
        String error,
        @Schema(description = "Where the snapshot was read: {\"replica\": false} (the primary) or {\"replica\": true,"
                + " \"replay_lsn\", \"replay_at\"} (a streaming replica's replay position when the build started;"
                + " null for versions built before this was recorded)")
        JsonNode source,
        @JsonIgnore int chunks) {

    public static final String BUILDING = "building";
    public static final String READY = "ready";
    public static final String FAILED = "failed";

    /** The columns {@link #of} reads. */
    static final String COLUMNS = "version_id, name, dataset, parameters::text AS parameters, status, created_at,"
            + " completed_at, lines, bytes, sha256, summary::text AS summary, error, source::text AS source, chunks";

    static Manifest of(Row row) {
        return new Manifest(Long.toString(row.getLong("version_id")), row.getString("name"), row.getString("dataset"),
                VersionService.json(row.getString("parameters")), row.getString("status"),
                time(row.getOffsetDateTime("created_at")), time(row.getOffsetDateTime("completed_at")),
                row.getLong("lines"), row.getLong("bytes"), row.getString("sha256"),
                VersionService.json(row.getString("summary")), row.getString("error"),
                VersionService.json(row.getString("source")),
                row.getInteger("chunks") == null ? 0 : row.getInteger("chunks"));
    }

    @JsonIgnore
    public long versionId() {
        return Long.parseLong(id);
    }

    private static String time(OffsetDateTime time) {
        return time == null ? null : time.toInstant().toString();
    }
}
