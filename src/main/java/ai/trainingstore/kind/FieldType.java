package ai.trainingstore.kind;

/** How a field of a record is validated and which PostgreSQL type its column has. */
public enum FieldType {
    TEXT("text"),
    /** Any JSON value; stored as jsonb. */
    JSON("jsonb"),
    /** A JSON array; stored as jsonb. */
    JSON_ARRAY("jsonb"),
    INTEGER("bigint"),
    TIMESTAMP("timestamptz");

    private final String sqlType;

    FieldType(String sqlType) {
        this.sqlType = sqlType;
    }

    public String sqlType() {
        return sqlType;
    }

    public boolean isJson() {
        return this == JSON || this == JSON_ARRAY;
    }
}
