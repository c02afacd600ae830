package ai.trainingstore.redact;

import ai.trainingstore.kind.Column;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which classes to redact (contract section 7), and the redaction itself: every match of those
 * classes in a text, or in the string values of a JSON document, replaced by the class's token
 * ({@code [REDACTED_EMAIL]}, ...). Immutable and thread-safe; every encoder and dataset calls it.
 *
 * <ul>
 *   <li>{@link #isNone()}: nothing is redacted. Every method then returns its input as it is, at
 *       no cost, so callers need no branch of their own (though a hot loop may skip work).</li>
 *   <li>{@link #text(String)}: a text value.</li>
 *   <li>{@link #json(String)}: JSON text in, JSON text out. Only string values are redacted, never
 *       keys; numbers keep their exact text. A string value that itself holds a JSON object or
 *       array (OpenAI's {@code function.arguments}) is redacted as JSON, so it stays parseable.
 *       A value under a key that names a credential ({@code "password": "hunter2"},
 *       {@code "api_key"}, {@code "Authorization"}) is a secret as a whole (placeholders such as
 *       {@code null} or {@code ${VAR}} aside), since its key is what says so. Output is
 *       compact when anything was redacted; with nothing to redact the input comes back unchanged
 *       (the same String).</li>
 *   <li>{@link #json(String, Set)} and {@link #json(JsonNode, Set)}: the same, except string
 *       values at the given paths from the document's root, which are kept (a tool call's
 *       {@code id}, {@code type} and {@code function.name}). A path names object keys joined by
 *       dots; an array's elements stand at the array's own path, so {@code function.name} is each
 *       call's function name in a list of calls, and never a {@code name} deeper inside the
 *       arguments: a key called {@code name}, {@code id} or {@code type} anywhere else is data
 *       like any other (contract section 7).</li>
 *   <li>{@link #value(String, String)}: one string value under a key, as inside a JSON document
 *       (a value holding JSON is redacted as JSON; a credential key makes it a secret).</li>
 *   <li>{@link #column(Column, String)}: a row export's column value, as {@link RedactedColumns}
 *       decides (free text and JSON columns; never identities, ids or timestamps).</li>
 * </ul>
 */
public final class Redaction {

    private static final Redaction NONE = new Redaction(EnumSet.noneOf(RedactClass.class));
    /** Above the store's own JSON limits (1,000 levels), so every stored document re-reads. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(2_000).build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(2_000).build())
            .build();
    /** Substrings of a JSON key that make its value read as an assignment to that key. */
    private static final String[] CREDENTIAL_KEYS = {"pass", "pwd", "secret", "key", "token", "auth", "credential"};

    private final Set<RedactClass> classes;
    private final RedactClass[] ordered;

    private Redaction(Set<RedactClass> classes) {
        EnumSet<RedactClass> copy = EnumSet.noneOf(RedactClass.class);
        copy.addAll(classes);
        this.classes = Collections.unmodifiableSet(copy);
        this.ordered = this.classes.toArray(RedactClass[]::new);
    }

    /** Nothing redacted. */
    public static Redaction none() {
        return NONE;
    }

    public static Redaction of(Set<RedactClass> classes) {
        return classes.isEmpty() ? NONE : new Redaction(classes);
    }

    /**
     * A comma-separated list of class names, or {@code all}.
     *
     * @throws IllegalArgumentException for an empty or unknown name; the message lists the valid ones
     */
    public static Redaction parse(String list) {
        return of(RedactClass.parseList(list));
    }

    /** These classes and the other's: an operator's forced list joined to a request's. */
    public Redaction with(Redaction other) {
        if (other.isNone()) {
            return this;
        }
        if (isNone()) {
            return other;
        }
        EnumSet<RedactClass> union = EnumSet.copyOf(classes);
        union.addAll(other.classes);
        return of(union);
    }

    public boolean isNone() {
        return ordered.length == 0;
    }

    public Set<RedactClass> classes() {
        return classes;
    }

    /**
     * The text with every match replaced; null stays null. A text that holds JSON written with
     * escapes (a tool's output, {@code {"to": "bob\\u0040example.com"}}) has its decoded string
     * values redacted first, then the whole text as text.
     */
    public String text(String text) {
        if (isNone() || text == null || text.isEmpty()) {
            return text;
        }
        String decoded = text.indexOf('\\') >= 0 && holdsJson(text) ? jsonOrText(text) : text;
        Spans spans = find(decoded, null);
        return spans == null ? decoded : spans.replace(decoded);
    }

    /** The text redacted as JSON when it is JSON, else unchanged. */
    private String jsonOrText(String text) {
        try {
            String redacted = redactJson(text, Set.of());
            return redacted == null ? text : redacted;
        } catch (JsonProcessingException notJson) {
            return text;
        }
    }

    /** JSON text with its string values redacted (see the class comment); null stays null. */
    public String json(String jsonText) {
        return json(jsonText, Set.of());
    }

    /**
     * JSON text with its string values redacted, except values at the {@code kept} paths (see the
     * class comment; also each string of an array at one).
     *
     * @throws IllegalArgumentException when the text is not JSON
     */
    public String json(String jsonText, Set<String> kept) {
        if (isNone() || jsonText == null || !mayMatchJson(jsonText)) {
            return jsonText;
        }
        try {
            String redacted = redactJson(jsonText, kept);
            return redacted == null ? jsonText : redacted;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not JSON text: " + e.getOriginalMessage(), e);
        }
    }

    /** Redacts the string values of a tree in place and returns it. */
    public JsonNode json(JsonNode tree) {
        return json(tree, Set.of());
    }

    /** Redacts the string values of a tree in place, except at the {@code kept} paths, and returns it. */
    public JsonNode json(JsonNode tree, Set<String> kept) {
        if (!isNone() && tree != null && tree.isContainerNode()) {
            redactTree(tree, "", kept);
        }
        return tree;
    }

    /**
     * One string value under a key (null for none), as inside a JSON document: a value that holds
     * a JSON object or array is redacted as JSON, a value under a credential key is a secret as a
     * whole; null stays null. For values kept as fields, such as a dead letter's.
     */
    public String value(String key, String value) {
        return isNone() || value == null ? value : value(key, value, "", Set.of());
    }

    /** Whether a row export redacts this column at all (when anything is asked). */
    public boolean redacts(Column column) {
        return !isNone() && RedactedColumns.redacts(column);
    }

    /**
     * A row export's value of this column (JSON columns as JSON text), redacted when the column
     * holds free text or JSON; identities, ids, categories and timestamps come back unchanged.
     */
    public String column(Column column, String value) {
        if (value == null || !redacts(column)) {
            return value;
        }
        return column.type().isJson() ? json(value, RedactedColumns.keptFields(column)) : text(value);
    }

    @Override
    public String toString() {
        return isNone() ? "none" : classes.stream().map(RedactClass::id).collect(Collectors.joining(","));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Redaction redaction && redaction.classes.equals(classes);
    }

    @Override
    public int hashCode() {
        return classes.hashCode();
    }

    /**
     * The quick check on raw JSON text, which holds only when no string in it is written with
     * escapes: an address whose at sign is written {@code \\u0040} only shows once decoded, so
     * text with a backslash is always decoded and each string checked on its own.
     */
    private boolean mayMatchJson(String jsonText) {
        return jsonText.indexOf('\\') >= 0 || mayMatch(jsonText);
    }

    private boolean mayMatch(CharSequence text) {
        for (RedactClass redactClass : ordered) {
            if (redactClass.detector().mayMatch(text)) {
                return true;
            }
        }
        return false;
    }

    /** The spans of every class in the text, added to {@code spans} (created when null); null when none. */
    private Spans find(String text, Spans spans) {
        for (RedactClass redactClass : ordered) {
            Detector detector = redactClass.detector();
            if (detector.mayMatch(text)) {
                if (spans == null) {
                    spans = new Spans();
                }
                detector.find(text, spans);
            }
        }
        return spans == null || spans.isEmpty() ? null : spans;
    }

    /** A JSON string value under this key (null at the top), at this path from the root. */
    private String value(String key, String value, String path, Set<String> kept) {
        if (value.isEmpty() || kept.contains(path)) {
            return value;
        }
        if (holdsJson(value)) {
            try {
                String redacted = redactJson(value, Set.of());
                return redacted == null ? value : redacted;
            } catch (JsonProcessingException notJson) {
                // plain text that only looks like JSON: redacted as text below
            }
        }
        Spans spans = null;
        if (key != null && classes.contains(RedactClass.SECRET) && namesCredential(key)) {
            Spans assigned = new Spans();
            SecretDetector.INSTANCE.findAssigned(key, value, assigned);
            spans = assigned.isEmpty() ? null : assigned;
        }
        spans = find(value, spans);
        return spans == null ? value : spans.replace(value);
    }

    private static boolean namesCredential(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        for (String credential : CREDENTIAL_KEYS) {
            if (lower.contains(credential)) {
                return true;
            }
        }
        return false;
    }

    private static boolean holdsJson(String value) {
        int first = 0;
        int last = value.length() - 1;
        while (first <= last && Character.isWhitespace(value.charAt(first))) {
            first++;
        }
        while (last > first && Character.isWhitespace(value.charAt(last))) {
            last--;
        }
        if (first >= last) {
            return false;
        }
        char open = value.charAt(first);
        char close = value.charAt(last);
        // objects, arrays, and a JSON string encoded once more ("\"...\""), as agents sometimes send
        return (open == '{' && close == '}') || (open == '[' && close == ']') || (open == '"' && close == '"');
    }

    /**
     * The document re-written with its strings redacted, compact; null when nothing changed. A
     * first pass only reads (most documents have nothing to redact); the document is written only
     * when a value changes.
     */
    private String redactJson(String text, Set<String> kept) throws JsonProcessingException {
        Map<Integer, String> replaced = null;
        try (JsonParser parser = JSON.createParser(text)) {
            int index = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.VALUE_STRING) {
                    String original = parser.getText();
                    JsonStreamContext context = parser.getParsingContext();
                    String redacted = value(keyOf(context), original, kept.isEmpty() ? "" : pathOf(context), kept);
                    if (redacted != original) {
                        if (replaced == null) {
                            replaced = new java.util.HashMap<>();
                        }
                        replaced.put(index, redacted);
                    }
                    index++;
                }
            }
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return replaced == null ? null : rewrite(text, replaced);
    }

    /** The document with its n-th string values replaced as given, compact. */
    private static String rewrite(String text, Map<Integer, String> replaced) throws JsonProcessingException {
        java.io.StringWriter out = new java.io.StringWriter(text.length());
        try (JsonParser parser = JSON.createParser(text);
             JsonGenerator generator = JSON.createGenerator(out)) {
            int index = 0;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                switch (token) {
                    case START_OBJECT -> generator.writeStartObject();
                    case END_OBJECT -> generator.writeEndObject();
                    case START_ARRAY -> generator.writeStartArray();
                    case END_ARRAY -> generator.writeEndArray();
                    case FIELD_NAME -> generator.writeFieldName(parser.currentName());
                    case VALUE_STRING -> {
                        String redacted = replaced.get(index++);
                        generator.writeString(redacted != null ? redacted : parser.getText());
                    }
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> generator.writeNumber(parser.getText());
                    case VALUE_TRUE -> generator.writeBoolean(true);
                    case VALUE_FALSE -> generator.writeBoolean(false);
                    case VALUE_NULL -> generator.writeNull();
                    default -> throw new IllegalStateException("Unexpected JSON token " + token);
                }
            }
            generator.flush();
            return out.toString();
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The key a value stands under: its field, or for an array element, the array's field. */
    private static String keyOf(JsonStreamContext context) {
        if (context.inObject()) {
            return context.getCurrentName();
        }
        if (context.inArray() && context.getParent() != null && context.getParent().inObject()) {
            return context.getParent().getCurrentName();
        }
        return null;
    }

    /**
     * The path of the current value from the root: its object keys joined by dots, arrays adding
     * nothing (see the class comment).
     */
    private static String pathOf(JsonStreamContext context) {
        java.util.ArrayDeque<String> keys = new java.util.ArrayDeque<>();
        for (JsonStreamContext at = context; at != null; at = at.getParent()) {
            if (at.inObject() && at.getCurrentName() != null) {
                keys.addFirst(at.getCurrentName());
            }
        }
        return String.join(".", keys);
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** {@code node} stands at {@code path} (arrays add nothing to a path). */
    private void redactTree(JsonNode node, String path, Set<String> kept) {
        if (node instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                JsonNode child = field.getValue();
                String childPath = kept.isEmpty() ? "" : child(path, field.getKey());
                if (child.isTextual()) {
                    String redacted = value(field.getKey(), child.textValue(), childPath, kept);
                    if (redacted != child.textValue()) {
                        field.setValue(TextNode.valueOf(redacted));
                    }
                } else if (child instanceof ArrayNode array) {
                    redactArray(array, field.getKey(), childPath, kept);
                } else {
                    redactTree(child, childPath, kept);
                }
            }
        } else if (node instanceof ArrayNode array) {
            redactArray(array, null, path, kept);
        }
    }

    private void redactArray(ArrayNode array, String key, String path, Set<String> kept) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode element = array.get(i);
            if (element.isTextual()) {
                String redacted = value(key, element.textValue(), path, kept);
                if (redacted != element.textValue()) {
                    array.set(i, TextNode.valueOf(redacted));
                }
            } else {
                redactTree(element, path, kept);
            }
        }
    }
}
