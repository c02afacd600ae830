package ai.trainingstore.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PrometheusRule's spec is a valid Prometheus rules file (`promtool check rules`), and each
 * alert fires when it should and stays quiet when it should (`promtool test rules` with
 * src/test/resources/monitoring/alert-rules.test.yaml). promtool comes with Debian's
 * `prometheus` package, which .ci/run installs; elsewhere the test is skipped without it.
 */
class AlertRulesTest {

    static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    static final Path UNIT_TESTS = Path.of("src", "test", "resources", "monitoring", "alert-rules.test.yaml");

    @TempDir
    Path work;

    @Test
    void theRulesPassPromtoolsCheck() throws Exception {
        Path rules = work.resolve("rules.yaml");
        MonitoringFiles.YAML.writeValue(rules.toFile(), MonitoringFiles.rulesFile());
        String output = promtool("check", "rules", rules.toString());
        assertThat(output).contains("SUCCESS");
    }

    @Test
    void theAlertsFireAndStayQuietAsTheirUnitTestsSay() throws Exception {
        MonitoringFiles.YAML.writeValue(work.resolve("rules.yaml").toFile(), MonitoringFiles.rulesFileWithoutAnnotations());
        Path tests = Files.copy(UNIT_TESTS, work.resolve(UNIT_TESTS.getFileName()));
        String output = promtool("test", "rules", tests.toString());
        assertThat(output).contains("SUCCESS");
    }

    @Test
    void everyAlertHasASeverityASummaryAndADescription() {
        List<String> alerts = new java.util.ArrayList<>();
        MonitoringFiles.rulesFile().path("groups").forEach(group -> group.path("rules").forEach(rule -> {
            String alert = rule.path("alert").asText();
            alerts.add(alert);
            assertThat(rule.at("/labels/severity").asText()).as(alert + " severity").isIn("critical", "warning", "info");
            assertThat(rule.at("/annotations/summary").asText()).as(alert + " summary").isNotBlank();
            assertThat(rule.at("/annotations/description").asText()).as(alert + " description").isNotBlank();
        }));
        assertThat(alerts).contains("TrainingStoreLagGrowing", "TrainingStoreDeadLetters", "TrainingStoreConsumerBackOff",
                "TrainingStoreLivenessFailing", "TrainingStoreExportsRefused");
        String unitTests = read(UNIT_TESTS);
        assertThat(alerts).as("every alert has a unit test").allMatch(alert -> unitTests.contains("alertname: " + alert));
    }

    private static String promtool(String... arguments) throws IOException, InterruptedException {
        boolean installed = Files.isExecutable(PROMTOOL);
        if (System.getenv("CI") != null) {
            assertThat(installed).as("CI must have promtool (.ci/run installs Debian's prometheus)").isTrue();
        }
        assumeTrue(installed, "promtool is not installed (apt-get install prometheus); skipping");
        List<String> command = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ":\n" + output).isZero();
        return output;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
