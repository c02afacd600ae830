package ai.trainingstore.retention;

import ai.trainingstore.kind.RecordKind;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
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
                GZIPOutputStream gzip = new GZIPOutputStream(file, 64 * 1024);
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

    /** The rename is durable only once the directory entry is on disk too. */
    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
