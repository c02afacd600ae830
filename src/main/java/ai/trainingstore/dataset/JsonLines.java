package ai.trainingstore.dataset;

import ai.trainingstore.record.EntryParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/** Writing a dataset's lines: one compact JSON value and a newline each, many lines per chunk. */
final class JsonLines {

    /** Lines per written chunk: far fewer writes, and better compression. */
    static final int PER_CHUNK = 100;

    private JsonLines() {
    }

    static byte[] line(JsonNode value) {
        try {
            byte[] json = EntryParser.JSON.writeValueAsBytes(value);
            byte[] line = Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            return line;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] joined(List<byte[]> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(lines.size() * 1024);
        lines.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
