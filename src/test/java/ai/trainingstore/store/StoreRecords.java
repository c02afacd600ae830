package ai.trainingstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.record.EntryParser;
import ai.trainingstore.record.ParsedEntry;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Store records for the unit tests, decoded from entries as the consumer decodes them. */
final class StoreRecords {

    static final String STREAM = "training:test";
    private static final EntryParser PARSER = new EntryParser(1 << 20);

    private StoreRecords() {
    }

    /** The store record of one flat entry (field/value pairs) with that entry id. */
    static StoreRecord flat(RecordKind kind, String entryId, String... namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return of(kind, entryId, fields);
    }

    /** The store record of one document entry with that entry id. */
    static StoreRecord document(RecordKind kind, String entryId, String json) {
        return of(kind, entryId, Map.of(EntryParser.DATA_FIELD, json));
    }

    private static StoreRecord of(RecordKind kind, String entryId, Map<String, String> fields) {
        ParsedEntry parsed = PARSER.parse(kind, STREAM, entryId, fields);
        assertThat(parsed.rejection()).as("rejection of %s", fields).isNull();
        return StoreRecord.of(parsed.record());
    }

    static Object value(StoreRecord record, String field) {
        return record.values()[record.kind().indexOf(field)];
    }

    static String version(StoreRecord record, String field) {
        return record.versions()[record.kind().indexOf(field)];
    }

    /** Everything a record holds, comparable with equals (arrays as lists). */
    static List<Object> contents(StoreRecord record) {
        return List.of(record.kind(), record.identity(), Arrays.asList(record.values()),
                Arrays.asList(record.versions()), record.attributes(), record.attributeVersions(),
                record.occurredAt(), record.firstOccurredAt(), record.streamEntryId(), record.version());
    }
}
