package ai.trainingstore.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of docker/Dockerfile.jvm that the tests compare with the other files. */
record Dockerfile(String from, String user, List<Integer> exposed, Map<String, String> environment,
                  List<String> entrypoint, String workdir, List<List<String>> copies) {

    static final Path PATH = Path.of("docker", "Dockerfile.jvm");

    private static final Pattern ENV = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\\S+)");
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

    static Dockerfile read() {
        List<String> lines;
        try {
            lines = joinContinuations(Files.readAllLines(PATH));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + PATH, e);
        }
        String from = null;
        String user = null;
        String workdir = null;
        List<Integer> exposed = new ArrayList<>();
        Map<String, String> environment = new LinkedHashMap<>();
        List<String> entrypoint = List.of();
        List<List<String>> copies = new ArrayList<>();
        for (String line : lines) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String instruction = trimmed.split("\\s+", 2)[0].toUpperCase();
            String arguments = trimmed.substring(instruction.length()).trim();
            switch (instruction) {
                case "FROM" -> from = arguments.split("\\s+")[0];
                case "USER" -> user = arguments;
                case "WORKDIR" -> workdir = arguments;
                case "EXPOSE" -> {
                    for (String port : arguments.split("\\s+")) {
                        exposed.add(Integer.parseInt(port.replace("/tcp", "")));
                    }
                }
                case "ENV" -> {
                    Matcher pair = ENV.matcher(arguments);
                    while (pair.find()) {
                        environment.put(pair.group(1), unquote(pair.group(2)));
                    }
                }
                case "ENTRYPOINT" -> {
                    List<String> parts = new ArrayList<>();
                    Matcher quoted = QUOTED.matcher(arguments);
                    while (quoted.find()) {
                        parts.add(quoted.group(1));
                    }
                    entrypoint = parts;
                }
                case "COPY" -> copies.add(List.of(arguments.replaceAll("--\\S+\\s+", "").split("\\s+")));
                default -> {
                    // other instructions are not compared
                }
            }
        }
        return new Dockerfile(from, user, exposed, environment, entrypoint, workdir, copies);
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static List<String> joinContinuations(List<String> lines) {
        List<String> joined = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                joined.add(current.append(line).toString());
                current.setLength(0);
            }
        }
        return joined;
    }

    /** The value of -XX:MaxRAMPercentage in JAVA_OPTS_APPEND: the heap's share of the container's memory. */
    double maxRamPercentage() {
        Matcher flag = Pattern.compile("-XX:MaxRAMPercentage=([0-9.]+)").matcher(environment.getOrDefault("JAVA_OPTS_APPEND", ""));
        if (!flag.find()) {
            throw new AssertionError(PATH + " sets no -XX:MaxRAMPercentage in JAVA_OPTS_APPEND");
        }
        return Double.parseDouble(flag.group(1));
    }
}
