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
 * Writes one archive file: gzip JSON lines under {@code <dir>/<kind>/}, named for the range of
 * {@code occurred_at} it holds ({@code <kind>_<first>_<last>_<id>.jsonl.gz}, UTC, to the second).
 * The file is written under a hidden {@code .partial} name, forced to disk, renamed and the
 * directory forced too, so once this returns the file survives a crash or power loss; a crash
 * before that leaves at most a {@code .partial} file, and the rows stay stored. Blocking: call it
 * on a worker thread.
 */
final class ArchiveWriter {

    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path root;

    ArchiveWriter(Path root) {
        this.root = root;
    }

    /** Writes the lines and returns the file's path; throws when anything fails (the rows are then kept). */
    Path write(RecordKind kind, byte[] lines, Instant first, Instant last) {
        try {
            Path directory = Files.createDirectories(root.resolve(kind.id()));
            // The id makes every file new: a batch archived again after a crash never overwrites.
            String name = kind.id() + "_" + NAME_TIME.format(first) + "_" + NAME_TIME.format(last) + "_"
                    + UUID.randomUUID().toString().substring(0, 8) + ".jsonl.gz";
            Path partial = directory.resolve("." + name + ".partial");
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream file = Channels.newOutputStream(channel);
                // The fastest level: retention shares the CPU with ingest (files about an eighth larger than level 6).
                GZIPOutputStream gzip = new GZIPOutputStream(file, 64 * 1024) {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                };
                gzip.write(lines);
                gzip.finish();
                gzip.flush();
                channel.force(true);
            }
            Path archive = directory.resolve(name);
            Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(directory);
            return archive;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the " + kind.id() + " archive under " + root + ": "
                    + e.getMessage(), e);
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

    /** The rename is durable only once the directory entry is on disk too. */
    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
