package ai.trainingstore.export.parquet;

import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.kind.Column;
import ai.trainingstore.redact.Redaction;
import io.vertx.mutiny.sqlclient.Row;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/**
 * One Parquet export as a stream of bytes: rows go in chunk by chunk, and what Parquet has written
 * by then comes out (nothing until a row group fills, then the whole group); {@link #finish} adds
 * the last group and the footer. Until then the bytes are not a readable file, which is what makes
 * a cut export fail in every reader. Blocking CPU work: call it on a worker thread, one call at a
 * time.
 */
public final class ParquetEncoder {

    /**
     * How often (in rows) the writer measures its buffered row group: the library's defaults (100
     * to 10,000 rows between checks) would let rows of a MiB each overshoot the row-group size by
     * far, so it measures at least every 1,000 rows and as often as every 10.
     */
    private static final int MIN_ROWS_BETWEEN_SIZE_CHECKS = 10;
    private static final int MAX_ROWS_BETWEEN_SIZE_CHECKS = 1_000;

    private final ChunkedOutput output = new ChunkedOutput();
    private final ParquetWriter<Row> writer;

    private ParquetEncoder(String kind, List<Column> columns, StoreConfig.Parquet config, Redaction redaction)
            throws IOException {
        CompressionCodecName codec = CompressionCodecName.valueOf(config.compression().name());
        writer = new Builder(new ResponseFile(output), new RowWriteSupport(kind, columns, redaction))
                // A plain configuration: the default one is Hadoop's, which is not on the classpath.
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCodecFactory(new Codecs(codec, config.zstdLevel()))
                .withCompressionCodec(codec)
                .withRowGroupSize(config.rowGroupBytes())
                .withPageSize(config.pageBytes())
                .withMinRowCountForPageSizeCheck(MIN_ROWS_BETWEEN_SIZE_CHECKS)
                .withMaxRowCountForPageSizeCheck(MAX_ROWS_BETWEEN_SIZE_CHECKS)
                .withMaxPaddingSize(0)
                .build();
    }

    /**
     * Starts a file of the kind's exported columns, in the order the export query selects them,
     * their values redacted as asked.
     */
    public static ParquetEncoder open(String kind, List<Column> columns, StoreConfig.Parquet config,
                                      Redaction redaction) {
        try {
            return new ParquetEncoder(kind, columns, config, redaction);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds the rows; returns the bytes written meanwhile (often none), to be sent in order. */
    public List<byte[]> encode(List<Row> rows) {
        try {
            for (Row row : rows) {
                writer.write(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return output.drain();
    }

    /** Writes the last row group and the footer; returns the rest of the file. */
    public List<byte[]> finish() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return output.drain();
    }

    /** The writer for export rows, kept off every Hadoop code path. */
    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final RowWriteSupport support;

        Builder(OutputFile file, RowWriteSupport support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(org.apache.hadoop.conf.Configuration configuration) {
            return support;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(ParquetConfiguration configuration) {
            return support;
        }
    }
}
