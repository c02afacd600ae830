import java.nio.file.Path;
import java.util.*;
import jdk.jfr.consumer.*;

/**
 * Summary of an ingest flight recording (bench/profile_ingest.py): CPU samples by area and top
 * frames, allocation a row by area, by first application frame and by class, over the ingest window.
 * Usage: java bench/JfrSummary.java FILE.jfr ROWS
 */
public class JfrSummary {
    static final String[][] BUCKETS = {
        {"redis reply decode (vert.x RESP parser, Response objects)", "io.vertx.redis.client.impl"},
        {"EntryReader (reply -> field bytes)", "ai.trainingstore.stream.EntryReader"},
        {"EntryText / strict UTF-8", "ai.trainingstore.record.EntryText", "ai.trainingstore.text.Utf8"},
        {"EntryParser (validation, JSON)", "ai.trainingstore.record.EntryParser", "ai.trainingstore.record.RecordRead", "ai.trainingstore.record.FlatEntry"},
        {"StoreRecord / versions / fold", "ai.trainingstore.store.StoreRecord", "ai.trainingstore.store.Fold", "ai.trainingstore.store.Versions"},
        {"RecordWriter.write (sort etc)", "ai.trainingstore.store.RecordWriter.write"},
        {"BinaryCopy.encode", "ai.trainingstore.store.BinaryCopy"},
        {"pgjdbc COPY send", "org.postgresql"},
        {"vertx pg client", "io.vertx.pgclient", "io.vertx.sqlclient"},
        {"StreamConsumer (other)", "ai.trainingstore.stream"},
        {"netty I/O", "io.netty"},
        {"metrics", "io.micrometer"},
    };
    public static void main(String[] a) throws Exception {
        long rows = Long.parseLong(a[1]);
        Map<String, Integer> self = new HashMap<>(), bucket = new HashMap<>();
        Map<String, Long> allocTop = new HashMap<>(), allocClass = new HashMap<>(), allocBucket = new HashMap<>();
        int samples = 0; long alloc = 0;
        List<RecordedEvent> all = RecordingFile.readAllEvents(Path.of(a[0]));
        // The ingest window: from the first sample in the entry parser to the last (start-up left out).
        java.time.Instant from = null, to = null;
        for (RecordedEvent e : all) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) continue;
            boolean ingest = e.getStackTrace().getFrames().stream().anyMatch(f -> name(f).startsWith("ai.trainingstore.stream.StreamConsumer"));
            if (ingest) { if (from == null || e.getStartTime().isBefore(from)) from = e.getStartTime(); if (to == null || e.getStartTime().isAfter(to)) to = e.getStartTime(); }
        }
        System.out.printf("ingest window: %s .. %s (%.1f s)%n", from, to, java.time.Duration.between(from, to).toMillis() / 1000.0);
        for (RecordedEvent e : all) {
            if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) continue;
            String type = e.getEventType().getName();
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) continue;
            if (type.equals("jdk.ExecutionSample")) {
                samples++;
                self.merge(name(st.getFrames().get(0)), 1, Integer::sum);
                bucket.merge(bucketOf(st), 1, Integer::sum);
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                long w = e.getLong("weight");
                alloc += w;
                allocTop.merge(firstOwn(st), w, Long::sum);
                allocClass.merge(e.getClass("objectClass").getName(), w, Long::sum);
                allocBucket.merge(bucketOf(st), w, Long::sum);
            }
        }
        System.out.printf("CPU samples: %d (ingest window only)%n", samples);
        print("CPU by area (first matching frame from the top)", bucket, samples, 14);
        print("CPU top self frames", self, samples, 18);
        System.out.printf("%nAllocation: %,d bytes sampled-weight total, %,.0f bytes a row over %,d rows%n", alloc, (double) alloc / rows, rows);
        printL("allocation by area", allocBucket, alloc, rows, 14);
        printL("allocation by first own/app frame", allocTop, alloc, rows, 14);
        printL("allocation by class", allocClass, alloc, rows, 25);
    }
    static String name(RecordedFrame f) { return f.getMethod().getType().getName() + "." + f.getMethod().getName(); }
    static String bucketOf(RecordedStackTrace st) {
        for (RecordedFrame f : st.getFrames()) {
            String n = name(f);
            for (String[] b : BUCKETS) for (int i = 1; i < b.length; i++) if (n.startsWith(b[i])) return b[0];
        }
        return "other (JIT, GC, start-up, JDK)";
    }
    static String firstOwn(RecordedStackTrace st) {
        for (RecordedFrame f : st.getFrames()) { String n = name(f); if (n.startsWith("ai.trainingstore")) return n; }
        for (RecordedFrame f : st.getFrames()) { String n = name(f); if (!n.startsWith("java.") && !n.startsWith("jdk.")) return n; }
        return name(st.getFrames().get(0));
    }
    static void print(String t, Map<String, Integer> m, int total, int k) {
        System.out.println("\n" + t + ":");
        m.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).limit(k)
            .forEach(x -> System.out.printf("  %5.1f%%  %s%n", 100.0 * x.getValue() / total, x.getKey()));
    }
    static void printL(String t, Map<String, Long> m, long total, long rows, int k) {
        System.out.println("\n" + t + ":");
        m.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(k)
            .forEach(x -> System.out.printf("  %5.1f%%  %,7.0f B/row  %s%n", 100.0 * x.getValue() / total, (double) x.getValue() / rows, x.getKey()));
    }
}
