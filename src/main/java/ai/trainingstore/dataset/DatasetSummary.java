package ai.trainingstore.dataset;

import ai.trainingstore.dataset.SplitRule.Split;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code GET /api/v1/datasets/conversations/summary}: what the same request would emit, counted. */
@Schema(description = "Counts of what the same dataset request emits")
public record DatasetSummary(
        @Schema(description = "Conversations matching the filters and the split")
        long conversations,
        long emitted,
        @Schema(description = "Conversations left out, by reason")
        Map<String, Long> skipped,
        @Schema(description = "Messages in the emitted lines")
        long messages,
        @JsonProperty("tool_calls") long toolCalls,
        @Schema(description = "Emitted conversations per split, before the split parameter is applied (up to where a limit stops the export)")
        Map<String, Long> splits,
        @Schema(description = "Per emitted line: an estimate of characters / 4")
        Tokens tokens,
        @Schema(description = "With explain=true only: per reason, the first 20 conversations left out"
                + " ({id, detail}), in the dataset's order")
        @JsonProperty("left_out") @JsonInclude(JsonInclude.Include.NON_NULL)
        Map<String, List<LeftOut.Example>> leftOut) {

    public record Tokens(long min, long median, long p95, long max, long total) {

        /** The figures of the first {@code count} per-line counts. */
        static Tokens of(int[] perLine, int count) {
            int[] sorted = Arrays.copyOf(perLine, count);
            Arrays.sort(sorted);
            long total = Arrays.stream(sorted).asLongStream().sum();
            return sorted.length == 0 ? new Tokens(0, 0, 0, 0, 0) : new Tokens(sorted[0],
                    sorted[(sorted.length - 1) / 2], sorted[(int) Math.ceil(sorted.length * 0.95) - 1],
                    sorted[sorted.length - 1], total);
        }
    }

    static final class Builder {
        private long conversations;
        private long emitted;
        private long messages;
        private long toolCalls;
        private final LeftOut skipped;
        private final Map<String, Long> splits = new LinkedHashMap<>();
        private int[] tokens = new int[1024];

        Builder() {
            this(false);
        }

        /** {@code explain}: keep the first conversations of each reason with their detail (left_out). */
        Builder(boolean explain) {
            skipped = new LeftOut(Arrays.stream(Conversation.SkipReason.values()).map(Conversation.SkipReason::id).toList(),
                    explain);
            for (Split split : Split.values()) {
                splits.put(split.id(), 0L);
            }
        }

        long emitted() {
            return emitted;
        }

        /** Whether left_out examples are kept (explain=true). */
        boolean explains() {
            return skipped.explains();
        }

        void split(Split split) {
            splits.merge(split.id(), 1L, Long::sum);
        }

        void emitted(int messageCount, long callCount, int tokenEstimate) {
            conversations++;
            messages += messageCount;
            toolCalls += callCount;
            if (emitted == tokens.length) {
                tokens = Arrays.copyOf(tokens, tokens.length * 2);
            }
            tokens[(int) emitted++] = tokenEstimate;
        }

        void skipped(String conversationId, Conversation.Skip skip) {
            conversations++;
            skipped.add(skip.reason().id(), conversationId, skip.detail());
        }

        DatasetSummary build() {
            Tokens figures = Tokens.of(tokens, (int) emitted);
            return new DatasetSummary(conversations, emitted, skipped.counts(), messages, toolCalls, splits, figures,
                    skipped.examples());
        }
    }
}
