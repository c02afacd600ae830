package ai.trainingstore.dataset.tokens;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A summary's {@code tokens}: the exact counts of the emitted lines (contract 6.1, 6.5). */
@Schema(description = "Tokens of the emitted lines, counted exactly with the encoding (contract 6.5)")
public record TokenFigures(
        @Schema(description = "The encoding counted with: o200k_base or cl100k_base")
        String encoding,
        long min,
        @Schema(description = "The middle line's count (the lower middle for an even number of lines)")
        long median,
        @Schema(description = "95 % of the lines count this or less (nearest rank)")
        long p95,
        long max,
        @Schema(description = "All emitted lines together")
        long total) {
}
