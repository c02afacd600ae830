package ai.trainingstore.kind;

import java.util.Optional;

/** A rule of one kind beyond the types and required fields of its columns. */
public interface RecordRule {

    /** The values of one decoded record, by field name; null when absent or null. */
    interface Values {
        Object get(String field);
    }

    /** Why the record breaks the rule, or empty when it keeps it. */
    Optional<Rejection> check(Values record);

    RecordRule NONE = record -> Optional.empty();
}
