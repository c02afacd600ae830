package ai.trainingstore.search;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;

/** Vector arithmetic and the stored form (little-endian float32, as bytea). */
public final class Vectors {

    private Vectors() {
    }

    /** The vector scaled to length 1 (so cosine similarity is a dot product); a zero vector stays zero. */
    public static float[] unit(float[] vector) {
        double norm = 0;
        for (float x : vector) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        float[] unit = new float[vector.length];
        if (norm > 0) {
            for (int i = 0; i < vector.length; i++) {
                unit[i] = (float) (vector[i] / norm);
            }
        }
        return unit;
    }

    public static float dot(float[] a, float[] b) {
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** The unit-length mean of the vectors (the direction of a conversation as a whole). */
    public static float[] meanUnit(Collection<float[]> vectors) {
        float[] sum = new float[Embedder.DIMENSIONS];
        for (float[] vector : vectors) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += vector[i];
            }
        }
        return unit(sum);
    }

    public static byte[] toBytes(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(vector);
        return buffer.array();
    }

    public static float[] fromBytes(byte[] bytes) {
        float[] vector = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}
