package ai.trainingstore.retention;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Runs {@code bin/restore-archive} as a user would, against the test database, with the test's own
 * classpath (the packaged service does not exist yet during {@code mvn test}).
 */
final class RestoreCommand {

    record Result(int exitCode, String output) {
    }

    private RestoreCommand() {
    }

    static Result run(String kind, List<Path> files) {
        String jdbc = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        List<String> command = new ArrayList<>(List.of("bin/restore-archive", kind));
        files.forEach(file -> command.add(file.toString()));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("DATABASE_URL", jdbc.replaceFirst("^jdbc:postgresql://", "postgresql://postgres@"));
            builder.environment().put("TRAINING_STORE_CLASSPATH", System.getProperty("java.class.path"));
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("bin/restore-archive did not finish: " + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
