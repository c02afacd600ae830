package ai.trainingstore.dataset;

import ai.trainingstore.dataset.Conversation.ToolCall;
import ai.trainingstore.export.RowEncoder;
import ai.trainingstore.redact.Redaction;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.vertx.mutiny.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One task as an ATIF trajectory (Harbor's Agent Trajectory Interchange Format v1.4, contract
 * section 6.2): its messages and the tool executions no message's call names, as numbered steps
 * in time order; each tool result is the observation of the step that made the call; the task
 * row and its feedback (the reward) in {@code extra}. Free text, arguments, results and labels
 * are redacted as asked; ids, names and timestamps never are.
 */
final class Trajectory {

    static final String SCHEMA_VERSION = "ATIF-v1.4";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** A task as the cursor returns it: the row as the JSONL export writes it, and its feedback. */
    record Task(String id, String agentId, String workflowId, String rowJson, Map<String, JsonNode> feedback) {

        static Task of(Row row, RowEncoder encoder) {
            byte[] line = encoder.encode(List.of(row));
            Map<String, JsonNode> feedback = new LinkedHashMap<>();
            MessageRow.json(row.getString("feedback")).properties().forEach(entry -> feedback.put(entry.getKey(), entry.getValue()));
            return new Task(row.getString("task_id"), row.getString("agent_id"), row.getString("workflow_id"),
                    new String(line, 0, line.length - 1, StandardCharsets.UTF_8), feedback);
        }

        Optional<Double> score(String name) {
            return Feedback.score(feedback, name);
        }
    }

    /** A message of a task. */
    record Message(String taskId, String messageId, String role, String content, List<ToolCall> toolCalls,
                   String toolCallId, String agentId, Instant occurredAt) {

        static Message of(Row row) {
            List<ToolCall> calls = new ArrayList<>();
            JsonNode stored = MessageRow.json(row.getString("tool_calls"));
            if ("assistant".equals(row.getString("role")) && stored.isArray()) {
                stored.forEach(call -> calls.add(Conversation.toolCall(call)));
            }
            return new Message(row.getString("task_id"), row.getString("message_id"), row.getString("role"),
                    row.getString("content"), calls, row.getString("tool_call_id"), row.getString("agent_id"),
                    row.getOffsetDateTime("occurred_at").toInstant());
        }
    }

    /** A tool execution: of a task, or named by a call of one of its messages. */
    record Execution(String id, String taskId, String toolName, JsonNode inputParams, JsonNode outputResult,
                     String error, String agentId, Instant occurredAt) {

        static Execution of(Row row) {
            return new Execution(row.getString("execution_id"), row.getString("task_id"), row.getString("tool_name"),
                    MessageRow.json(row.getString("input_params")), MessageRow.json(row.getString("output_result")), row.getString("error"),
                    row.getString("agent_id"), row.getOffsetDateTime("occurred_at").toInstant());
        }

        /** Contract 6.1 rule 2: one agent's tool output never lands in another's data. */
        boolean answers(Message caller) {
            return agentId == null || caller.agentId() == null || agentId.equals(caller.agentId());
        }

        boolean hasResult() {
            return !outputResult.isNull() || error != null;
        }

        String result() {
            return Conversation.resultText(outputResult, error);
        }
    }

    /** A step that made calls, and its calls. */
    private record StepCalls(ObjectNode step, Message message, List<ToolCall> calls) {
    }

    private Trajectory() {
    }

    /**
     * The ATIF line of a task. {@code messages} are the task's in order; {@code executions} are
     * those of the task and those its calls name, in (occurred_at, execution_id) order.
     */
    static ObjectNode of(Task task, List<Message> messages, List<Execution> executions, Redaction redaction) {
        Map<String, Execution> byId = new HashMap<>();
        executions.forEach(execution -> byId.put(execution.id(), execution));
        Set<String> called = new HashSet<>();
        messages.forEach(message -> message.toolCalls().forEach(call -> called.add(call.id())));
        List<Execution> unnamed = executions.stream()
                .filter(execution -> task.id().equals(execution.taskId()) && !called.contains(execution.id()))
                .toList();

        List<ObjectNode> steps = new ArrayList<>();
        Map<String, ObjectNode> stepOfCall = new HashMap<>();
        List<StepCalls> callsOfSteps = new ArrayList<>();
        Map<String, List<String>> resultsOfCall = new HashMap<>();
        int next = 0;
        for (Message message : messages) {
            while (next < unnamed.size() && unnamed.get(next).occurredAt().isBefore(message.occurredAt())) {
                steps.add(executionStep(unnamed.get(next++), redaction));
            }
            boolean answersEarlierCall = "tool".equals(message.role()) && message.toolCallId() != null
                    && stepOfCall.containsKey(message.toolCallId());
            if (answersEarlierCall) {
                resultsOfCall.computeIfAbsent(message.toolCallId(), id -> new ArrayList<>())
                        .add(redaction.text(text(message.content())));
                continue;
            }
            ObjectNode step = messageStep(message, redaction);
            steps.add(step);
            if (!message.toolCalls().isEmpty()) {
                callsOfSteps.add(new StepCalls(step, message, message.toolCalls()));
                message.toolCalls().stream().filter(call -> call.id() != null)
                        .forEach(call -> stepOfCall.putIfAbsent(call.id(), step));
            }
        }
        while (next < unnamed.size()) {
            steps.add(executionStep(unnamed.get(next++), redaction));
        }
        // Observations in the order of the step's calls: the tool messages answering a call, else its execution's result.
        for (StepCalls stepCalls : callsOfSteps) {
            ArrayNode results = JSON.arrayNode();
            for (ToolCall call : stepCalls.calls()) {
                List<String> answers = resultsOfCall.get(call.id());
                Execution execution = call.id() == null ? null : byId.get(call.id());
                if (answers != null) {
                    answers.forEach(content -> results.add(result(call.id(), content)));
                } else if (execution != null && execution.hasResult() && execution.answers(stepCalls.message())) {
                    results.add(result(call.id(), redaction.text(execution.result())));
                }
            }
            if (!results.isEmpty()) {
                stepCalls.step().putObject("observation").set("results", results);
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            steps.get(i).put("step_id", i + 1);
        }

        ObjectNode line = JSON.objectNode().put("schema_version", SCHEMA_VERSION).put("session_id", task.id());
        line.putObject("agent").put("name", task.agentId());
        ArrayNode stepArray = line.putArray("steps");
        steps.forEach(stepArray::add);
        ObjectNode extra = line.putObject("extra");
        extra.putRawValue("task", new RawValue(task.rowJson()));
        extra.set("feedback", Feedback.values(task.feedback(), redaction));
        extra.put("workflow_id", task.workflowId());
        return line;
    }

    private static ObjectNode messageStep(Message message, Redaction redaction) {
        boolean toolResult = "tool".equals(message.role());
        // A tool result's content is its observation, not something the agent said.
        ObjectNode step = step(message.occurredAt(), source(message.role()), toolResult ? "" : redaction.text(text(message.content())));
        if (!message.toolCalls().isEmpty()) {
            ArrayNode calls = step.putArray("tool_calls");
            ObjectNode invalid = JSON.objectNode();
            for (ToolCall call : message.toolCalls()) {
                ObjectNode node = calls.addObject().put("tool_call_id", call.id()).put("function_name", call.function());
                if (call.arguments() != null) {
                    node.set("arguments", redaction.isNone() ? call.arguments() : redaction.json(call.arguments().deepCopy()));
                } else {
                    // ATIF arguments are an object: what was stored instead is kept beside it, not lost.
                    node.putObject("arguments");
                    invalid.put(call.id() == null ? "" : call.id(), redaction.text(call.argumentsText()));
                }
            }
            if (!invalid.isEmpty()) {
                step.putObject("extra").set("invalid_arguments", invalid);
            }
        }
        if (toolResult) {
            // A result that answers no earlier call of the task: its own step, its call named as stored.
            step.putObject("observation").putArray("results")
                    .add(result(message.toolCallId(), redaction.text(text(message.content()))));
        }
        (step.has("extra") ? (ObjectNode) step.get("extra") : step.putObject("extra")).put("message_id", message.messageId());
        return step;
    }

    /** A tool execution no message's call names: one call built from it, its result the observation. */
    private static ObjectNode executionStep(Execution execution, Redaction redaction) {
        ObjectNode step = step(execution.occurredAt(), "agent", "");
        ObjectNode call = step.putArray("tool_calls").addObject()
                .put("tool_call_id", execution.id()).put("function_name", execution.toolName());
        JsonNode input = redaction.json(execution.inputParams().deepCopy());
        if (input.isObject()) {
            call.set("arguments", input);
        } else if (input.isNull()) {
            call.putObject("arguments");
        } else {
            call.putObject("arguments").set("input", input.isTextual() ? TextNode.valueOf(redaction.text(input.textValue()))
                    : input);
        }
        if (execution.hasResult()) {
            step.putObject("observation").putArray("results")
                    .add(result(execution.id(), redaction.text(execution.result())));
        }
        step.putObject("extra").put("execution_id", execution.id());
        return step;
    }

    private static ObjectNode step(Instant occurredAt, String source, String message) {
        // step_id is set once every step is in place; it comes first in the line.
        ObjectNode step = JSON.objectNode().putNull("step_id");
        return step.put("timestamp", RowEncoder.instant(occurredAt)).put("source", source).put("message", message);
    }

    private static ObjectNode result(String callId, String content) {
        return JSON.objectNode().put("source_call_id", callId).put("content", content);
    }

    private static String source(String role) {
        return switch (role) {
            case "system" -> "system";
            case "user" -> "user";
            default -> "agent"; // assistant and tool
        };
    }

    private static String text(String content) {
        return content == null ? "" : content;
    }
}
