package ai.trainingstore.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * A database of its own on the suite's PostgreSQL server, for tests that migrate a schema step by
 * step or fill tables in ways the shared database must not see. Created on {@link #create()},
 * dropped (its connections closed by force) on {@link #drop()}.
 */
public final class ScratchDatabase {

    private static final String SERVER = Optional.ofNullable(System.getenv("QUARKUS_DATASOURCE_JDBC_URL"))
            .map(url -> url.substring(0, url.lastIndexOf('/') + 1))
            .orElse("jdbc:postgresql://localhost:5432/");
    private static final String USER = Optional.ofNullable(System.getenv("QUARKUS_DATASOURCE_USERNAME")).orElse("postgres");
    private static final String PASSWORD = Optional.ofNullable(System.getenv("QUARKUS_DATASOURCE_PASSWORD")).orElse("");

    private final String name;

    /** A scratch database named {@code <prefix>_<random>}; nothing is created yet. */
    public ScratchDatabase(String prefix) {
        this.name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    public String name() {
        return name;
    }

    public ScratchDatabase create() throws SQLException {
        onServer("CREATE DATABASE " + name);
        return this;
    }

    public void drop() throws SQLException {
        onServer("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(SERVER + name, USER, PASSWORD);
    }

    /** Flyway over the store's migrations, up to {@code target} (null: the latest). */
    public Flyway flyway(String target) {
        var configuration = Flyway.configure()
                .dataSource(SERVER + name, USER, PASSWORD)
                .schemas("training_data")
                .locations("classpath:db/migration");
        return (target == null ? configuration : configuration.target(target)).load();
    }

    private static void onServer(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(SERVER + "postgres", USER, PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
