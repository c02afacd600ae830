package ai.trainingstore.dataset;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.export.ExportMetrics;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The conversations dataset: the query's rows grouped into conversations as they stream (a
 * conversation ends when the next one's first row arrives), each assembled, filtered, split and
 * written as one line. Backpressure runs end to end (a line is built only when the client has
 * taken the previous chunk), so memory holds one conversation and one chunk, whatever the size.
 * Streams hold one of the export slots, like row exports.
 */
@ApplicationScoped
public class ConversationDatasets {

    private final ExportService exports;
    private final RedactionPolicy redaction;

    public ConversationDatasets(ExportService exports, RedactionPolicy redaction) {
        this.exports = exports;
        this.redaction = redaction;
    }

    /** The JSONL lines of the dataset. */
    public Multi<Buffer> export(ConversationRequest request) {
        ConversationQuery query = ConversationQuery.of(request);
        Redaction redact = redaction.effective(request.redact());
        return exports.inSlot(ExportMetrics.CONVERSATIONS, () -> {
            Multi<byte[]> lines = ExportService.onWorkerWhen(!redact.isNone(), conversations(query))
                    .select().where(conversation -> matches(request, conversation))
                    .select().where(Conversation::isEmitted)
                    .select().where(conversation -> inRequestedSplit(request, conversation))
                    .select().first(request.limit().orElse(Long.MAX_VALUE))
                    .map(conversation -> line(request, conversation, redact))
                    .group().intoLists().of(JsonLines.PER_CHUNK)
                    .invoke(chunk -> exports.written(ExportMetrics.CONVERSATIONS, chunk.size()))
                    .map(JsonLines::joined);
            return ExportService.bytes(lines, request.gzip(), "conversations dataset");
        });
    }

    /** What {@link #export} would emit, counted: the same filters, split and limit. */
    public Uni<DatasetSummary> summary(ConversationRequest request) {
        ConversationQuery query = ConversationQuery.of(request);
        long limit = request.limit().orElse(Long.MAX_VALUE);
        Redaction redact = redaction.effective(request.redact());
        return exports.inSlot(ExportMetrics.CONVERSATIONS, () -> ExportService.onWorkerWhen(!redact.isNone(),
                                conversations(query))
                        .select().where(conversation -> matches(request, conversation)))
                .collect().in(DatasetSummary.Builder::new, (summary, conversation) -> {
                    if (summary.emitted() >= limit) {
                        return; // the export has stopped here: nothing after it is counted, splits included
                    }
                    Split split = request.splitRule().of(conversation.id);
                    if (conversation.isEmitted()) {
                        summary.split(split);
                    }
                    if (!inRequestedSplit(request, conversation)) {
                        return;
                    }
                    if (conversation.isEmitted()) {
                        summary.emitted(conversation.messages.size(), conversation.toolCallCount(),
                                tokenEstimate(line(request, conversation, redact)));
                    } else {
                        summary.skipped(conversation.skipped.id());
                    }
                })
                .map(DatasetSummary.Builder::build);
    }

    /** Rows grouped by conversation, in order; one conversation at a time in memory. */
    private Multi<Conversation> conversations(ConversationQuery query) {
        return Multi.createFrom().deferred(() -> {
            List<List<MessageRow>> open = new ArrayList<>(List.of(new ArrayList<>()));
            Multi<Conversation> ended = exports.rows(query.sql(), query.parameters())
                    .map(MessageRow::of)
                    .map(row -> {
                        List<MessageRow> current = open.get(0);
                        if (current.isEmpty() || current.get(0).conversationId().equals(row.conversationId())) {
                            current.add(row);
                            return Optional.<Conversation>empty();
                        }
                        Conversation done = Conversation.assemble(current);
                        open.set(0, new ArrayList<>(List.of(row)));
                        return Optional.of(done);
                    })
                    .select().where(Optional::isPresent)
                    .map(Optional::get);
            Multi<Conversation> last = Multi.createFrom().deferred(() -> open.get(0).isEmpty()
                    ? Multi.createFrom().empty() : Multi.createFrom().item(Conversation.assemble(open.get(0))));
            return Multi.createBy().concatenating().streams(ended, last);
        });
    }

    private static boolean inRequestedSplit(ConversationRequest request, Conversation conversation) {
        return request.split().map(split -> split == request.splitRule().of(conversation.id)).orElse(true);
    }

    /** The filters of the request that are decided on the whole conversation. */
    static boolean matches(ConversationRequest request, Conversation conversation) {
        if (request.from().isPresent() && conversation.firstOccurredAt.isBefore(request.from().get())) {
            return false;
        }
        if (request.to().isPresent() && !conversation.firstOccurredAt.isBefore(request.to().get())) {
            return false;
        }
        if (!request.agentIds().isEmpty() && request.agentIds().stream().noneMatch(conversation.agentIds::contains)) {
            return false;
        }
        if (!request.taskIds().isEmpty() && request.taskIds().stream().noneMatch(conversation.taskIds::contains)) {
            return false;
        }
        if (!request.taskStatuses().isEmpty()
                && request.taskStatuses().stream().noneMatch(conversation.taskStatuses::contains)) {
            return false;
        }
        if (request.hasTools().isPresent() && request.hasTools().get() != (conversation.toolCallCount() > 0)) {
            return false;
        }
        return DatasetParameters.withinScores(conversation::score, request.minScores(), request.maxScores());
    }

    private static byte[] line(ConversationRequest request, Conversation conversation, Redaction redact) {
        return JsonLines.line(ChatLine.of(conversation, request.format(), request.metadata(),
                request.splitRule().of(conversation.id), redact));
    }

    /** Characters / 4 of the line without its newline, rounded up. */
    static int tokenEstimate(byte[] line) {
        return (new String(line, 0, line.length - 1, StandardCharsets.UTF_8).length() + 3) / 4;
    }
}
