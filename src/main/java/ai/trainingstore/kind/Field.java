package ai.trainingstore.kind;

/** One named field of a record kind; its name is also its column name. */
public record Field(String name, FieldType type, boolean required) {

    static Field required(String name) {
        return new Field(name, FieldType.TEXT, true);
    }

    static Field text(String name) {
        return new Field(name, FieldType.TEXT, false);
    }

    static Field json(String name) {
        return new Field(name, FieldType.JSON, false);
    }

    static Field jsonArray(String name) {
        return new Field(name, FieldType.JSON_ARRAY, false);
    }

    static Field integer(String name) {
        return new Field(name, FieldType.INTEGER, false);
    }
}
