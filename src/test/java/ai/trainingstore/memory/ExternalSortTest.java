package ai.trainingstore.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The external merge sort the preferences dataset spills to: order, runs on disk, the disk budget, clean-up. */
class ExternalSortTest {

    @TempDir
    Path directory;

    private static List<byte[]> records(int count, long seed) {
        Random random = new Random(seed);
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] record = new byte[1 + random.nextInt(40)];
            random.nextBytes(record);
            records.add(record);
        }
        return records;
    }

    private long files() throws IOException {
        try (Stream<Path> all = Files.walk(directory)) {
            return all.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void manyRunsMergeIntoUnsignedBytewiseOrderAndTheFilesGoWithClose() throws IOException {
        List<byte[]> records = records(50_000, 1);
        try (ExternalSort sort = new ExternalSort(directory, 64 * 1024, 10L << 20, "test")) {
            records.forEach(sort::add);
            assertThat(files()).as("sorted runs on disk").isGreaterThan(10);
            List<byte[]> sorted = new ArrayList<>();
            sort.sorted().forEachRemaining(sorted::add);
            List<byte[]> expected = new ArrayList<>(records);
            expected.sort(Arrays::compareUnsigned);
            assertThat(sorted).hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(sorted.get(i)).isEqualTo(expected.get(i));
            }
            assertThat(sort.spilledBytes()).isPositive();
        }
        assertThat(files()).as("after close").isZero();
    }

    @Test
    void fewRecordsStayInMemory() throws IOException {
        try (ExternalSort sort = new ExternalSort(directory, 1 << 20, 1 << 20, "test")) {
            sort.add(new byte[] {(byte) 0xff});
            sort.add(new byte[] {1, 2});
            sort.add(new byte[] {1});
            Iterator<byte[]> sorted = sort.sorted();
            assertThat(sorted.next()).containsExactly(1);
            assertThat(sorted.next()).containsExactly(1, 2);
            assertThat(sorted.next()).containsExactly((byte) 0xff);
            assertThat(sorted.hasNext()).isFalse();
            assertThat(files()).isZero();
        }
    }

    @Test
    void moreThanTheDiskBudgetFailsNamingTheSetting() {
        try (ExternalSort sort = new ExternalSort(directory, 64 * 1024, 256 * 1024, "training-store.memory.spill-bytes")) {
            assertThatThrownBy(() -> records(100_000, 2).forEach(sort::add))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("training-store.memory.spill-bytes");
        }
    }
}
