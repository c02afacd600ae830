package ai.trainingstore.replica;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The store with a read replica: a database of its own on the machine's PostgreSQL (its Flyway
 * history is not the shared one's) and the streaming replica of that server on port 5433
 * ({@link ReplicaServices}, {@code bin/local-replica}). Probes every second; a lag over 3 s is too much.
 */
public class ReplicaProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "quarkus.datasource.reactive.url", "postgresql://localhost:5432/" + ReplicaServices.DATABASE,
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://localhost:5432/" + ReplicaServices.DATABASE,
                "training-store.read.url", "postgresql://localhost:" + ReplicaServices.PORT + "/" + ReplicaServices.DATABASE,
                "training-store.read.probe-interval", "1s",
                "training-store.read.max-lag", "3s",
                // Small fetches: a paused client holds most of an export's rows in the replica's cursor.
                "training-store.memory.fetch-bytes", "65536");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(ReplicaServices.class));
    }
}
