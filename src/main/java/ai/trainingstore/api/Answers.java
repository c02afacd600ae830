package ai.trainingstore.api;

import ai.trainingstore.publish.HttpIngest;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The bodies the API answers with, so that {@code /q/openapi} describes each one. */
public final class Answers {

    private Answers() {
    }

    @Schema(description = "An error: what is wrong and how to fix it")
    public record Error(String error) {
    }

    @Schema(description = "Figures of one kind")
    public record KindStats(
            String stream,
            long rows,
            @JsonProperty("stream_length") long streamLength,
            long pending,
            @Schema(description = "Entries not yet delivered to the group; null when Redis cannot tell")
            Long lag,
            @JsonProperty("dead_letters") long deadLetters) {
    }

    @Schema(description = "Rows stored, stream length, pending entries, consumer lag and dead letters per kind")
    public record Stats(
            String group,
            Map<String, KindStats> kinds,
            @JsonProperty("dead_letter_stream") String deadLetterStream,
            @JsonProperty("dead_letters") long deadLetters,
            @Schema(description = "The read replica, when training-store.read.url is set (absent otherwise)")
            @JsonProperty("read_replica") @com.fasterxml.jackson.annotation.JsonInclude(
                    com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) ReadReplica readReplica) {
    }

    @Schema(description = "Where reads go and how far the replica is behind the primary (docs/deploying.md)")
    public record ReadReplica(
            @Schema(description = "replica, primary (fallen back) or rejected (fallen back, when-unavailable=reject);"
                    + " the rows counts above come from the replica only when this is replica")
            String reads,
            @Schema(description = "Whether the replica answered the last probe")
            boolean up,
            @Schema(description = "WAL bytes written on the primary and not yet replayed; null while down")
            @JsonProperty("lag_bytes") Long lagBytes,
            @Schema(description = "Seconds since the last replayed commit while WAL is left to replay, else 0; null while down")
            @JsonProperty("lag_seconds") Double lagSeconds,
            @JsonProperty("replay_lsn") String replayLsn,
            @JsonProperty("replay_at") String replayAt,
            @Schema(description = "Why reads left the replica; null while they use it")
            String reason) {
    }

    @Schema(description = "One dead letter: why the entry was refused and its original fields. A name or value"
            + " longer than training-store.memory.dead-letter-field-bytes is cut and ends with"
            + " '\u2026[cut: <bytes> bytes]'; replay uses the original fields")
    public record DeadLetter(
            String id,
            @JsonProperty("source_stream") String sourceStream,
            @JsonProperty("source_id") String sourceId,
            String error,
            @JsonProperty("error_code") String errorCode,
            @JsonProperty("delivery_count") Integer deliveryCount,
            Map<String, String> fields,
            @Schema(description = "The fields shown cut, by name: their real size in bytes (empty when none)")
            Map<String, Long> cut) {
    }

    @Schema(description = "A page of dead letters, oldest first")
    public record DeadLetterPage(
            @JsonProperty("dead_letters") List<DeadLetter> deadLetters,
            @Schema(description = "Pass as 'after' for the next page; null on the last page")
            @JsonProperty("next_after") String nextAfter) {
    }

    @Schema(description = "A dead letter added again to its source stream")
    public record Replayed(String id, @JsonProperty("source_stream") String sourceStream,
                           @JsonProperty("entry_id") String entryId) {
    }

    @Schema(description = "A dead letter left where it is, with the reason")
    public record NotReplayed(String id, String error) {
    }

    @Schema(description = "The outcome of a replay")
    public record Replay(List<Replayed> replayed, @JsonProperty("not_replayed") List<NotReplayed> notReplayed) {
    }

    @Schema(description = "Records added to a kind's stream, with their entry ids in request order")
    public record Accepted(String kind, String stream, @JsonProperty("entry_ids") List<String> entryIds) {
    }

    @Schema(description = "Records refused: none of the request was added")
    public record InvalidRecords(String error, List<HttpIngest.RecordError> records) {
    }
}
