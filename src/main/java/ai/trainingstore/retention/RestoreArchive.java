package ai.trainingstore.retention;

import ai.trainingstore.kind.RecordKind;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;

/**
 * {@code bin/restore-archive}: puts archived rows back into their table, one transaction per file.
 * An archive is data and only data: each line is parsed as a JSON object here and sent to
 * {@code training_data.restore_archived} as a bind parameter (with the kind's field_versions
 * slots), and file names are only opened and printed, so nothing an archive or its name holds ever
 * reaches an SQL or psql parser. A file with
 * a line that is not a JSON object is refused whole (nothing of it restored).
 *
 * <p>Connects to {@code DATABASE_URL} ({@code postgresql://user:password@host:5432/db?sslmode=...})
 * when set, else as psql does from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (over TCP).
 */
public final class RestoreArchive {

    /** Lines sent to PostgreSQL in one call, bounded by characters so a file of large rows streams. */
    static final long CHARS_PER_CALL = 8L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private RestoreArchive() {
    }

    /** A file the restore refuses: what is wrong, for the person running it. */
    static final class RefusedException extends Exception {
        RefusedException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        String kinds = String.join(", ", Arrays.stream(RecordKind.values()).map(RecordKind::id).toList());
        if (args.length < 2) {
            System.err.println("usage: restore-archive <" + String.join("|", Arrays.stream(RecordKind.values())
                    .map(RecordKind::id).toList()) + "> <file.jsonl.gz>...");
            System.exit(2);
        }
        if (RecordKind.byId(args[0]).isEmpty()) {
            System.err.println("unknown kind '" + args[0] + "': use " + kinds);
            System.exit(2);
        }
        try (Connection connection = connect(System.getenv())) {
            for (String file : Arrays.asList(args).subList(1, args.length)) {
                long restored = restore(connection, args[0], Path.of(file));
                System.out.println(file + ": " + restored + " rows restored");
            }
        } catch (RefusedException | IOException | SQLException e) {
            System.err.println("restore-archive: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Restores one file in one transaction; answers the rows inserted (rows stored already are kept as they are). */
    static long restore(Connection connection, String kind, Path file) throws RefusedException, IOException, SQLException {
        connection.setAutoCommit(false);
        try (BufferedReader lines = reader(file);
             PreparedStatement restore = connection.prepareStatement(
                     "SELECT training_data.restore_archived(?, ?::jsonb[], ?)")) {
            long restored = 0;
            List<String> batch = new ArrayList<>();
            long chars = 0;
            int number = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                number++;
                requireJsonObject(file, number, line);
                batch.add(line);
                chars += line.length();
                if (chars >= CHARS_PER_CALL) {
                    restored += call(restore, kind, batch);
                    batch.clear();
                    chars = 0;
                }
            }
            restored += call(restore, kind, batch);
            connection.commit();
            return restored;
        } catch (RefusedException | IOException | SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        }
    }

    private static long call(PreparedStatement restore, String kind, List<String> lines) throws SQLException {
        if (lines.isEmpty()) {
            return 0;
        }
        restore.setString(1, kind);
        restore.setArray(2, restore.getConnection().createArrayOf("text", lines.toArray()));
        restore.setObject(3, slots(kind), Types.INTEGER);
        try (ResultSet result = restore.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    /**
     * The field_versions slots a restored row of a merged kind gets (one per named field, as the
     * store writes them); none for an insert-once kind. From the kind registry, so a new field needs
     * no change here or in the SQL function.
     */
    static Integer slots(String kind) {
        RecordKind recordKind = RecordKind.byId(kind)
                .orElseThrow(() -> new IllegalArgumentException("unknown kind " + kind));
        return recordKind.merges() ? recordKind.fields().size() : null;
    }

    private static void requireJsonObject(Path file, int number, String line) throws RefusedException {
        try {
            if (JSON.readTree(line) instanceof com.fasterxml.jackson.databind.node.ObjectNode) {
                return;
            }
        } catch (JsonProcessingException e) {
            // refused below
        }
        throw new RefusedException(file + ": line " + number + " is not a JSON object, so this is not an archive"
                + " retention wrote (or it was altered); nothing of this file was restored.");
    }

    /** The file's lines, gunzipped; bytes that are not UTF-8 fail the file rather than being replaced. */
    private static BufferedReader reader(Path file) throws IOException {
        return new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file), 64 * 1024),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)));
    }

    /** A JDBC connection from DATABASE_URL or psql's PG* variables; user and password go as properties, never in SQL. */
    static Connection connect(Map<String, String> environment) throws SQLException {
        Properties properties = new Properties();
        String url;
        String databaseUrl = environment.getOrDefault("DATABASE_URL", "");
        if (!databaseUrl.isEmpty()) {
            URI uri = URI.create(databaseUrl);
            if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
                throw new SQLException("DATABASE_URL must look like postgresql://user:password@host:5432/db");
            }
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                String[] parts = userInfo.split(":", 2);
                properties.setProperty("user", decode(parts[0]));
                if (parts.length == 2) {
                    properties.setProperty("password", decode(parts[1]));
                }
            }
            url = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                    + (uri.getRawPath() == null ? "/" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        } else {
            String user = environment.getOrDefault("PGUSER", System.getProperty("user.name"));
            properties.setProperty("user", user);
            if (environment.containsKey("PGPASSWORD")) {
                properties.setProperty("password", environment.get("PGPASSWORD"));
            }
            String host = environment.getOrDefault("PGHOST", "localhost");
            url = "jdbc:postgresql://" + (host.startsWith("/") ? "localhost" : host) + ":"
                    + environment.getOrDefault("PGPORT", "5432") + "/"
                    + java.net.URLEncoder.encode(environment.getOrDefault("PGDATABASE", user), StandardCharsets.UTF_8);
        }
        properties.setProperty("ApplicationName", "restore-archive");
        return DriverManager.getConnection(url, properties);
    }

    private static String decode(String part) {
        return URLDecoder.decode(part, StandardCharsets.UTF_8);
    }
}
