package ai.trainingstore.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.support.StoreTestSupport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.quarkus.test.junit.QuarkusTest;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The merge rule (contract section 1): each field of a merged row comes from the newest record
 * that carries it, newest by (occurred_at, entry id), explicit null included, attributes key by
 * key; so the row is the same whatever the order, the duplicates and the batches.
 *
 * <p>Each test publishes the same updates of an entity in many shuffled orders, each under its own
 * identity, part in one batch and the rest later, and compares every row with the fold of its own
 * records computed here from the real entry ids.
 */
@QuarkusTest
class MergeRuleTest extends StoreTestSupport {

    private static final boolean FLAT = false;
    private static final boolean DOCUMENT = true;

    /**
     * How the records of one test row carry its identity: the fields each record gets for a test
     * id, and the identity of the row they make.
     */
    private interface Identity {
        ObjectNode fields(String id);

        String row(String id);

        /** The kind's identity column holds the test id. */
        static Identity explicit(Kind kind) {
            return new Identity() {
                @Override
                public ObjectNode fields(String id) {
                    return JsonNodeFactory.instance.objectNode().put(kind.identity(), id);
                }

                @Override
                public String row(String id) {
                    return id;
                }
            };
        }

        /**
         * Feedback without feedback_id: every record names the same target (the test id as its
         * target_id), score name and source (null: absent), so the row is
         * {@code task/<id>/<name>/<source>}, an absent source as empty text.
         */
        static Identity feedbackTarget(String name, String source) {
            return new Identity() {
                @Override
                public ObjectNode fields(String id) {
                    ObjectNode fields = JsonNodeFactory.instance.objectNode().put("target_kind", "task")
                            .put("target_id", id).put("name", name);
                    return source == null ? fields : fields.put("source", source);
                }

                @Override
                public String row(String id) {
                    return "task/" + id + "/" + name + "/" + (source == null ? "" : source);
                }
            };
        }
    }

    /** The named columns of a merged kind, by how a record carries them, and how its identity is carried. */
    private record Columns(Kind kind, List<String> text, List<String> json, List<String> integers,
                           List<String> numbers, Identity identity) {
        Columns(Kind kind, List<String> text, List<String> json, List<String> integers) {
            this(kind, text, json, integers, List.of(), Identity.explicit(kind));
        }

        Columns identifiedBy(Identity other) {
            return new Columns(kind, text, json, integers, numbers, other);
        }

        boolean isNamed(String field) {
            return text.contains(field) || json.contains(field) || integers.contains(field) || numbers.contains(field);
        }
    }

    private static final Columns TASK = new Columns(Kind.TASK,
            List.of("task_id", "agent_id", "status", "task_type", "workflow_id", "error"),
            List.of("input", "output", "metadata"), List.of());
    private static final Columns TOOL_EXECUTION = new Columns(Kind.TOOL_EXECUTION,
            List.of("execution_id", "agent_id", "tool_name", "task_id", "workflow_id", "status", "error"),
            List.of("input_params", "output_result"), List.of("duration_ms"));
    private static final Columns WORKFLOW = new Columns(Kind.WORKFLOW,
            List.of("workflow_id", "workflow_type", "phase"),
            List.of("agent_ids", "state", "metadata"), List.of());
    private static final Columns FEEDBACK = new Columns(Kind.FEEDBACK,
            List.of("target_kind", "target_id", "name", "label", "comment", "source", "agent_id", "feedback_id"),
            List.of("correction"), List.of(), List.of("value"), Identity.explicit(Kind.FEEDBACK));

    /** One report of an entity by an agent, without its identity; sent flat or as a {@code data} document. */
    private record Update(String label, boolean asDocument, ObjectNode fields) {
    }

    /** An update as published: the entry id decides ties and becomes stream_entry_id. */
    private record Published(Update update, String entryId, Instant occurredAt) {
    }

    @Test
    void taskRowIsTheSameFoldWhateverTheOrderDuplicatesAndBatches() {
        List<Update> updates = List.of(
                update("queued", DOCUMENT, "occurred_at", "2026-04-01T12:00:00Z", "agent_id", "agent-a",
                        "status", "queued", "task_type", "summarize", "input", json("{\"text\": \"hello\"}"),
                        "metadata", json("{\"v\": 1}"), "priority", "low", "trace", json("{\"span\": 1}")),
                update("running", FLAT, "occurred_at", "2026-04-01T14:00:01+02:00", "agent_id", "agent-a",
                        "status", "running", "priority", "normal", "host", "w1"),
                update("draft", DOCUMENT, "occurred_at", 1775044802000L, "agent_id", "agent-a",
                        "status", "running", "output", json("{\"draft\": \"h\"}"), "error", "slow"),
                update("retrying", FLAT, "occurred_at", "1775044803000", "agent_id", "agent-a",
                        "status", "retrying", "input", json("{\"text\": \"hello again\"}"), "error", "transient"),
                update("output-cleared", DOCUMENT, "occurred_at", "2026-04-01T12:00:04.000001Z", "agent_id", "agent-a",
                        "status", "running", "output", NullNode.getInstance(), "trace", NullNode.getInstance()),
                update("completed-b", FLAT, "occurred_at", "2026-04-01T12:00:05Z", "agent_id", "agent-b",
                        "status", "completed", "metadata", json("{\"v\": 2}"), "host", "w2"),
                update("done-c", DOCUMENT, "occurred_at", "2026-04-01T07:00:05-05:00", "agent_id", "agent-c",
                        "status", "done", "task_type", "summarize-v2", "priority", "high"));

        assertSameFoldInEveryOrder(TASK, updates, List.of("completed-b", "done-c"), 12);
    }

    @Test
    void toolExecutionRowIsTheSameFoldWhateverTheOrder() {
        List<Update> updates = List.of(
                update("started", FLAT, "occurred_at", "2026-04-02T08:00:00Z", "agent_id", "agent-a",
                        "tool_name", "search", "task_id", "task-1", "status", "started",
                        "input_params", json("{\"q\": \"redis\"}"), "attempt", "1"),
                update("partial", DOCUMENT, "occurred_at", "2026-04-02T08:00:01Z", "agent_id", "agent-a",
                        "tool_name", "search", "output_result", json("[1, 2]"), "duration_ms", 700L),
                update("failed", DOCUMENT, "occurred_at", "2026-04-02T08:00:02Z", "agent_id", "agent-a",
                        "tool_name", "search", "status", "failed", "output_result", NullNode.getInstance(),
                        "error", "quota", "duration_ms", 1200L, "attempt", 2L),
                update("late-start", FLAT, "occurred_at", "2026-04-02T07:59:59Z", "agent_id", "agent-z",
                        "tool_name", "search-old", "workflow_id", "wf-1", "status", "queued", "duration_ms", "5"));

        assertSameFoldInEveryOrder(TOOL_EXECUTION, updates, List.of(), 5);
    }

    @Test
    void workflowRowIsTheSameFoldWhateverTheOrder() {
        List<Update> updates = List.of(
                update("planning", DOCUMENT, "occurred_at", "2026-04-03T09:00:00Z", "workflow_type", "research",
                        "phase", "planning", "agent_ids", json("[\"a1\"]"), "state", json("{\"step\": 1}"),
                        "owner", "team-a"),
                update("executing", FLAT, "occurred_at", "2026-04-03T09:10:00Z", "workflow_type", "research",
                        "phase", "executing", "agent_ids", json("[\"a1\", \"a2\"]"), "metadata", json("{\"k\": 1}")),
                update("state-reset", DOCUMENT, "occurred_at", "2026-04-03T09:20:00Z", "workflow_type", "research",
                        "phase", "executing", "state", NullNode.getInstance(), "owner", NullNode.getInstance()),
                update("reviewing", FLAT, "occurred_at", "2026-04-03T09:20:00Z", "workflow_type", "research",
                        "phase", "reviewing", "region", "eu"));

        assertSameFoldInEveryOrder(WORKFLOW, updates, List.of("state-reset", "reviewing"), 6);
    }

    @Test
    void feedbackRowIsTheSameFoldWhateverTheOrder() {
        List<Update> updates = List.of(
                update("model-score", DOCUMENT, "occurred_at", "2026-04-04T10:00:00Z", "target_kind", "task",
                        "target_id", "task-1", "name", "correctness", "value", json("0.5"), "source", "model",
                        "comment", "first pass", "rubric", json("{\"v\": 1}"),
                        "correction", json("{\"content\": null, \"tool_calls\": [{\"id\": \"call_1\"}]}")),
                update("human-rescore", FLAT, "occurred_at", "2026-04-04T12:00:01+02:00", "target_kind", "task",
                        "target_id", "task-1", "name", "correctness", "value", "0.75", "label", "good",
                        "source", "human", "reviewer", "alice", "correction", json("\"Check the input first.\"")),
                update("label-only", DOCUMENT, "occurred_at", 1775296802000L, "target_kind", "task",
                        "target_id", "task-1", "name", "correctness", "label", "excellent",
                        "comment", NullNode.getInstance(), "rubric", NullNode.getInstance(),
                        "correction", json("{\"content\": \"Done.\"}")),
                update("value-cleared", DOCUMENT, "occurred_at", "2026-04-04T10:00:02Z", "target_kind", "task",
                        "target_id", "task-1", "name", "correctness", "value", NullNode.getInstance(),
                        "label", "needs-review", "agent_id", "agent-b", "correction", NullNode.getInstance()),
                update("late-retarget", FLAT, "occurred_at", "2026-04-04T09:59:59Z", "target_kind", "conversation",
                        "target_id", "conv-9", "name", "helpfulness", "value", "1e-3", "source", "human",
                        "agent_id", "agent-z", "reviewer", "bob", "correction", json("[\"not\", \"usable\"]")));

        assertSameFoldInEveryOrder(FEEDBACK, updates, List.of("label-only", "value-cleared"), 8);
    }

    /**
     * A re-scored target (same target_kind, target_id, name and source, new value, no feedback_id)
     * keeps one row, with the newest score by occurred_at (ties by entry id), whatever the order,
     * the duplicates and the batches; an absent source is empty text in the identity.
     */
    @Test
    void reScoredTargetKeepsOneRowWithTheNewestScore() {
        List<Update> updates = List.of(
                update("reward-1", FLAT, "occurred_at", "2026-04-05T08:00:00Z", "value", "0.1", "agent_id", "rl-1",
                        "episode", "1"),
                update("reward-2", DOCUMENT, "occurred_at", "2026-04-05T08:00:01Z", "value", json("0.4"),
                        "episode", json("2")),
                update("reward-3", FLAT, "occurred_at", "2026-04-05T10:00:02+02:00", "value", "-3",
                        "label", "penalized"),
                update("reward-4a", DOCUMENT, "occurred_at", "2026-04-05T08:00:03Z", "value", json("0.9")),
                update("reward-4b", FLAT, "occurred_at", "2026-04-05T08:00:03Z", "value", "1e-3", "comment", "tie"));

        for (Columns columns : List.of(FEEDBACK.identifiedBy(Identity.feedbackTarget("reward", null)),
                FEEDBACK.identifiedBy(Identity.feedbackTarget("reward", "unit_tests")))) {
            Map<String, List<Published>> publishedById = assertSameFoldInEveryOrder(columns, updates,
                    List.of("reward-4a", "reward-4b"), 6);
            publishedById.forEach((id, published) -> {
                List<Map<String, Object>> rows = query("SELECT feedback_id, value FROM training_data.training_feedback"
                        + " WHERE target_id = ?", id);
                assertThat(rows).as("rows of target %s", id).hasSize(1);
                assertThat(rows.get(0).get("feedback_id")).isEqualTo(columns.identity().row(id));
                JsonNode newestValue = newest(published).update().fields().get("value");
                assertThat(rows.get(0).get("value")).as("the newest score of target %s", id)
                        .isEqualTo(newestValue.isNumber() ? newestValue.doubleValue()
                                : Double.parseDouble(newestValue.asText()));
            });
        }
    }

    /** The default identity includes the source: the same target scored by two sources is two rows. */
    @Test
    void theSameTargetScoredByTwoSourcesIsTwoRows() {
        String target = unique("task");
        List<String> entries = xaddTogether(Kind.FEEDBACK.stream(), List.of(
                fields("target_kind", "task", "target_id", target, "name", "reward", "value", "1", "source", "human"),
                fields("target_kind", "task", "target_id", target, "name", "reward", "value", "2", "source", "model"),
                fields("target_kind", "task", "target_id", target, "name", "reward", "value", "3"),
                fields("target_kind", "task", "target_id", target, "name", "quality", "value", "4", "source", "human"),
                fields("target_kind", "workflow", "target_id", target, "name", "reward", "value", "5")));
        awaitAcknowledged(Kind.FEEDBACK.stream(), entries);
        assertThat(query("SELECT feedback_id, value FROM training_data.training_feedback WHERE target_id = ?"
                + " ORDER BY value", target)).isEqualTo(List.of(
                columns("feedback_id", "task/" + target + "/reward/human", "value", 1.0),
                columns("feedback_id", "task/" + target + "/reward/model", "value", 2.0),
                columns("feedback_id", "task/" + target + "/reward/", "value", 3.0),
                columns("feedback_id", "task/" + target + "/quality/human", "value", 4.0),
                columns("feedback_id", "workflow/" + target + "/reward/", "value", 5.0)));
    }

    /**
     * Versions compare as text with occurred_at padded to 17 digits of microseconds, which holds
     * only up to the year 5138; the contract accepts occurred_at up to 9999.
     */
    @Test
    void newestRecordWinsAlsoForOccurredAtBeyondTheYear5138() {
        List<Update> updates = List.of(
                update("year-5000", FLAT, "occurred_at", "5000-01-01T00:00:00Z", "agent_id", "agent-a",
                        "status", "older"),
                update("year-6000", FLAT, "occurred_at", "6000-01-01T00:00:00Z", "agent_id", "agent-a",
                        "status", "newer"));

        assertSameFoldInEveryOrder(TASK, updates, List.of(), 2);
    }

    /**
     * Publishes the updates in {@code orders} shuffled orders, each under its own identity and with
     * a few updates published twice: the first order one entry per batch, the others part in one
     * MULTI and the rest one by one after that part is stored. Every row must equal the fold of its
     * own records, and rows whose tie ({@code tied}: updates with the same occurred_at) went the
     * same way must equal each other.
     */
    private Map<String, List<Published>> assertSameFoldInEveryOrder(Columns columns, List<Update> updates,
                                                                    List<String> tied, int orders) {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Map<String, List<Update>> orderById = new LinkedHashMap<>();
        for (int i = 0; i < orders; i++) {
            orderById.put(unique(columns.kind().name().toLowerCase()), shuffled(updates, tied, i, random));
        }
        String firstId = orderById.keySet().iterator().next();
        Map<String, List<Published>> publishedById = new LinkedHashMap<>();
        publishedById.put(firstId, publishOneEntryPerBatch(columns, firstId, orderById.remove(firstId)));
        publishedById.putAll(publishInTwoParts(columns, orderById, random));
        awaitAcknowledged(columns.kind().stream(), publishedById.values().stream().flatMap(List::stream)
                .map(Published::entryId).toList());

        Map<String, Map<String, Object>> rowByTieOutcome = new HashMap<>();
        publishedById.forEach((id, published) -> {
            Map<String, Object> row = recordColumns(awaitStoredRow(columns.kind(), columns.identity().row(id)));
            assertThat(row).as("row of %s (seed %d), records in publishing order: %s", id, seed, describe(published))
                    .isEqualTo(fold(columns, id, published));

            row.remove(columns.kind().identity());
            columns.identity().fields(id).fieldNames().forEachRemaining(row::remove);
            row.remove("stream_entry_id");
            Map<String, Object> sibling = rowByTieOutcome.putIfAbsent(newest(published).update().label(), row);
            if (sibling != null) {
                assertThat(row).as("row of %s against an earlier order with the same tie outcome", id)
                        .isEqualTo(sibling);
            }
        });
        if (!tied.isEmpty()) {
            assertThat(rowByTieOutcome.keySet()).as("both outcomes of the tie were exercised")
                    .containsExactlyInAnyOrderElementsOf(tied);
        }
        return publishedById;
    }

    /** Each update waits for the one before to be acknowledged: every step merges into the stored row. */
    private List<Published> publishOneEntryPerBatch(Columns columns, String id, List<Update> order) {
        List<Published> published = new ArrayList<>();
        for (Update update : order) {
            published.add(publish(columns, id, update));
            awaitAcknowledged(columns.kind().stream(), List.of(published.get(published.size() - 1).entryId()));
        }
        return published;
    }

    /**
     * For each identity, a random first part in one MULTI (one batch, folded before the write); once
     * all of them are stored, the rest one XADD at a time, the identities interleaved.
     */
    private Map<String, List<Published>> publishInTwoParts(Columns columns, Map<String, List<Update>> orderById,
                                                          Random random) {
        Map<String, List<Published>> publishedById = new LinkedHashMap<>();
        Map<String, List<Update>> rest = new LinkedHashMap<>();
        orderById.forEach((id, order) -> {
            int part = 1 + random.nextInt(order.size() - 1);
            List<Update> together = order.subList(0, part);
            List<String> entryIds = xaddTogether(columns.kind().stream(),
                    together.stream().map(update -> entry(columns, id, update)).toList());
            List<Published> published = new ArrayList<>();
            for (int i = 0; i < together.size(); i++) {
                published.add(published(together.get(i), entryIds.get(i)));
            }
            publishedById.put(id, published);
            rest.put(id, order.subList(part, order.size()));
        });
        awaitAcknowledged(columns.kind().stream(), publishedById.values().stream().flatMap(List::stream)
                .map(Published::entryId).toList());

        int longest = rest.values().stream().mapToInt(List::size).max().orElse(0);
        for (int position = 0; position < longest; position++) {
            for (var entry : rest.entrySet()) {
                if (position < entry.getValue().size()) {
                    publishedById.get(entry.getKey()).add(publish(columns, entry.getKey(), entry.getValue().get(position)));
                }
            }
        }
        return publishedById;
    }

    /**
     * A shuffled copy of the updates with two of them (not the tied ones) published a second time;
     * the tied updates are XADDed in one order for even orders and the other for odd ones.
     */
    private static List<Update> shuffled(List<Update> updates, List<String> tied, int index, Random random) {
        List<Update> order = new ArrayList<>(updates);
        List<Update> repeatable = updates.stream().filter(update -> !tied.contains(update.label())).toList();
        for (int i = 0; i < Math.min(2, repeatable.size()); i++) {
            order.add(repeatable.get(random.nextInt(repeatable.size())));
        }
        Collections.shuffle(order, random);
        if (tied.size() == 2) {
            int a = indexOf(order, tied.get(0));
            int b = indexOf(order, tied.get(1));
            if ((a < b) != (index % 2 == 0)) {
                Collections.swap(order, a, b);
            }
        }
        return order;
    }

    private static int indexOf(List<Update> order, String label) {
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).label().equals(label)) {
                return i;
            }
        }
        throw new IllegalArgumentException(label);
    }

    private Published publish(Columns columns, String id, Update update) {
        return published(update, streams().xadd(columns.kind().stream(), entry(columns, id, update)));
    }

    /** The stream entry of an update: its fields flat (JSON columns as JSON text), or one {@code data} field. */
    private static Map<String, String> entry(Columns columns, String id, Update update) {
        ObjectNode record = identified(columns, id, update);
        Map<String, String> entry = new LinkedHashMap<>();
        if (update.asDocument()) {
            entry.put("data", record.toString());
            return entry;
        }
        record.properties().forEach(field -> {
            JsonNode value = field.getValue();
            if (columns.json().contains(field.getKey())) {
                entry.put(field.getKey(), value.toString());
            } else if (value.isNull()) {
                throw new IllegalArgumentException("A flat entry cannot carry null in text field " + field.getKey());
            } else {
                entry.put(field.getKey(), value.asText());
            }
        });
        return entry;
    }

    /** The fields of an update with those that carry the test row's identity. */
    private static ObjectNode identified(Columns columns, String id, Update update) {
        ObjectNode record = columns.identity().fields(id);
        record.setAll(update.fields());
        return record;
    }

    private static Published published(Update update, String entryId) {
        JsonNode occurredAt = update.fields().get("occurred_at");
        Instant instant;
        if (occurredAt == null || occurredAt.isNull()) {
            instant = entryTime(entryId);
        } else if (occurredAt.isNumber() || occurredAt.asText().chars().allMatch(Character::isDigit)) {
            instant = Instant.ofEpochMilli(occurredAt.asLong());
        } else {
            instant = OffsetDateTime.parse(occurredAt.asText()).toInstant();
        }
        return new Published(update, entryId, instant);
    }

    private static final Comparator<Published> MERGE_ORDER = Comparator.comparing(Published::occurredAt)
            .thenComparing(Published::entryId, ENTRY_ID_ORDER);

    private static Published newest(List<Published> published) {
        return published.stream().max(MERGE_ORDER).orElseThrow();
    }

    /** The contract's merge rule, applied record by record in (occurred_at, entry id) order. */
    private static Map<String, Object> fold(Columns columns, String id, List<Published> published) {
        Map<String, Object> row = new LinkedHashMap<>();
        columns.text().forEach(column -> row.put(column, null));
        columns.json().forEach(column -> row.put(column, null));
        columns.integers().forEach(column -> row.put(column, null));
        columns.numbers().forEach(column -> row.put(column, null));
        row.put(columns.kind().identity(), columns.identity().row(id));
        ObjectNode attributes = JsonNodeFactory.instance.objectNode();
        for (Published record : published.stream().sorted(MERGE_ORDER).toList()) {
            identified(columns, id, record.update()).properties().forEach(field -> {
                String name = field.getKey();
                JsonNode value = field.getValue();
                if (name.equals("occurred_at")) {
                    return;
                }
                if (!columns.isNamed(name)) {
                    attributes.set(name, record.update().asDocument() ? canonical(value) : TextNode.valueOf(value.asText()));
                } else if (value.isNull()) {
                    row.put(name, null);
                } else if (columns.json().contains(name)) {
                    row.put(name, canonical(value));
                } else if (columns.integers().contains(name)) {
                    row.put(name, value.asLong());
                } else if (columns.numbers().contains(name)) {
                    row.put(name, (value.isNumber() ? value.decimalValue() : new BigDecimal(value.asText().trim()))
                            .doubleValue());
                } else {
                    row.put(name, value.asText());
                }
            });
        }
        row.put("attributes", attributes);
        row.put("occurred_at", newest(published).occurredAt());
        row.put("first_occurred_at", published.stream().map(Published::occurredAt).min(Comparator.naturalOrder())
                .orElseThrow());
        row.put("stream_entry_id", newest(published).entryId());
        return row;
    }

    private static String describe(List<Published> published) {
        return published.stream().map(p -> p.update().label() + "@" + p.entryId()).collect(Collectors.joining(", "));
    }

    /** An update from field/value pairs: text, Long and JsonNode values (NullNode for an explicit null). */
    private static Update update(String label, boolean asDocument, Object... fieldsAndValues) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            Object value = fieldsAndValues[i + 1];
            fields.set((String) fieldsAndValues[i], value instanceof JsonNode node ? node
                    : value instanceof Long number ? LongNode.valueOf(number) : TextNode.valueOf((String) value));
        }
        return new Update(label, asDocument, fields);
    }
}
