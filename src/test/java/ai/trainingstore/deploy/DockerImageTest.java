package ai.trainingstore.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The two image builds, docker/Dockerfile.jvm (with a Docker engine) and the Jib profile of
 * pom.xml (without one), make the same image: Quarkus' fast-jar under /deployments, a non-root
 * user, the HTTP port, JVM options that follow the container's memory limit.
 */
class DockerImageTest {

    private static final List<String> FAST_JAR = List.of("lib", "quarkus", "app");

    private final Dockerfile dockerfile = Dockerfile.read();
    private final Pom pom = Pom.read();
    private final ServiceSettings settings = ServiceSettings.withEnvironment(Map.of());

    @Test
    void theDockerfileCopiesTheFastJarAndRunsItAsANonRootUser() {
        Map<String, String> copies = new LinkedHashMap<>();
        dockerfile.copies().forEach(copy -> copies.put(copy.get(0), copy.get(1)));
        for (String directory : FAST_JAR) {
            assertThat(copies).containsEntry("target/quarkus-app/" + directory + "/", "/deployments/" + directory + "/");
        }
        assertThat(copies).containsEntry("target/quarkus-app/*.jar", "/deployments/");
        assertThat(dockerfile.user()).as("USER").matches("\\d+");
        assertThat(Integer.parseInt(dockerfile.user())).as("USER is not root").isPositive();
        assertThat(dockerfile.exposed()).containsExactly(settings.httpPort());
        assertThat(dockerfile.environment()).containsEntry("JAVA_APP_JAR", "/deployments/quarkus-run.jar");
        assertThat(dockerfile.entrypoint()).containsExactly("/opt/jboss/container/java/run/run-java.sh");
    }

    @Test
    void theJvmSizesItselfFromTheContainersMemoryLimit() {
        String options = dockerfile.environment().get("JAVA_OPTS_APPEND");
        assertThat(options).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError")
                .as("a fixed heap ignores the container's limit").doesNotContain("-Xmx", "-Xms");
        assertThat(dockerfile.maxRamPercentage()).as("heap share, leaving room for direct buffers and metaspace")
                .isBetween(40.0, 75.0);
    }

    @Test
    void theJibProfileBuildsTheSameImageAsTheDockerfileWithoutADaemon() {
        assertThat(pom.texts("/project/build/plugins/plugin/artifactId")).as("Jib stays out of the default build (CI)")
                .doesNotContain("jib-maven-plugin");
        assertThat(pom.jibList("executions/execution/goals/goal")).containsExactly("buildTar");
        assertThat(pom.jib("configuration/from/image")).isEqualTo(dockerfile.from());
        assertThat(pom.jib("configuration/container/user")).isEqualTo(dockerfile.user());
        assertThat(pom.jib("configuration/container/workingDirectory")).isEqualTo(dockerfile.workdir());
        assertThat(pom.jibList("configuration/container/ports/port")).containsExactly(Integer.toString(settings.httpPort()));
        assertThat(pom.jibList("configuration/container/entrypoint/arg")).isEqualTo(dockerfile.entrypoint());
        for (String variable : List.of("JAVA_APP_JAR", "JAVA_OPTS_APPEND", "LANGUAGE")) {
            assertThat(pom.jib("configuration/container/environment/" + variable)).as(variable)
                    .isEqualTo(dockerfile.environment().get(variable));
        }
        Map<String, String> layers = new LinkedHashMap<>();
        List<String> from = pom.jibList("configuration/extraDirectories/paths/path/from");
        List<String> into = pom.jibList("configuration/extraDirectories/paths/path/into");
        for (int i = 0; i < from.size(); i++) {
            layers.put(from.get(i), into.get(i));
        }
        for (String directory : FAST_JAR) {
            assertThat(layers).containsEntry("target/quarkus-app/" + directory, "/deployments/" + directory);
        }
        assertThat(layers).containsEntry("target/quarkus-app", "/deployments");
        assertThat(pom.jibList("configuration/extraDirectories/paths/path/includes")).containsExactly("*.jar");
        assertThat(pom.jibList("configuration/pluginExtensions/pluginExtension/configuration/filters/filter/glob"))
                .as("Jib's own /app layers are dropped: the fast-jar is the application").containsExactly("/app/**");
    }

    @Test
    void theBuildContextSendsOnlyThePackagedApplication() throws IOException {
        Path ignore = Path.of(Dockerfile.PATH + ".dockerignore");
        assertThat(Files.readAllLines(ignore)).contains("*", "!target/quarkus-app/");
    }
}
