package ai.trainingstore.dataset;

import ai.trainingstore.dataset.SplitRule.Split;
import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.dataset.dedup.DuplicateFilter;
import ai.trainingstore.dataset.tokens.DefaultTokenizer;
import ai.trainingstore.dataset.tokens.TokenCounter;
import ai.trainingstore.dataset.tokens.Tokenizer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import ai.trainingstore.export.BoundedQuery;
import ai.trainingstore.export.ExportMetrics;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.export.WorkerAhead;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import ai.trainingstore.export.RowGroup;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import ai.trainingstore.text.LogText;
import org.jboss.logging.Logger;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The conversations dataset: the query's rows grouped into conversations as they stream (a
 * conversation ends when the next one's first row arrives), each assembled, filtered, split and
 * written as one line. Backpressure runs end to end (a line is built only when the client has
 * taken the previous chunk), so memory holds one conversation and one chunk, whatever the size.
 * Streams hold one of the export slots, like row exports.
 */
@ApplicationScoped
public class ConversationDatasets implements VersionedDataset {

    private static final Logger LOG = Logger.getLogger(ConversationDatasets.class);

    private final ExportService exports;
    private final RedactionPolicy redaction;
    private final DefaultTokenizer defaultTokenizer;
    private final long assemblyBytes;
    private final long fetchBytes;

    public ConversationDatasets(ExportService exports, RedactionPolicy redaction, DefaultTokenizer defaultTokenizer,
                                StoreConfig config) {
        this.exports = exports;
        this.redaction = redaction;
        this.defaultTokenizer = defaultTokenizer;
        this.assemblyBytes = config.memory().assemblyBytes();
        this.fetchBytes = config.memory().fetchBytes();
    }

    /** The JSONL lines of the dataset. */
    public Multi<Buffer> export(ConversationRequest request) {
        Redaction redact = redaction.effective(request.redact());
        return exports.inSlot(ExportMetrics.CONVERSATIONS,
                () -> ExportService.bytes(chunks(request, redact, null), request.gzip(), "conversations dataset"));
    }

    /**
     * What {@link #export} would emit, counted: the same filters, split and limit; {@code explain}
     * adds which conversations were left out and why (left_out).
     */
    public Uni<DatasetSummary> summary(ConversationRequest request, boolean explain) {
        Redaction redact = redaction.effective(request.redact());
        return Uni.createFrom().deferred(() -> {
            DatasetSummary.Builder summary = new DatasetSummary.Builder(explain, tokenizer(request));
            return exports.inSlot(ExportMetrics.CONVERSATIONS, () -> emitted(request, redact, summary))
                    .onItem().ignoreAsUni()
                    .map(ignored -> summary.build());
        });
    }

    @Override
    public String name() {
        return "conversations";
    }

    /** The export's bytes and the summary's counts in one pass over one cursor: one snapshot for both. */
    @Override
    public Build prepare(Map<String, List<String>> parameters) {
        ConversationRequest request = ConversationRequest.parse(parameters, null);
        DatasetSummary.Builder summary = new DatasetSummary.Builder(false, tokenizer(request));
        return new Build(chunks(request, redaction.effective(request.redact()), summary), summary::build);
    }

    /** The emitted lines joined into chunks, counted in the export metrics. */
    private Multi<byte[]> chunks(ConversationRequest request, Redaction redact, DatasetSummary.Builder summary) {
        return emitted(request, redact, summary)
                .group().intoLists().of(JsonLines.PER_CHUNK)
                .invoke(chunk -> exports.written(ExportMetrics.CONVERSATIONS, chunk.size()))
                .map(JsonLines::joined);
    }

    /**
     * The lines the request emits: the filters, the split and the limit; each conversation is
     * counted into {@code summary} (when given) as it passes, so the summary describes exactly
     * these lines.
     */
    private Multi<byte[]> emitted(ConversationRequest request, Redaction redact, DatasetSummary.Builder summary) {
        long limit = request.limit().orElse(Long.MAX_VALUE);
        return Multi.createFrom().deferred(() -> {
            long[] emitted = {0};
            // Lines are counted for a summary, and for an export that leaves long lines out.
            TokenCounter counter = summary != null || request.tokens().limits() ? new TokenCounter(tokenizer(request)) : null;
            return deduplicated(request, summary != null && summary.explains(), lines(request, redact, counter))
                    // The export stops at the limit: nothing after it is emitted or counted, splits included.
                    .select().first(line -> emitted[0] < limit)
                    .invoke(line -> {
                        if (summary != null) {
                            count(request, summary, line);
                        }
                    })
                    .select().where(line -> line.isEmitted() && inRequestedSplit(request, line.conversation()))
                    .invoke(line -> emitted[0]++)
                    .map(Line::bytes);
        });
    }

    private static void count(ConversationRequest request, DatasetSummary.Builder summary, Line line) {
        Conversation conversation = line.conversation();
        if (line.isEmitted()) {
            summary.split(request.splitRule().of(conversation.id));
        }
        if (!inRequestedSplit(request, conversation)) {
            return;
        }
        if (line.isEmitted()) {
            summary.emitted(conversation.messages.size(), conversation.toolCallCount(), line.tokens());
        } else {
            summary.skipped(conversation.id, line.skipped());
        }
    }

    /**
     * dedup (contract 6.5), after every other check, so only emitted lines are remembered. With
     * {@code after}, the query starts from the first conversation (ConversationQuery): the lines up
     * to the cursor are judged and remembered, from the same snapshot, and not emitted, so a resumed
     * answer is exactly the rest of the whole one.
     */
    private static Multi<Line> deduplicated(ConversationRequest request, boolean nameKept, Multi<Line> lines) {
        if (request.dedup().isNone()) {
            return lines;
        }
        byte[] cursor = request.after().map(after -> after.getBytes(StandardCharsets.UTF_8)).orElse(null);
        return Multi.createFrom().resource(() -> new DuplicateFilter(request.dedup(), nameKept),
                        filter -> lines.map(line -> line.isEmitted() ? judged(filter, line) : line))
                .withFinalizer(DuplicateFilter::close)
                .select().where(line -> cursor == null
                        || Arrays.compareUnsigned(line.conversation().id.getBytes(StandardCharsets.UTF_8), cursor) > 0);
    }

    private static Line judged(DuplicateFilter filter, Line line) {
        DuplicateFilter.Duplicate duplicate = filter.check(line.conversation().id, line.json().get("messages"),
                line.json().get("tools"));
        return duplicate == null ? line : new Line(line.conversation(), null, null,
                Conversation.SkipReason.DUPLICATE.because(duplicate.detail()), line.tokens());
    }

    /**
     * A conversation that matches the request's filters, with its line (as JSON and bytes) and the
     * line's tokens (when counted) when it is emitted; a conversation whose line cannot be written
     * is left out as {@code bad_record}, never failing the answer for everyone.
     */
    private record Line(Conversation conversation, ObjectNode json, byte[] bytes, Conversation.Skip skipped,
                        long tokens) {

        boolean isEmitted() {
            return skipped == null;
        }
    }

    /**
     * The matching conversations in order, each with its line, counted when {@code counter} is
     * given (built on a worker when redacting or counting: CPU work, off the event loop).
     */
    private Multi<Line> lines(ConversationRequest request, Redaction redact, TokenCounter counter) {
        Multi<Conversation> matching = conversations(ConversationQuery.of(request))
                .select().where(conversation -> matches(request, conversation));
        Function<Conversation, Line> toLine = conversation -> {
            if (!conversation.isEmitted()) {
                return new Line(conversation, null, null, conversation.skipped, 0);
            }
            try {
                return line(request, conversation, redact, counter);
            } catch (RuntimeException e) {
                LOG.warnf("Conversation %s left out of the dataset (bad_record): %s",
                        LogText.safe(conversation.id), LogText.safe(e.getMessage()));
                return new Line(conversation, null, null, Conversation.SkipReason.BAD_RECORD
                        .because("its line could not be written: " + e.getMessage()), 0);
            }
        };
        // Redaction, counting and dedup are CPU work (dedup also file I/O): on a worker, never the
        // event loop, with conversations read ahead meanwhile (within memory.fetch-bytes).
        boolean offload = !redact.isNone() || counter != null || !request.dedup().isNone();
        return offload ? WorkerAhead.map(matching, Conversation::heldBytes, fetchBytes, toLine)
                : matching.map(toLine);
    }

    /**
     * An assembled conversation's line and its tokens (contract 6.5: counted in the openai shape
     * whatever the format); a line over max_tokens is left out as too_long.
     */
    private static Line line(ConversationRequest request, Conversation conversation, Redaction redact,
                             TokenCounter counter) {
        Split split = request.splitRule().of(conversation.id);
        ObjectNode node = ChatLine.of(conversation, request.format(), request.metadata(), split, redact);
        byte[] bytes = JsonLines.line(node);
        if (counter == null) {
            return new Line(conversation, node, bytes, null, 0);
        }
        long tokens = counter.openAiLine(request.format() == ConversationRequest.Format.OPENAI ? node
                : ChatLine.of(conversation, ConversationRequest.Format.OPENAI, false, split, redact));
        return request.tokens().tooLong(tokens, counter.tokenizer())
                .map(detail -> new Line(conversation, null, null, Conversation.SkipReason.TOO_LONG.because(detail), tokens))
                .orElseGet(() -> new Line(conversation, node, bytes, null, tokens));
    }

    private Tokenizer tokenizer(ConversationRequest request) {
        return request.tokens().tokenizer(defaultTokenizer.get());
    }

    /**
     * Rows grouped by conversation, in order; one conversation at a time in memory, and none over
     * memory.assembly-bytes: such a one is read through row by row and left out as too_large.
     */
    private Multi<Conversation> conversations(BoundedQuery query) {
        return conversations(query, (q, skipped) -> exports.groups(q, assemblyBytes, skipped));
    }

    /** {@link #conversations(BoundedQuery)} read in a snapshot opened by {@link ExportService#inSnapshot}. */
    Multi<Conversation> conversations(SqlConnection snapshot, BoundedQuery query) {
        return conversations(query, (q, skipped) -> exports.groups(snapshot, q, assemblyBytes, skipped));
    }

    private Multi<Conversation> conversations(BoundedQuery query,
                                              BiFunction<BoundedQuery, Consumer<Row>, Multi<RowGroup>> groups) {
        return Multi.createFrom().deferred(() -> {
            Conversation.Facts[] passing = {new Conversation.Facts()};
            return groups.apply(query, row -> passing[0].add(row.getString("agent_id"),
                            row.getString("task_id"), row.getString("task_status"),
                            row.getOffsetDateTime("occurred_at").toInstant(), callsTools(row)))
                    .map(group -> {
                        Conversation.Facts facts = passing[0];
                        passing[0] = new Conversation.Facts();
                        return group.tooLarge() ? Conversation.skipped(group.key(), tooLarge(group.bytes()), facts)
                                : assembled(group.key(), group.rows());
                    });
        });
    }

    /** One conversation from its rows; stored values that cannot be read make it a bad_record. */
    private static Conversation assembled(String id, List<Row> rows) {
        try {
            return Conversation.assemble(rows.stream().map(MessageRow::of).toList());
        } catch (RuntimeException e) {
            LOG.warnf("Conversation %s left out of the dataset (bad_record): %s", LogText.safe(id),
                    LogText.safe(e.getMessage()));
            Conversation.Facts facts = new Conversation.Facts();
            rows.forEach(row -> facts.add(row.getString("agent_id"), row.getString("task_id"),
                    row.getString("task_status"), row.getOffsetDateTime("occurred_at").toInstant(), callsTools(row)));
            return Conversation.skipped(id, Conversation.SkipReason.BAD_RECORD
                    .because("a stored message could not be read: " + e.getMessage()), facts);
        }
    }

    private Conversation.Skip tooLarge(long bytes) {
        return Conversation.SkipReason.TOO_LARGE.because(bytes + " stored bytes, over training-store.memory.assembly-bytes ("
                + assemblyBytes + ")");
    }

    /** An assistant row with a non-empty array of calls, told without parsing it. */
    private static boolean callsTools(Row row) {
        String calls = row.getString("tool_calls");
        return "assistant".equals(row.getString("role")) && calls != null && calls.startsWith("[") && !calls.equals("[]");
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
        if (request.hasTools().isPresent() && request.hasTools().get() != conversation.callsTools()) {
            return false;
        }
        return DatasetParameters.withinScores(conversation::score, request.minScores(), request.maxScores());
    }

}
