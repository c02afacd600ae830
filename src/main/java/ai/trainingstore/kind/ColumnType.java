package ai.trainingstore.kind;

/** How a column's values are validated, stored and bound in the batch statement. */
public enum ColumnType {
    TEXT("text", "text[]"),
    /** Any JSON value; bound as its text and cast to jsonb. */
    JSON("jsonb", "text[]"),
    /** A JSON array; bound as its text and cast to jsonb. */
    JSON_ARRAY("jsonb", "text[]"),
    INTEGER("bigint", "bigint[]"),
    /** A finite number (N in the contract): JSON number or text holding one, stored as a double. */
    NUMBER("double precision", "float8[]"),
    TIMESTAMP("timestamptz", "timestamptz[]"),
    /** The merge state's per-field versions: one comma-joined text per row in the batch statement. */
    VERSIONS("text[]", "text[]");

    private final String sqlType;
    private final String batchArrayType;

    ColumnType(String sqlType, String batchArrayType) {
        this.sqlType = sqlType;
        this.batchArrayType = batchArrayType;
    }

    /** The column's type in the table. */
    public String sqlType() {
        return sqlType;
    }

    /** The type of the array parameter that carries a batch of this column's values. */
    public String batchArrayType() {
        return batchArrayType;
    }

    public boolean isJson() {
        return this == JSON || this == JSON_ARRAY;
    }
}
