package ai.trainingstore.search;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedding model: quantized all-MiniLM-L6-v2 (ONNX, 384 dimensions), shipped inside its jar.
 * Blocking CPU work: call it on a worker thread, never on the event loop. The model is loaded by the
 * first call (about a second, ~90 MB off-heap), so a store with search off never loads it.
 */
public final class Embedder {

    /** Stored beside each vector: a different model re-embeds every message. */
    public static final String MODEL = "all-minilm-l6-v2-q";
    public static final int DIMENSIONS = 384;

    /** Loaded when first used (class initialisation is lazy and thread-safe). */
    private static final class Loaded {
        // The direct executor keeps each call on the caller's worker thread: no extra threads, bounded CPU.
        static final AllMiniLmL6V2QuantizedEmbeddingModel MODEL = new AllMiniLmL6V2QuantizedEmbeddingModel(Runnable::run);
    }

    private Embedder() {
    }

    /** One unit-length vector per text, in order. */
    public static List<float[]> embed(List<String> texts) {
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        List<Embedding> embeddings = Loaded.MODEL.embedAll(segments).content();
        List<float[]> vectors = new ArrayList<>(embeddings.size());
        for (Embedding embedding : embeddings) {
            vectors.add(Vectors.unit(embedding.vector()));
        }
        return vectors;
    }

    public static float[] embed(String text) {
        return embed(List.of(text)).get(0);
    }
}
