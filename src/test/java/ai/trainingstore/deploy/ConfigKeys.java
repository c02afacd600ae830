package ai.trainingstore.deploy;

import ai.trainingstore.config.StoreConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The configuration keys the service really has, derived from the configuration mapping
 * interfaces by reflection (so a renamed or removed key is noticed): the store's own
 * {@link StoreConfig} (prefix {@code training-store}, {@code @WithName} honoured), Quarkus'
 * connection settings that the contract names (Redis client, datasource, reactive and JDBC pools,
 * HTTP) and every key of {@code application.properties}. Deployments set them as environment
 * variables, named as SmallRye Config maps them: upper case, every other character {@code _}.
 */
final class ConfigKeys {

    /** Quarkus configuration roots of the connections (CONTRACT.md section 5), by key prefix. */
    private static final Map<String, String> QUARKUS_ROOTS = Map.of(
            "quarkus.redis", "io.quarkus.redis.runtime.client.config.RedisClientConfig",
            "quarkus.datasource", "io.quarkus.datasource.runtime.DataSourceRuntimeConfig",
            "quarkus.datasource.reactive", "io.quarkus.reactive.datasource.runtime.DataSourceReactiveRuntimeConfig",
            "quarkus.datasource.jdbc", "io.quarkus.agroal.runtime.DataSourceJdbcRuntimeConfig",
            "quarkus.http", "io.quarkus.vertx.http.runtime.VertxHttpConfig");

    private ConfigKeys() {
    }

    /** Every key of the store's own mapping, with its {@code @WithDefault} (null when none). */
    static Map<String, String> storeKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        collect(StoreConfig.class.getAnnotation(ConfigMapping.class).prefix(), StoreConfig.class, keys, 0);
        return keys;
    }

    /** Every key the deployment may set: the store's, the Quarkus connection roots', application.properties'. */
    static Set<String> knownKeys() {
        Set<String> keys = new TreeSet<>(storeKeys().keySet());
        QUARKUS_ROOTS.forEach((prefix, type) -> keys.addAll(quarkusKeys(prefix, type).keySet()));
        keys.addAll(ServiceSettings.properties().stringPropertyNames().stream()
                .filter(key -> !key.startsWith("%"))
                .toList());
        return keys;
    }

    /** The environment variable names of {@link #knownKeys()}. */
    static Set<String> knownEnvironmentNames() {
        Set<String> names = new TreeSet<>();
        knownKeys().forEach(key -> names.add(environmentName(key)));
        return names;
    }

    /** SmallRye Config's environment variable for a key: {@code training-store.batch.size} is {@code TRAINING_STORE_BATCH_SIZE}. */
    static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** The keys of one Quarkus configuration interface under a prefix, with their defaults. */
    static Map<String, String> quarkusKeys(String prefix, String type) {
        try {
            Map<String, String> keys = new LinkedHashMap<>();
            collect(prefix, Class.forName(type), keys, 0);
            return keys;
        } catch (ClassNotFoundException e) {
            throw new AssertionError("Quarkus configuration interface " + type + " is gone: update ConfigKeys", e);
        }
    }

    private static void collect(String prefix, Class<?> type, Map<String, String> keys, int depth) {
        if (depth > 6) {
            return;
        }
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()
                    || method.getDeclaringClass() == Object.class) {
                continue;
            }
            String key = method.isAnnotationPresent(WithParentName.class) ? prefix
                    : prefix + "." + name(method);
            Optional<Class<?>> group = group(method.getGenericReturnType());
            if (group.isPresent()) {
                collect(key, group.get(), keys, depth + 1);
            } else if (!Map.class.isAssignableFrom(method.getReturnType())) {
                WithDefault defaultValue = method.getAnnotation(WithDefault.class);
                keys.put(key, defaultValue == null ? null : defaultValue.value());
            }
        }
    }

    private static String name(Method method) {
        WithName name = method.getAnnotation(WithName.class);
        return name != null ? name.value() : kebab(method.getName());
    }

    /** SmallRye's default naming: {@code maxEntryBytes} is {@code max-entry-bytes}. */
    static String kebab(String name) {
        StringBuilder out = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The nested group interface a method returns (directly or in an Optional), if any. */
    private static Optional<Class<?>> group(Type type) {
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == Optional.class) {
            return group(parameterized.getActualTypeArguments()[0]);
        }
        if (type instanceof Class<?> candidate && candidate.isInterface() && !candidate.getName().startsWith("java.")) {
            return Optional.of(candidate);
        }
        return Optional.empty();
    }
}
