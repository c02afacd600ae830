package ai.trainingstore.kind;

/**
 * One column of a kind's table. The named fields of a kind (what agents send) come first, in slot
 * order, then the columns every table shares, then the merge state of merged kinds.
 *
 * @param required for a field: every record must carry it, non-null
 * @param mayBeEmpty for a required text field: empty text counts as carried (a kind rule decides)
 */
public record Column(String name, ColumnType type, Role role, boolean required, boolean mayBeEmpty) {

    /** What a column holds, which says where its value comes from and whether it is written or exported. */
    public enum Role {
        /** A named field of the kind, sent by agents. */
        FIELD(true, true),
        /** Every field of the entry the kind does not name. */
        ATTRIBUTES(true, true),
        OCCURRED_AT(true, true),
        /** Merged kinds: the earliest occurred_at folded in. */
        FIRST_OCCURRED_AT(true, true),
        /** Set by PostgreSQL on insert and update. */
        INGESTED_AT(false, true),
        STREAM_ENTRY_ID(true, true),
        /** Merge state: internal, never exported. */
        VERSION(true, false),
        FIELD_VERSIONS(true, false),
        ATTRIBUTE_VERSIONS(true, false);

        private final boolean written;
        private final boolean exported;

        Role(boolean written, boolean exported) {
            this.written = written;
            this.exported = exported;
        }

        /** Whether the batch statement writes it. */
        public boolean written() {
            return written;
        }

        /** Whether row exports carry it. */
        public boolean exported() {
            return exported;
        }
    }

    static Column required(String name) {
        return field(name, ColumnType.TEXT, true, false);
    }

    /** Required, but may be empty text (message content; the kind's rule decides when). */
    static Column requiredMayBeEmpty(String name) {
        return field(name, ColumnType.TEXT, true, true);
    }

    static Column text(String name) {
        return field(name, ColumnType.TEXT, false, false);
    }

    static Column json(String name) {
        return field(name, ColumnType.JSON, false, false);
    }

    static Column jsonArray(String name) {
        return field(name, ColumnType.JSON_ARRAY, false, false);
    }

    static Column integer(String name) {
        return field(name, ColumnType.INTEGER, false, false);
    }

    static Column number(String name) {
        return field(name, ColumnType.NUMBER, false, false);
    }

    static Column shared(String name, ColumnType type, Role role) {
        return new Column(name, type, role, false, false);
    }

    private static Column field(String name, ColumnType type, boolean required, boolean mayBeEmpty) {
        return new Column(name, type, Role.FIELD, required, mayBeEmpty);
    }

    /** Text columns of a kind's own fields: the ones exports filter on. */
    public boolean isFilterable() {
        return role == Role.FIELD && type == ColumnType.TEXT;
    }
}
