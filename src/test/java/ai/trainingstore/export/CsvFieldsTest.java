package ai.trainingstore.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 4180 as CsvFields writes it, read back by an independent parser (Jackson's). */
class CsvFieldsTest {

    @Test
    void fieldsAreQuotedExactlyWhenTheyHoldACommaAQuoteOrALineBreak() {
        assertThat(record("plain", "two words", "a,b", "say \"hi\"", "line\nbreak", "cr\rhere", "crlf\r\n"))
                .isEqualTo("plain,two words,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"cr\rhere\",\"crlf\r\n\"\r\n");
    }

    @Test
    void nullIsAnEmptyFieldAndTheEmptyStringIsQuoted() {
        assertThat(record(null, "", null)).isEqualTo(",\"\",\r\n");
        assertThat(record((String) null)).isEqualTo("\r\n");
    }

    @Test
    void recordsLargerThanTheStartingBufferAreWhole() {
        String big = "x\"y,".repeat(100_000);
        CsvFields csv = new CsvFields();
        csv.field(big).field("é" + big).end();
        assertThat(new String(csv.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("\"" + big.replace("\"", "\"\"") + "\",\"é" + big.replace("\"", "\"\"") + "\"\r\n");
    }

    @Test
    void anyUnicodeIsWrittenAsUtf8AndReadsBackTheSame() throws IOException {
        List<String> values = List.of("emoji \uD83D\uDE00, \"quoted\"", "日本語", "\u0000nul", "tab\tend", "\"", ",", "\u2028");
        CsvFields csv = new CsvFields();
        values.forEach(csv::field);
        csv.end();
        values.forEach(csv::field);
        csv.end();
        try (MappingIterator<List<String>> rows = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY)
                .readerForListOf(String.class).readValues(csv.toByteArray())) {
            assertThat(rows.readAll()).containsExactly(values, values);
        }
    }

    private static String record(String... values) {
        CsvFields csv = new CsvFields();
        Arrays.stream(values).forEach(csv::field);
        csv.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        csv.drainTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
