package ai.trainingstore.retention;

import ai.trainingstore.kind.RecordKind;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes archive files: gzip JSON lines under {@code <dir>/<kind>/}, named for the range of
 * {@code occurred_at} they hold ({@code <kind>_<first>_<last>_<id>.jsonl.gz}, UTC, to the second).
 * A file is written under a hidden {@code .partial} name as the rows stream in, forced to disk,
 * renamed and the directory forced too, so once {@link Open#finish} returns the file survives a
 * crash or power loss; a crash before that leaves at most a {@code .partial} file, and the rows
 * stay stored. Blocking: call it on a worker thread.
 */
final class ArchiveWriter {

    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path root;

    ArchiveWriter(Path root) {
        this.root = root;
    }

    /** A new file of the kind, open for lines; throws when it cannot be created (the rows are then kept). */
    Open open(RecordKind kind) {
        try {
            Path directory = Files.createDirectories(root.resolve(kind.id()));
            // The id makes every file new: a batch archived again after a crash never overwrites.
            String id = UUID.randomUUID().toString().substring(0, 8);
            Path partial = directory.resolve("." + kind.id() + "_" + id + ".jsonl.gz.partial");
            return new Open(kind, directory, id, partial, FileChannel.open(partial, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw failed(kind, e);
        }
    }

    /** An archive file being written. Not thread-safe: one batch writes it, one chunk at a time. */
    final class Open {
        private final RecordKind kind;
        private final Path directory;
        private final String id;
        private final Path partial;
        private final FileChannel channel;
        private final GZIPOutputStream gzip;

        private Open(RecordKind kind, Path directory, String id, Path partial, FileChannel channel) throws IOException {
            this.kind = kind;
            this.directory = directory;
            this.id = id;
            this.partial = partial;
            this.channel = channel;
            OutputStream file = Channels.newOutputStream(channel);
            // The fastest level: retention shares the CPU with ingest (files about an eighth larger than level 6).
            this.gzip = new GZIPOutputStream(file, 64 * 1024) {
                {
                    def.setLevel(Deflater.BEST_SPEED);
                }
            };
        }

        void write(byte[] lines) {
            try {
                gzip.write(lines);
            } catch (IOException e) {
                throw failed(kind, e);
            }
        }

        /**
         * Ends the file, forces it to disk and gives it its final name; answers its path relative
         * to the archive directory ({@code <kind>/<file>}).
         */
        String finish(Instant first, Instant last) {
            try {
                gzip.finish();
                gzip.flush();
                channel.force(true);
                channel.close();
                String name = kind.id() + "_" + NAME_TIME.format(first) + "_" + NAME_TIME.format(last) + "_" + id
                        + ".jsonl.gz";
                Path archive = directory.resolve(name);
                Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
                forceDirectory(directory);
                return root.relativize(archive).toString();
            } catch (IOException e) {
                abandon();
                throw failed(kind, e);
            }
        }

        /** Closes and removes the unfinished file: its batch failed and its rows stay stored. */
        void abandon() {
            try {
                channel.close();
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // Left as a .partial file: the next run removes it once it is an hour old.
            }
        }
    }

    /**
     * Deletes the {@code .partial} files of the kind last written before {@code writtenBefore}: what a
     * crash between writing and renaming left (their rows were kept and are archived again). A
     * file still being written is seconds old, so with a cut-off of an hour no replica's write in
     * progress is touched. Returns how many went.
     */
    int removeAbandonedPartials(RecordKind kind, Instant writtenBefore) {
        Path directory = root.resolve(kind.id());
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> partials = Files.newDirectoryStream(directory, ".*.partial")) {
            for (Path partial : partials) {
                if (Files.getLastModifiedTime(partial).toInstant().isBefore(writtenBefore) && Files.deleteIfExists(partial)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not clear abandoned archive files under " + directory + ": "
                    + e.getMessage(), e);
        }
        return removed;
    }

    private UncheckedIOException failed(RecordKind kind, IOException e) {
        return new UncheckedIOException("Could not write the " + kind.id() + " archive under " + root + ": "
                + e, e);
    }

    /** The rename is durable only once the directory entry is on disk too. */
    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
