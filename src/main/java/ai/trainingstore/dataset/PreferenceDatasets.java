package ai.trainingstore.dataset;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.dataset.dedup.Dedup;
import ai.trainingstore.dataset.dedup.DuplicateFilter;
import ai.trainingstore.dataset.tokens.TokenCounter;
import ai.trainingstore.dataset.tokens.Tokenizer;
import ai.trainingstore.dataset.tokens.DefaultTokenizer;
import ai.trainingstore.dataset.tokens.TokenRule;
import ai.trainingstore.dataset.Conversation.Message;
import ai.trainingstore.dataset.PreferenceLine.Side;
import ai.trainingstore.dataset.PreferenceRequest.Format;
import ai.trainingstore.dataset.PreferenceRequest.Pairs;
import ai.trainingstore.export.BoundedQuery;
import ai.trainingstore.export.ByteSizes;
import ai.trainingstore.export.ExportMetrics;
import ai.trainingstore.export.ExportService;
import ai.trainingstore.export.WorkerAhead;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.memory.ExternalSort;
import ai.trainingstore.redact.Redaction;
import ai.trainingstore.redact.RedactionPolicy;
import ai.trainingstore.text.LogText;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The preferences dataset (contract section 6.3), read from one snapshot (one read-only REPEATABLE
 * READ transaction) in up to three steps:
 * <ol>
 * <li>every conversation of the filters streams by once, assembled and checked by the
 * conversations dataset's own code; a broken or user-less one is counted; for ranked pairs each
 * scored one leaves a compact record (prompt hash, conversation id, score, size) in an
 * {@link ExternalSort}; KTO lines are written right here (their identity is the conversation
 * id, the order the conversations come in);</li>
 * <li>corrections, in feedback identity order, a few at a time with their conversations read
 * again by id;</li>
 * <li>ranked pairs: the records sorted by prompt give the siblings group by group; each group's
 * pair record goes into a second sort by the pair's identity; then the chosen and rejected
 * conversations are read again by id, a batch at a time, and the lines written in that order.</li>
 * </ol>
 * Lines come in bytewise identity order: {@code correction:...} before {@code ranked:...}. Memory
 * holds a sort buffer (memory.sort-bytes), a batch of conversations (memory.fetch-bytes) and one
 * line; temporary files hold the records (memory.spill-bytes at most) and are deleted at the end.
 * Nothing is ever written to PostgreSQL, so a read replica serves it.
 */
@ApplicationScoped
public class PreferenceDatasets implements VersionedDataset {

    private static final Logger LOG = Logger.getLogger(PreferenceDatasets.class);
    private static final String MESSAGES = RecordKind.MESSAGES.qualifiedTable();
    private static final String FEEDBACK = RecordKind.FEEDBACK.qualifiedTable();
    /** Most corrections whose conversations are read again in one query. */
    private static final int CORRECTIONS_PER_BATCH = 50;
    /**
     * Most ranked pairs whose conversations are read again in one query (memory.fetch-bytes bounds
     * the batch first): each query costs its planning and round trips, so fewer, larger ones.
     */
    private static final int PAIRS_PER_BATCH = 500;
    private static final int HASH_BYTES = 32;

    private final ExportService exports;
    private final ConversationDatasets conversations;
    private final RedactionPolicy redaction;
    private final StoreConfig.Memory memory;
    private final DefaultTokenizer defaultTokenizer;

    public PreferenceDatasets(ExportService exports, ConversationDatasets conversations, RedactionPolicy redaction,
                              StoreConfig config, DefaultTokenizer defaultTokenizer) {
        this.defaultTokenizer = defaultTokenizer;
        this.exports = exports;
        this.conversations = conversations;
        this.redaction = redaction;
        this.memory = config.memory();
    }

    /** The JSONL lines of the dataset. */
    public Multi<Buffer> export(PreferenceRequest request) {
        Redaction redact = redaction.effective(request.conversations().redact());
        return exports.inSlot(ExportMetrics.PREFERENCES, () -> ExportService.bytes(
                chunks(request, redact, new PreferenceSummary.Builder(false,
                        request.conversations().tokens().limits() ? tokenizer(request) : null)),
                request.gzip(), "preferences dataset"));
    }

    /** What {@link #export} would emit, counted; {@code explain} adds left_out. */
    public Uni<PreferenceSummary> summary(PreferenceRequest request, boolean explain) {
        Redaction redact = redaction.effective(request.conversations().redact());
        return Uni.createFrom().deferred(() -> {
            PreferenceSummary.Builder summary = new PreferenceSummary.Builder(explain, tokenizer(request));
            return exports.inSlot(ExportMetrics.PREFERENCES, () -> emitted(request, redact, summary))
                    .onItem().ignoreAsUni()
                    .map(ignored -> summary.build());
        });
    }

    @Override
    public String name() {
        return "preferences";
    }

    @Override
    public Build prepare(Map<String, List<String>> parameters) {
        PreferenceRequest request = PreferenceRequest.parse(parameters, null);
        PreferenceSummary.Builder summary = new PreferenceSummary.Builder(false, tokenizer(request));
        return new Build(chunks(request, redaction.effective(request.conversations().redact()), summary),
                summary::build);
    }

    private Tokenizer tokenizer(PreferenceRequest request) {
        return request.conversations().tokens().tokenizer(defaultTokenizer.get());
    }

    /**
     * One line of the answer, before dedup, {@code after}, the split and the limit: its identity,
     * its kind (null: kto), its JSON (for dedup) and bytes, its tokens (0 when not counted); or,
     * with {@code skipped} set, a line left out as too_long or duplicate (counted where it stands).
     */
    private record Line(String id, Pairs kind, ObjectNode json, byte[] bytes, long tokens, String skipped,
                        String detail) {

        /** The line, or a too_long one when it counts more than max_tokens (contract 6.5). */
        static Line of(PreferenceRequest request, TokenCounter counter, String id, Pairs kind, ObjectNode json,
                       long tokens) {
            return request.conversations().tokens().tooLong(tokens, counter == null ? null : counter.tokenizer())
                    .map(detail -> new Line(id, kind, null, null, tokens, Conversation.SkipReason.TOO_LONG.id(), detail))
                    .orElseGet(() -> new Line(id, kind, json, JsonLines.line(json), tokens, null, null));
        }

        boolean isEmitted() {
            return skipped == null;
        }
    }

    private Multi<byte[]> chunks(PreferenceRequest request, Redaction redact, PreferenceSummary.Builder summary) {
        return emitted(request, redact, summary)
                .group().intoLists().of(JsonLines.PER_CHUNK)
                .invoke(chunk -> exports.written(ExportMetrics.PREFERENCES, chunk.size()))
                .map(JsonLines::joined);
    }

    /** The lines the request emits (after, split, limit), each counted into {@code summary} as it passes. */
    private Multi<byte[]> emitted(PreferenceRequest request, Redaction redact, PreferenceSummary.Builder summary) {
        long limit = request.limit().orElse(Long.MAX_VALUE);
        byte[] after = request.after().map(id -> id.getBytes(StandardCharsets.UTF_8)).orElse(null);
        if (after != null && !request.conversations().dedup().isNone()) {
            summary.countFrom(after);
        }
        return Multi.createFrom().deferred(() -> {
            long[] emitted = {0};
            return deduplicated(request, summary.explains(),
                            exports.inSnapshot(snapshot -> lines(snapshot, request, redact, summary)))
                    .select().where(line -> after == null
                            || Arrays.compareUnsigned(line.id().getBytes(StandardCharsets.UTF_8), after) > 0)
                    // The answer stops at the limit: nothing after it is emitted or counted, splits included.
                    .select().first(line -> emitted[0] < limit)
                    .invoke(line -> {
                        if (line.isEmitted()) {
                            summary.split(request.splitRule().of(line.id()));
                        }
                    })
                    .select().where(line -> request.split().map(split -> split == request.splitRule().of(line.id()))
                            .orElse(true))
                    .invoke(line -> {
                        if (line.isEmitted()) {
                            emitted[0]++;
                            summary.emitted(line.kind(), line.tokens());
                        } else {
                            summary.skipped(line.skipped(), line.id(), line.detail());
                        }
                    })
                    .select().where(Line::isEmitted)
                    .map(Line::bytes);
        });
    }

    /**
     * dedup (contract 6.5), after every other check, so only emitted lines are remembered, in the
     * answer's order. With {@code after}, the lines up to the cursor are read too (lines() starts
     * from the first), judged and remembered, and not emitted: a resumed answer is exactly the rest.
     */
    private static Multi<Line> deduplicated(PreferenceRequest request, boolean nameKept, Multi<Line> lines) {
        Dedup dedup = request.conversations().dedup();
        if (dedup.isNone()) {
            return lines;
        }
        return Multi.createFrom().resource(() -> new DuplicateFilter(dedup, nameKept),
                        filter -> lines.map(line -> line.isEmitted() ? judged(filter, line) : line))
                .withFinalizer(DuplicateFilter::close);
    }

    private static Line judged(DuplicateFilter filter, Line line) {
        DuplicateFilter.Duplicate duplicate = filter.check(line.id(), PreferenceLine.dedupMessages(line.json()),
                PreferenceLine.dedupTools(line.json()));
        return duplicate == null ? line : new Line(line.id(), line.kind(), null, null, line.tokens(),
                Conversation.SkipReason.DUPLICATE.id(), duplicate.detail());
    }

    /** Where lines() starts: from {@code after}, or from the first line when dedup must judge those before it. */
    private static Optional<String> readFrom(PreferenceRequest request) {
        return request.conversations().dedup().isNone() ? request.after() : Optional.empty();
    }

    private Multi<Line> lines(SqlConnection snapshot, PreferenceRequest request, Redaction redact,
                              PreferenceSummary.Builder summary) {
        if (request.format() == Format.KTO) {
            // On a worker with a few conversations read ahead, as the first pass below: a hop per
            // conversation (waiting for each before reading the next) made KTO twice as slow.
            return WorkerAhead.map(filtered(snapshot, request, readFrom(request)), Conversation::heldBytes,
                            memory.fetchBytes(), conversation -> kto(request, conversation, redact, summary))
                    .select().where(Optional::isPresent)
                    .map(Optional::get);
        }
        return Multi.createFrom().deferred(() -> {
            ExternalSort siblings = request.pairs().contains(Pairs.RANKED) ? sort("siblings") : null;
            ExternalSort pairs = siblings == null ? null : sort("ranked pairs");
            Uni<Void> firstPass = WorkerAhead.map(filtered(snapshot, request, Optional.empty()), Conversation::heldBytes,
                            memory.fetchBytes(), conversation -> {
                                firstPass(request, conversation, siblings, summary);
                                return conversation.id;
                            })
                    .onItem().ignoreAsUni();
            Multi<Line> corrections = request.pairs().contains(Pairs.CORRECTIONS)
                    ? corrections(snapshot, request, redact, summary) : Multi.createFrom().empty();
            // The pairs are sorted before the first line: a sort over its disk budget fails the answer
            // before its first byte (a clean error), never in the middle.
            Uni<Optional<Iterator<byte[]>>> sortedPairs = firstPass.chain(() -> siblings == null
                    ? Uni.createFrom().item(Optional.<Iterator<byte[]>>empty())
                    : Uni.createFrom().item(() -> Optional.of(rankedPairs(request, siblings, pairs, summary)))
                            .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()));
            return sortedPairs.onItem().transformToMulti(sorted -> Multi.createBy().concatenating().streams(corrections,
                            sorted.map(iterator -> rankedLines(snapshot, request, iterator, redact, summary))
                                    .orElse(Multi.createFrom().empty())))
                    .onTermination().invoke(() -> {
                        if (siblings != null) {
                            siblings.close();
                            pairs.close();
                        }
                    });
        });
    }

    private ExternalSort sort(String what) {
        Path directory = Path.of(memory.spillDir().orElse(System.getProperty("java.io.tmpdir")));
        return new ExternalSort(directory, memory.sortBytes(), memory.spillBytes(),
                "training-store.memory.spill-bytes, " + what);
    }

    /** The conversations of the request's 6.1 filters, in conversation id order, from {@code after} on. */
    private Multi<Conversation> filtered(SqlConnection snapshot, PreferenceRequest request, Optional<String> after) {
        ConversationRequest filters = request.conversations();
        ConversationRequest query = new ConversationRequest(filters.format(), false, filters.from(), filters.to(),
                filters.conversationIds(), filters.agentIds(), filters.taskIds(), filters.taskStatuses(),
                filters.hasTools(), filters.minScores(), filters.maxScores(), Optional.empty(), after, Optional.empty(),
                filters.splitRule(), false, filters.redact(), TokenRule.NONE, Dedup.NONE);
        return conversations.conversations(snapshot, ConversationQuery.of(query, request.readsScores()))
                .select().where(conversation -> ConversationDatasets.matches(filters, conversation));
    }

    /**
     * Conversations read again by id (no filters: the caller decides), by id; {@code filtered}: the
     * caller checks the score filters on them, so their feedback is looked up (a ranked pair's
     * conversations passed the filters already and carry their scores in the pair).
     */
    private Uni<Map<String, Conversation>> byId(SqlConnection snapshot, PreferenceRequest request, Set<String> ids,
                                                boolean filtered) {
        ConversationRequest filters = request.conversations();
        ConversationRequest query = new ConversationRequest(filters.format(), false, Optional.empty(), Optional.empty(),
                List.copyOf(ids), List.of(), List.of(), List.of(), Optional.empty(), List.of(), List.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), filters.splitRule(), false, filters.redact(), TokenRule.NONE, Dedup.NONE);
        boolean feedback = filtered && (request.readsScores() || !filters.minScores().isEmpty()
                || !filters.maxScores().isEmpty());
        return conversations.conversations(snapshot, ConversationQuery.of(query, feedback))
                .collect().asMap(conversation -> conversation.id);
    }

    /** Counts a broken or user-less conversation; records a scored one for ranked pairs. */
    private static void firstPass(PreferenceRequest request, Conversation conversation, ExternalSort siblings,
                                  PreferenceSummary.Builder summary) {
        if (!conversation.isEmitted()) {
            summary.skipped(conversation.skipped.reason().id(), conversation.id, conversation.skipped.detail());
            return;
        }
        int start = PreferenceLine.completionStart(conversation);
        if (start < 0) {
            summary.skipped(PreferenceSummary.NO_USER_MESSAGE, conversation.id,
                    conversation.messages.size() + " messages, none from the user");
            return;
        }
        if (siblings == null) {
            return;
        }
        Optional<Double> score = conversation.score(request.score().orElseThrow());
        if (score.isEmpty()) {
            return;
        }
        byte[] hash = PreferenceLine.promptIdentity(conversation.messages.subList(0, start));
        byte[] id = conversation.id.getBytes(StandardCharsets.UTF_8);
        siblings.add(ByteBuffer.allocate(HASH_BYTES + id.length + 1 + 16).put(hash).put(id).put((byte) 0)
                .putDouble(score.get()).putLong(conversation.heldBytes()).array());
    }

    // ---- KTO ----

    private static Optional<Line> kto(PreferenceRequest request, Conversation conversation, Redaction redact,
                                      PreferenceSummary.Builder summary) {
        if (!conversation.isEmitted()) {
            summary.skippedLine(conversation.id, conversation.skipped.reason().id(), conversation.id,
                    conversation.skipped.detail());
            return Optional.empty();
        }
        int start = PreferenceLine.completionStart(conversation);
        if (start < 0) {
            summary.skippedLine(conversation.id, PreferenceSummary.NO_USER_MESSAGE, conversation.id,
                    conversation.messages.size() + " messages, none from the user");
            return Optional.empty();
        }
        String name = request.score().orElseThrow();
        JsonNode feedback = conversation.feedback.get(name);
        if (feedback == null) {
            return Optional.empty();
        }
        Optional<Boolean> label = PreferenceLine.label(feedback, request.threshold());
        if (label.isEmpty()) {
            summary.skippedLine(conversation.id, PreferenceSummary.UNLABELED, conversation.id, "feedback '" + name + "' has no value and"
                    + " its label '" + redact.text(feedback.path("label").asText("")) + "' is none of the known words");
            return Optional.empty();
        }
        ObjectNode line = PreferenceLine.kto(conversation, start, label.get(), redact);
        if (request.metadata()) {
            ObjectNode metadata = line.putObject("metadata").put("id", conversation.id)
                    .put("conversation_id", conversation.id);
            metadata.set("score", feedback.path("value").isNumber() ? feedback.get("value")
                    : metadata.textNode(redact.text(feedback.path("label").asText())));
            metadata.put("split", request.splitRule().of(conversation.id).id());
        }
        long tokens = summary.counter() == null ? 0 : PreferenceLine.ktoTokens(summary.counter(), conversation, redact);
        return Optional.of(Line.of(request, summary.counter(), conversation.id, null, line, tokens));
    }

    // ---- Corrections ----

    /** A stored correction: its feedback, target and the conversation the target is in (null when none). */
    private record Correction(String feedbackId, String targetKind, String targetId, JsonNode correction,
                              String conversationId) {
    }

    private Multi<Line> corrections(SqlConnection snapshot, PreferenceRequest request, Redaction redact,
                                    PreferenceSummary.Builder summary) {
        return exports.chunks(snapshot, correctionsQuery(request))
                .onItem().transformToMultiAndConcatenate(rows -> Multi.createFrom().iterable(rows)
                        .map(PreferenceDatasets::correction)
                        .group().intoLists().of(CORRECTIONS_PER_BATCH))
                .onItem().transformToMultiAndConcatenate(batch -> byId(snapshot, request, batch.stream()
                        .map(Correction::conversationId).filter(id -> id != null)
                        .collect(java.util.stream.Collectors.toCollection(LinkedHashSet::new)), true)
                        .emitOn(Infrastructure.getDefaultWorkerPool())
                        .onItem().transformToMulti(found -> Multi.createFrom().iterable(batch.stream()
                                .map(correction -> correctionLine(request, correction, found, redact, summary))
                                .flatMap(Optional::stream).toList())));
    }

    private static Correction correction(Row row) {
        return new Correction(row.getString("feedback_id"), row.getString("target_kind"), row.getString("target_id"),
                MessageRow.json(row.getString("correction")), row.getString("conversation_id"));
    }

    /**
     * Feedback with a correction, in identity order, each with the conversation its target is in
     * (a message's, or the conversation named); {@code after} and {@code conversation_id} narrow it.
     */
    private static BoundedQuery correctionsQuery(PreferenceRequest request) {
        List<String> conditions = new ArrayList<>();
        Tuple parameters = Tuple.tuple();
        String prefix = "correction:";
        readFrom(request).ifPresent(after -> {
            if (after.startsWith(prefix)) {
                parameters.addString(after.substring(prefix.length()));
                conditions.add("c.feedback_id COLLATE \"C\" > $" + parameters.size());
            } else if (Arrays.compareUnsigned(after.getBytes(StandardCharsets.UTF_8),
                    prefix.getBytes(StandardCharsets.UTF_8)) > 0) {
                conditions.add("false"); // every correction's identity is before it
            }
        });
        if (!request.conversations().conversationIds().isEmpty()) {
            parameters.addArrayOfString(request.conversations().conversationIds().toArray(String[]::new));
            conditions.add("c.conversation_id = ANY($" + parameters.size() + "::text[])");
        }
        String from = " FROM (SELECT f.feedback_id, f.target_kind, f.target_id, f.correction,"
                + " CASE f.target_kind WHEN 'conversation' THEN f.target_id WHEN 'message' THEN"
                + " (SELECT m.conversation_id FROM " + MESSAGES + " m WHERE m.message_id = f.target_id) END"
                + " AS conversation_id FROM " + FEEDBACK + " f WHERE f.correction IS NOT NULL) c"
                + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY c.feedback_id COLLATE \"C\"";
        String rows = "SELECT c.feedback_id, c.target_kind, c.target_id, c.correction::text AS correction,"
                + " c.conversation_id" + from;
        String sizes = "SELECT (octet_length(c.feedback_id) + octet_length(c.target_id) * 2"
                + " + " + ByteSizes.jsonb("c.correction") + " + 64)::int8" + from;
        return new BoundedQuery(rows, sizes, parameters);
    }

    private static Optional<Line> correctionLine(PreferenceRequest request, Correction correction,
                                                 Map<String, Conversation> found, Redaction redact,
                                                 PreferenceSummary.Builder summary) {
        String identity = "correction:" + correction.feedbackId();
        Conversation conversation = correction.conversationId() == null ? null : found.get(correction.conversationId());
        if (conversation == null) {
            // Its target is stored nowhere: it can be told to match the filters only when there are none.
            if (unfiltered(request)) {
                summary.skippedLine(identity, PreferenceSummary.BAD_CORRECTION, identity, "its target " + correction.targetKind()
                        + " '" + correction.targetId() + "' is not a stored assistant message or conversation");
            }
            return Optional.empty();
        }
        ConversationRequest filters = request.conversations();
        if (!ConversationDatasets.matches(filters, conversation)
                || (!filters.conversationIds().isEmpty() && !filters.conversationIds().contains(conversation.id))
                || !conversation.isEmitted()) {
            return Optional.empty(); // outside the filters, or broken (counted once in the first pass)
        }
        List<Message> messages = conversation.messages;
        int target = -1;
        if (correction.targetKind().equals("conversation")) {
            target = messages.size() - 1; // the last assistant message (assembly ends on one)
        } else {
            for (int i = 0; i < messages.size(); i++) {
                if (correction.targetId().equals(messages.get(i).messageId())) {
                    target = i;
                }
            }
        }
        StringBuilder problem = new StringBuilder();
        if (target < 0 || !messages.get(target).role().equals("assistant")) {
            problem.append("its target message '").append(correction.targetId()).append("' is not an assistant message")
                    .append(" of conversation '").append(conversation.id).append("'");
        } else if (messages.subList(0, target).stream().noneMatch(message -> message.role().equals("user"))
                || !Set.of("user", "tool").contains(messages.get(target - 1).role())) {
            problem.append("the messages before its target do not end on a user or tool message after a user message");
        }
        Optional<Message> chosen = problem.length() > 0 ? Optional.empty()
                : PreferenceLine.correction(correction.correction(), problem);
        if (chosen.isEmpty()) {
            summary.skippedLine(identity, PreferenceSummary.BAD_CORRECTION, identity, problem.toString());
            return Optional.empty();
        }
        List<Message> prompt = messages.subList(0, target);
        Side chosenSide = new Side(List.of(chosen.get()), conversation);
        Side rejectedSide = new Side(List.of(messages.get(target)), conversation);
        List<ObjectNode> tools = PreferenceLine.tools(List.of(conversation), List.of(chosen.get()));
        ObjectNode line = PreferenceLine.pair(request.format(), prompt, chosenSide, rejectedSide, tools, redact);
        long tokens = summary.counter() == null ? 0
                : PreferenceLine.pairTokens(summary.counter(), prompt, chosenSide, rejectedSide, tools, redact);
        if (request.metadata()) {
            line.putObject("metadata").put("id", identity).put("rejected_conversation_id", conversation.id)
                    .put("feedback_id", correction.feedbackId())
                    .put("split", request.splitRule().of(identity).id());
        }
        return Optional.of(Line.of(request, summary.counter(), identity, Pairs.CORRECTIONS, line, tokens));
    }

    /** No filter narrows the conversations: every stored correction is in the answer's scope. */
    private static boolean unfiltered(PreferenceRequest request) {
        ConversationRequest filters = request.conversations();
        return filters.from().isEmpty() && filters.to().isEmpty() && filters.conversationIds().isEmpty()
                && filters.agentIds().isEmpty() && filters.taskIds().isEmpty() && filters.taskStatuses().isEmpty()
                && filters.hasTools().isEmpty() && filters.minScores().isEmpty() && filters.maxScores().isEmpty();
    }

    // ---- Ranked pairs ----

    /** A chosen and rejected conversation, with their scores and sizes. */
    private record Pair(String id, String chosen, String rejected, double chosenScore, double rejectedScore,
                        long bytes) {
    }

    /**
     * Groups the sibling records (sorted by prompt hash, then conversation id) and puts each
     * group's pair into {@code pairs}, sorted by identity; a tied group is counted. Blocking: on a
     * worker.
     */
    private static Iterator<byte[]> rankedPairs(PreferenceRequest request, ExternalSort siblings, ExternalSort pairs,
                                                PreferenceSummary.Builder summary) {
        Iterator<byte[]> sorted = siblings.sorted();
        byte[] group = null;
        long size = 0;
        byte[] best = null;
        byte[] worst = null;
        String first = null;
        while (true) {
            byte[] record = sorted.hasNext() ? sorted.next() : null;
            if (record == null || group == null || !Arrays.equals(record, 0, HASH_BYTES, group, 0, HASH_BYTES)) {
                if (size > 1) {
                    pairOf(request, first, size, best, worst, pairs, summary);
                }
                if (record == null) {
                    break;
                }
                group = record;
                size = 0;
                best = record;
                worst = record;
                first = conversationId(record);
            }
            size++;
            // Records of a group come in conversation id order: the first of the highest score is
            // chosen, the last of the lowest rejected (contract 6.3 tie rule).
            if (score(record) > score(best)) {
                best = record;
            }
            if (score(record) <= score(worst)) {
                worst = record;
            }
        }
        siblings.close();
        return pairs.sorted();
    }

    private static void pairOf(PreferenceRequest request, String first, long size, byte[] best, byte[] worst,
                               ExternalSort pairs, PreferenceSummary.Builder summary) {
        double high = score(best);
        double low = score(worst);
        if (!(high - low > request.margin())) {
            summary.skipped(PreferenceSummary.TIE, first, size + " siblings scored from " + low + " to " + high
                    + ", not more than margin " + request.margin() + " apart");
            return;
        }
        String chosen = conversationId(best);
        String rejected = conversationId(worst);
        byte[] identity = PreferenceLine.rankedIdentity(chosen, rejected).getBytes(StandardCharsets.UTF_8);
        byte[] chosenId = chosen.getBytes(StandardCharsets.UTF_8);
        byte[] rejectedId = rejected.getBytes(StandardCharsets.UTF_8);
        pairs.add(ByteBuffer.allocate(identity.length + chosenId.length + rejectedId.length + 3 + 24)
                .put(identity).put((byte) 0).put(chosenId).put((byte) 0).put(rejectedId).put((byte) 0)
                .putDouble(high).putDouble(low).putLong(bytes(best) + bytes(worst)).array());
    }

    private static String conversationId(byte[] record) {
        int end = HASH_BYTES;
        while (record[end] != 0) {
            end++;
        }
        return new String(record, HASH_BYTES, end - HASH_BYTES, StandardCharsets.UTF_8);
    }

    private static double score(byte[] record) {
        return ByteBuffer.wrap(record, record.length - 16, 8).getDouble();
    }

    private static long bytes(byte[] record) {
        return ByteBuffer.wrap(record, record.length - 8, 8).getLong();
    }

    private static Pair pair(byte[] record) {
        String[] texts = new String[3];
        int start = 0;
        for (int i = 0; i < 3; i++) {
            int end = start;
            while (record[end] != 0) {
                end++;
            }
            texts[i] = new String(record, start, end - start, StandardCharsets.UTF_8);
            start = end + 1;
        }
        ByteBuffer numbers = ByteBuffer.wrap(record, start, 24);
        return new Pair(texts[0], texts[1], texts[2], numbers.getDouble(), numbers.getDouble(), numbers.getLong());
    }

    /** A batch of ranked pairs and their conversations, read again by id. */
    private record PairBatch(List<Pair> pairs, Map<String, Conversation> conversations) {
    }

    /**
     * The pairs in identity order, a batch at a time (within memory.fetch-bytes), with their
     * conversations read again. The next batch is read while this one's lines are written (its
     * query runs in PostgreSQL while the lines are built here): two batches in memory at most.
     */
    private Multi<Line> rankedLines(SqlConnection snapshot, PreferenceRequest request, Iterator<byte[]> sorted,
                                    Redaction redact, PreferenceSummary.Builder summary) {
        Supplier<List<Pair>> nextPairs = () -> {
            List<Pair> batch = new ArrayList<>();
            long bytes = 0;
            while (sorted.hasNext() && batch.size() < PAIRS_PER_BATCH && (batch.isEmpty() || bytes < memory.fetchBytes())) {
                Pair pair = pair(sorted.next());
                batch.add(pair);
                bytes += pair.bytes();
            }
            return batch;
        };
        // Each batch is read once the one before it has arrived, never two at a time: the sorted
        // file is read by one thread at a time and the snapshot runs one query at a time.
        Supplier<Uni<PairBatch>> read = () -> Uni.createFrom().item(nextPairs)
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(pairs -> {
                    if (pairs.isEmpty()) {
                        return Uni.createFrom().item(new PairBatch(pairs, Map.of()));
                    }
                    Set<String> ids = new LinkedHashSet<>();
                    pairs.forEach(pair -> {
                        ids.add(pair.chosen());
                        ids.add(pair.rejected());
                    });
                    return byId(snapshot, request, ids, false).map(found -> new PairBatch(pairs, found));
                });
        AtomicReference<Uni<PairBatch>> ahead = new AtomicReference<>();
        return Multi.createBy().repeating()
                .uni(() -> {
                    Uni<PairBatch> current = ahead.getAndSet(null);
                    return (current == null ? read.get() : current).invoke(batch -> {
                        if (!batch.pairs().isEmpty()) {
                            // Started now, handed out by the next repetition (a failure then fails the answer;
                            // one that follows a cancelled answer is nobody's).
                            Uni<PairBatch> next = read.get().memoize().indefinitely();
                            next.subscribe().with(ignored -> { }, ignored -> { });
                            ahead.set(next);
                        }
                    });
                })
                .until(batch -> batch.pairs().isEmpty())
                // one batch asked for at a time: the next is asked for when this one's lines are all written
                .onItem().transformToMultiAndConcatenate(batch -> Uni.createFrom().item(batch)
                        .emitOn(Infrastructure.getDefaultWorkerPool())
                        .onItem().transformToMulti(arrived -> Multi.createFrom().iterable(arrived.pairs().stream()
                                .map(pair -> rankedLine(request, pair, arrived.conversations(), redact, summary))
                                .flatMap(Optional::stream).toList())));
    }

    private static Optional<Line> rankedLine(PreferenceRequest request, Pair pair, Map<String, Conversation> found,
                                             Redaction redact, PreferenceSummary.Builder summary) {
        Conversation chosen = found.get(pair.chosen());
        Conversation rejected = found.get(pair.rejected());
        if (chosen == null || rejected == null) {
            // Read from the same snapshot as the first pass: this would be a bug, never data.
            LOG.errorf("Ranked pair %s: conversation %s or %s not found again in the snapshot", pair.id(),
                    LogText.safe(pair.chosen()), LogText.safe(pair.rejected()));
            throw new IllegalStateException("a ranked pair's conversation was not found again in the same snapshot");
        }
        int chosenStart = PreferenceLine.completionStart(chosen);
        int rejectedStart = PreferenceLine.completionStart(rejected);
        List<Message> prompt = chosen.messages.subList(0, chosenStart);
        Side chosenSide = new Side(chosen.messages.subList(chosenStart, chosen.messages.size()), chosen);
        Side rejectedSide = new Side(rejected.messages.subList(rejectedStart, rejected.messages.size()), rejected);
        List<ObjectNode> tools = PreferenceLine.tools(List.of(chosen, rejected), List.of());
        ObjectNode line = PreferenceLine.pair(request.format(), prompt, chosenSide, rejectedSide, tools, redact);
        long tokens = summary.counter() == null ? 0
                : PreferenceLine.pairTokens(summary.counter(), prompt, chosenSide, rejectedSide, tools, redact);
        if (request.metadata()) {
            line.putObject("metadata").put("id", pair.id()).put("chosen_conversation_id", chosen.id)
                    .put("rejected_conversation_id", rejected.id).put("chosen_score", pair.chosenScore())
                    .put("rejected_score", pair.rejectedScore())
                    .put("split", request.splitRule().of(pair.id()).id());
        }
        return Optional.of(Line.of(request, summary.counter(), pair.id(), Pairs.RANKED, line, tokens));
    }
}
