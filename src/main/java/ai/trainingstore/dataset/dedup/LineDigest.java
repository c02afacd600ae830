package ai.trainingstore.dataset.dedup;

import ai.trainingstore.record.EntryParser;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The identity of a line for {@code dedup=exact}: SHA-256 of its messages and tools as JSON values
 * (key order, whitespace and number spelling such as 1 vs 1.0 do not matter), with each call's
 * {@code function.arguments} compared as the JSON value its text encodes (or as an object, in the
 * Hugging Face shape), and tool call ids compared by their order of first appearance, as siblings
 * are in contract 6.3 (agents make new call ids on every run). SHA-256 so that no one can craft a
 * different line that passes for a kept one.
 */
final class LineDigest {

    private final MessageDigest sha256;
    private final byte[] number = new byte[8];

    LineDigest() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The first 16 bytes of the digest, as two longs. */
    long[] of(JsonNode messages, JsonNode tools) {
        sha256.reset();
        Map<String, String> callIds = callIds(messages);
        tag('m');
        value(messages, callIds, null);
        tag('t');
        value(tools == null ? EntryParser.JSON.nullNode() : tools, Map.of(), null);
        ByteBuffer digest = ByteBuffer.wrap(sha256.digest());
        return new long[] {digest.getLong(), digest.getLong()};
    }

    /** Call ids renamed "#0", "#1"... in the order they first appear (calls, then the results naming them). */
    private static Map<String, String> callIds(JsonNode messages) {
        Map<String, String> ids = new HashMap<>();
        for (JsonNode message : messages) {
            for (JsonNode call : message.path("tool_calls")) {
                JsonNode id = call.get("id");
                if (id != null && id.isTextual()) {
                    ids.putIfAbsent(id.asText(), "#" + ids.size());
                }
            }
            JsonNode answered = message.get("tool_call_id");
            if (answered != null && answered.isTextual()) {
                ids.putIfAbsent(answered.asText(), "#" + ids.size());
            }
        }
        return ids;
    }

    /**
     * A type-tagged, length-prefixed encoding (no two values share one), objects with their keys
     * sorted. {@code key} is the name this value has in its object: it decides the call-id renaming
     * and the reading of arguments text.
     */
    private void value(JsonNode node, Map<String, String> callIds, String key) {
        if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                keys.add(names.next());
            }
            keys.sort(null);
            tag('{');
            count(keys.size());
            for (String name : keys) {
                text(name);
                // Inside arguments (an object in the Hugging Face shape) ids are the caller's data, never renamed.
                value(node.get(name), "arguments".equals(name) ? Map.of() : callIds, name);
            }
        } else if (node.isArray()) {
            tag('[');
            count(node.size());
            for (JsonNode element : node) {
                value(element, callIds, null);
            }
        } else if (node.isTextual()) {
            String text = node.asText();
            if (("id".equals(key) || "tool_call_id".equals(key)) && callIds.containsKey(text)) {
                tag('c');
                text(callIds.get(text));
            } else if ("arguments".equals(key)) {
                arguments(text);
            } else {
                tag('s');
                text(text);
            }
        } else if (node.isNumber()) {
            tag('n');
            text(node.decimalValue().stripTrailingZeros().toString());
        } else if (node.isBoolean()) {
            tag(node.booleanValue() ? 'T' : 'F');
        } else {
            tag('z');
        }
    }

    /** Arguments text as the JSON value it encodes, so {"a":1} and { "a": 1 } are one; text that is no JSON as itself. */
    private void arguments(String text) {
        JsonNode parsed;
        try {
            parsed = EntryParser.JSON.readTree(text);
        } catch (Exception notJson) {
            parsed = null;
        }
        if (parsed == null || parsed.isMissingNode()) {
            tag('s');
            text(text);
        } else {
            value(parsed, Map.of(), null);
        }
    }

    private void tag(char tag) {
        sha256.update((byte) tag);
    }

    private void count(long count) {
        for (int i = 0; i < 8; i++) {
            number[i] = (byte) (count >>> (56 - 8 * i));
        }
        sha256.update(number);
    }

    private void text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        count(bytes.length);
        sha256.update(bytes);
    }
}
