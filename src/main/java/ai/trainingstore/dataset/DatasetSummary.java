package ai.trainingstore.dataset;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.dataset.tokens.TokenFigures;
import ai.trainingstore.dataset.tokens.TokenTally;
import ai.trainingstore.dataset.tokens.Tokenizer;
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
        @Schema(description = "Tokens per emitted line, counted exactly as contract 6.5 says")
        TokenFigures tokens,
        @Schema(description = "With explain=true only: per reason, the first 20 conversations left out"
                + " ({id, detail}), in the dataset's order")
        @JsonProperty("left_out") @JsonInclude(JsonInclude.Include.NON_NULL)
        Map<String, List<LeftOut.Example>> leftOut) {

    static final class Builder {
        private long conversations;
        private long emitted;
        private long messages;
        private long toolCalls;
        private final LeftOut skipped;
        private final Map<String, Long> splits = new LinkedHashMap<>();
        private final TokenTally tokens;

        /** {@code explain}: keep the first conversations of each reason with their detail (left_out). */
        Builder(boolean explain, Tokenizer tokenizer) {
            tokens = new TokenTally(tokenizer);
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

        void emitted(int messageCount, long callCount, long lineTokens) {
            conversations++;
            emitted++;
            messages += messageCount;
            toolCalls += callCount;
            tokens.add(lineTokens);
        }

        void skipped(String conversationId, Conversation.Skip skip) {
            conversations++;
            skipped.add(skip.reason().id(), conversationId, skip.detail());
        }

        DatasetSummary build() {
            return new DatasetSummary(conversations, emitted, skipped.counts(), messages, toolCalls, splits,
                    tokens.figures(), skipped.examples());
        }
    }
}
