package ai.trainingstore.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every YAML document under {@code k8s/}, read as the Kubernetes API would: the kinds Kubernetes
 * defines as fabric8 model objects (so a misspelt field is caught, see {@link #unknownFields}),
 * the others (kustomize, KEDA) as trees.
 */
final class Manifests {

    static final Path ROOT = Path.of("k8s");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Kubernetes kinds this project uses, with their apiVersion and model class. */
    static final Map<String, Model> MODELS = Map.of(
            "Deployment", new Model("apps/v1", Deployment.class),
            "Service", new Model("v1", Service.class),
            "ConfigMap", new Model("v1", ConfigMap.class),
            "Secret", new Model("v1", Secret.class),
            "PersistentVolumeClaim", new Model("v1", PersistentVolumeClaim.class),
            "PodDisruptionBudget", new Model("policy/v1", PodDisruptionBudget.class),
            "NetworkPolicy", new Model("networking.k8s.io/v1", NetworkPolicy.class),
            "CronJob", new Model("batch/v1", CronJob.class));

    record Model(String apiVersion, Class<?> type) {
    }

    /** One YAML document of one file. */
    record Document(Path file, int index, JsonNode tree) {
        String kind() {
            return tree.path("kind").asText();
        }

        String name() {
            return tree.at("/metadata/name").asText();
        }

        <T> T as(Class<T> type) {
            try {
                return YAML.treeToValue(tree, type);
            } catch (IOException e) {
                throw new AssertionError(this + " does not read as " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return file + (index > 0 ? " (document " + (index + 1) + ")" : "") + " " + kind() + "/" + name();
        }
    }

    private Manifests() {
    }

    static List<Path> yamlFiles() {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> file.toString().endsWith(".yaml") || file.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list " + ROOT, e);
        }
    }

    static List<Document> read(Path file) {
        List<Document> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> iterator = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            int index = 0;
            while (iterator.hasNextValue()) {
                JsonNode tree = iterator.nextValue();
                if (tree != null && !tree.isNull() && !tree.isMissingNode()) {
                    documents.add(new Document(file, index, tree));
                }
                index++;
            }
        } catch (IOException e) {
            throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }

    /** Every document of every file under k8s/. */
    static List<Document> all() {
        return yamlFiles().stream().flatMap(file -> read(file).stream()).toList();
    }

    /** The documents of the files under one directory (not below it). */
    static List<Document> in(Path directory) {
        return all().stream().filter(document -> document.file().getParent().equals(directory)).toList();
    }

    static Document one(List<Document> documents, String kind, String name) {
        List<Document> found = documents.stream()
                .filter(document -> document.kind().equals(kind) && document.name().equals(name)).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + "/" + name + ", found " + found.size());
        }
        return found.get(0);
    }

    /**
     * Fields a manifest sets that the Kubernetes model does not know (a typo such as
     * {@code readinesProbe}, or a field at the wrong level): the fabric8 model keeps them aside as
     * "additional properties" instead of failing, so they are looked for in the whole object.
     */
    static List<String> unknownFields(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, model.getClass().getSimpleName(), found, 0);
        return found;
    }

    private static void walk(Object value, String path, List<String> found, int depth) {
        if (value == null || depth > 40) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, depth + 1);
            }
            return;
        }
        if (value instanceof Map<?, ?> entries) {
            entries.forEach((key, item) -> walk(item, path + "." + key, found, depth + 1));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(key -> found.add(path + "." + key));
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            walk(child, path + "." + field, found, depth + 1);
        }
    }
}
