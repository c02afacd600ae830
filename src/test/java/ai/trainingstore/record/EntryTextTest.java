package ai.trainingstore.record;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.kind.Rejection.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decoding an entry's fields as the consumer reads them: buffers inside a larger array, as in a Redis reply. */
class EntryTextTest {

    private static final EntryText.KnownNames EVENTS = new EntryText.KnownNames(RecordKind.EVENTS);

    /** Each field's bytes between junk, so that offsets are exercised. */
    private static ByteBuffer[] entry(byte[]... namesAndValues) {
        ByteBuffer[] fields = new ByteBuffer[namesAndValues.length];
        for (int i = 0; i < namesAndValues.length; i++) {
            byte[] padded = new byte[namesAndValues[i].length + 6];
            padded[0] = padded[1] = padded[2] = 'x';
            padded[padded.length - 1] = padded[padded.length - 2] = padded[padded.length - 3] = (byte) 0xFF;
            System.arraycopy(namesAndValues[i], 0, padded, 3, namesAndValues[i].length);
            fields[i] = ByteBuffer.wrap(padded, 3, namesAndValues[i].length);
        }
        return fields;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void knownNamesAreTheKindsOwnStringsAndOthersAreDecoded() {
        EntryText text = EntryText.decode(entry(utf8("event_type"), utf8("t"), utf8("agent"), utf8("a"),
                utf8("agent_id"), utf8("ü"), utf8("data"), utf8("{}")), EVENTS);
        assertThat(text.invalidUtf8()).isNull();
        assertThat(text.fields()).containsExactly(Map.entry("event_type", "t"), Map.entry("agent", "a"),
                Map.entry("agent_id", "ü"), Map.entry("data", "{}"));
        String eventType = text.fields().keySet().iterator().next();
        assertThat(eventType).isSameAs(RecordKind.EVENTS.fields().get(RecordKind.EVENTS.indexOf("event_type")).name());
    }

    @Test
    void aNameSentTwiceKeepsItsFirstPlaceAndItsLastValue() {
        EntryText text = EntryText.decode(entry(utf8("note"), utf8("1"), utf8("agent_id"), utf8("a"), utf8("note"),
                utf8("2")), EVENTS);
        assertThat(text.fields()).containsExactly(Map.entry("note", "2"), Map.entry("agent_id", "a"));
    }

    @Test
    void invalidUtf8InANameOrAValueIsRefusedAndShownLeniently() {
        EntryText badValue = EntryText.decode(entry(utf8("agent_id"), new byte[] {'a', (byte) 0xC3, 0x28}), EVENTS);
        assertThat(badValue.invalidUtf8().reason()).isEqualTo(Reason.BAD_VALUE);
        assertThat(badValue.invalidUtf8().message()).contains("'agent_id'", "UTF-8");
        assertThat(badValue.fields()).containsEntry("agent_id", "a\ufffd(");
        EntryText badName = EntryText.decode(entry(new byte[] {'n', (byte) 0xFF}, utf8("v")), EVENTS);
        assertThat(badName.invalidUtf8().message()).contains("UTF-8");
        assertThat(badName.fields()).containsEntry("n\ufffd", "v");
    }
}
