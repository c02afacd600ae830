package ai.trainingstore.export.parquet;

import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A Parquet "file" that is the response body: written once, front to back, never seeked (Parquet
 * needs neither: the footer that indexes the row groups comes last).
 */
final class ResponseFile implements OutputFile {

    private final ChunkedOutput output;

    ResponseFile(ChunkedOutput output) {
        this.output = output;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
        return output;
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
        return output;
    }

    /** No HDFS blocks to align row groups to, so no padding is written. */
    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return 0;
    }

    @Override
    public String getPath() {
        return "response";
    }
}
