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
    void anyUnicodeIsWrittenAsUtf8AndReadsBackTheSame() throws IOException {
        List<String> values = List.of("emoji \uD83D\uDE00, \"quoted\"", "日本語", "\u0000nul", "tab\tend", "\"", ",", "\u2028");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CsvFields csv = new CsvFields(out);
        values.forEach(csv::field);
        csv.end();
        values.forEach(csv::field);
        csv.end();
        try (MappingIterator<List<String>> rows = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY)
                .readerForListOf(String.class).readValues(out.toByteArray())) {
            assertThat(rows.readAll()).containsExactly(values, values);
        }
    }

    private static String record(String... values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CsvFields csv = new CsvFields(out);
        Arrays.stream(values).forEach(csv::field);
        csv.end();
        return out.toString(StandardCharsets.UTF_8);
    }
}
