package ai.trainingstore.export.parquet;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Page compression without Hadoop: parquet-hadoop's own CodecFactory loads Hadoop's codec classes
 * (not on the classpath), so pages are compressed here with zstd-jni and snappy-java directly, the
 * libraries Hadoop's codecs call underneath. Each call compresses one page into a new array, so no
 * native context outlives a call and an abandoned export leaves nothing to free.
 */
final class Codecs implements CompressionCodecFactory {

    private final BytesInputCompressor compressor;

    Codecs(CompressionCodecName codec, int zstdLevel) {
        this.compressor = switch (codec) {
            case ZSTD -> new Compressor(codec, page -> Zstd.compress(page, zstdLevel));
            case SNAPPY -> new Compressor(codec, Snappy::compress);
            case UNCOMPRESSED -> new Compressor(codec, page -> page);
            default -> throw new IllegalArgumentException("no compressor for " + codec);
        };
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        if (codec != compressor.getCodecName()) {
            throw new IllegalArgumentException("configured for " + compressor.getCodecName() + ", asked for " + codec);
        }
        return compressor;
    }

    /** Exports only write. */
    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        throw new UnsupportedOperationException("Parquet exports do not read");
    }

    @Override
    public void release() {
        // nothing held between calls
    }

    private interface PageCodec {
        byte[] compress(byte[] page) throws IOException;
    }

    private record Compressor(CompressionCodecName codec, PageCodec pages) implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput page) throws IOException {
            return BytesInput.from(pages.compress(page.toByteArray()));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return codec;
        }

        @Override
        public void release() {
            // nothing held between calls
        }
    }
}
