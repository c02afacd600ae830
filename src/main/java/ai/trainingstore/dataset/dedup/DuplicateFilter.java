package ai.trainingstore.dataset.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Tells, line after line of one answer, whether a line duplicates an earlier emitted one
 * (contract 6.5), and remembers the lines it lets through. Give it only the lines that passed every
 * other check, in the answer's order, so that only emitted lines are remembered; the earlier line
 * is the one kept. One per answer, on one thread at a time; close it when the answer ends.
 *
 * <p>{@code exact}: a 128-bit slot per line ({@link DigestSet}). {@code near}: also a MinHash
 * signature per line, 8 bits of each of its 128 values in a temporary file (128 bytes a line: b-bit
 * MinHash) and in a cache of the last 32,768 kept lines (4 MiB; a candidate older than that is read
 * back from the file), and {@link BandIndex} in memory. A candidate is a
 * duplicate when its estimated Jaccard similarity, (agreeing values / 128 - 1/256) / (1 - 1/256),
 * is at least {@code near_threshold}. Ids of kept lines
 * (to name the kept line in explain's detail) are held only when asked, in a temporary file.
 * With a temporary file (near, or names), use it on a worker thread.
 */
public final class DuplicateFilter implements AutoCloseable {

    /** Bytes of one stored signature: 8 bits of each of its 128 values. */
    private static final int SIGNATURE_BYTES = MinHash.HASHES;
    /** A signature as longs, 8 values each: compared 8 at a time. */
    private static final int SIGNATURE_LONGS = SIGNATURE_BYTES / Long.BYTES;
    /**
     * Signatures held on the heap, by line ordinal modulo the cache's size: grown with the kept
     * lines up to 32,768 (4 MiB), so an answer that keeps fewer lines never reads its file back.
     */
    static final int MAX_CACHED_SIGNATURES = 32_768;
    private static final int FIRST_CACHED_SIGNATURES = 1024;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_SEVEN_BITS = 0x7F7F_7F7F_7F7F_7F7FL;
    /** How often two different minima still agree on 8 bits: the estimate corrects for it. */
    private static final double CHANCE_AGREEMENT = 1.0 / 256;

    private final Dedup dedup;
    private final LineDigest digests = new LineDigest();
    private final DigestSet emitted = new DigestSet();
    private final MinHash minHash;
    private final BandIndex bands;
    private final SpillFile signatures;
    private final SpillFile names;
    private final PagedLongs nameAt;
    private final long[] mins = new long[MinHash.HASHES];
    private final int[] keys = new int[BandIndex.BANDS];
    private final byte[] signature = new byte[SIGNATURE_BYTES];
    /** The current line's signature as longs. */
    private final long[] signatureLongs = new long[SIGNATURE_LONGS];
    private final byte[] readBack = new byte[SIGNATURE_BYTES];
    /** Cached signatures as longs, SIGNATURE_LONGS a slot; the line in each slot, or -1. */
    private long[] cache;
    private int[] cachedLine;
    /** Candidates already compared for the current line (one comes once per band it shares). */
    private final IntSet checked = new IntSet();
    private final int matchesNeeded;
    /** The most values that may disagree in a duplicate: a comparison stops past it. */
    private final int mismatchesAllowed;
    private int lines;

    /** A line found to duplicate the kept line {@code keptOrdinal} (0 = the first line kept). */
    public record Duplicate(boolean exact, int keptOrdinal, String keptId, double similarity) {

        /** What decided it, for explain=true: the kept line and how it matched. */
        public String detail() {
            String kept = keptId == null ? "an earlier line (kept line #" + (keptOrdinal + 1) + ")" : keptId;
            return exact ? "same messages and tools as " + kept
                    : String.format(Locale.ROOT, "near duplicate of %s: estimated Jaccard similarity %.3f of word 5-grams",
                    kept, similarity);
        }
    }

    /**
     * {@code nameKept}: remember the ids of kept lines, to name them in {@link Duplicate#detail()}
     * (explain); otherwise the detail names the kept line by its position.
     */
    public DuplicateFilter(Dedup dedup, boolean nameKept) {
        if (dedup.isNone()) {
            throw new IllegalArgumentException("no dedup asked");
        }
        this.dedup = dedup;
        boolean near = dedup.mode() == Dedup.Mode.NEAR;
        if (near) {
            this.cache = new long[FIRST_CACHED_SIGNATURES * SIGNATURE_LONGS];
            this.cachedLine = new int[FIRST_CACHED_SIGNATURES];
            java.util.Arrays.fill(cachedLine, -1);
        }
        this.minHash = near ? new MinHash() : null;
        this.bands = near ? new BandIndex() : null;
        this.signatures = near ? new SpillFile("dedup-signatures-") : null;
        this.names = nameKept ? new SpillFile("dedup-ids-") : null;
        this.nameAt = nameKept ? new PagedLongs() : null;
        // The least number of agreeing values whose estimate reaches the threshold.
        this.matchesNeeded = (int) Math.ceil(MinHash.HASHES
                * (dedup.nearThreshold() * (1 - CHANCE_AGREEMENT) + CHANCE_AGREEMENT) - 1e-9);
        this.mismatchesAllowed = MinHash.HASHES - matchesNeeded;
    }

    /**
     * Null when the line ({@code id} its identity, {@code messages} and {@code tools} as written, in
     * the OpenAI shape or the Hugging Face one) duplicates no kept line: it is then remembered as
     * kept. Otherwise the kept line it duplicates.
     */
    public Duplicate check(String id, JsonNode messages, JsonNode tools) {
        long[] digest = digests.of(messages, tools);
        int same = emitted.find(digest);
        if (same >= 0) {
            return new Duplicate(true, same, name(same), 1.0);
        }
        boolean hasText = minHash != null && minHash.signature(messages, mins);
        if (hasText) {
            BandIndex.keys(mins, keys);
            for (int i = 0; i < MinHash.HASHES; i++) {
                // 8 bits of the mixed minimum: uniform (the minimum's own top bits are mostly
                // zeros), so two different minima agree with probability 1/256.
                signature[i] = (byte) MinHash.mix(mins[i]);
            }
            toLongs(signature, signatureLongs, 0);
            Duplicate near = nearest();
            if (near != null) {
                return near;
            }
        }
        remember(id, digest, hasText);
        return null;
    }

    /** The first candidate (band by band, newest first) whose signature agrees enough, or null. */
    private Duplicate nearest() {
        checked.clear();
        Duplicate[] found = {null};
        bands.anyCandidate(keys, line -> {
            if (!checked.add(line)) {
                return false;
            }
            int mismatches = mismatches(signatureLongs, cache, cached(line) * SIGNATURE_LONGS, mismatchesAllowed);
            if (mismatches <= mismatchesAllowed) {
                found[0] = new Duplicate(false, line, null, estimate(MinHash.HASHES - mismatches));
                return true;
            }
            return false;
        });
        Duplicate near = found[0];
        return near == null ? null : new Duplicate(false, near.keptOrdinal(), name(near.keptOrdinal()), near.similarity());
    }

    /**
     * The values (8 in a long) on which two signatures disagree, counted until past {@code allowed}
     * (the comparison then stops: most candidates of a template's lines are far from a duplicate).
     */
    static int mismatches(long[] signature, long[] candidates, int offset, int allowed) {
        int mismatches = 0;
        for (int i = 0; i < SIGNATURE_LONGS && mismatches <= allowed; i++) {
            long differ = signature[i] ^ candidates[offset + i];
            // the high bit of each byte of t is set exactly where that byte of differ is not zero
            long t = ((differ & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | differ;
            mismatches += Long.bitCount(t & ~LOW_SEVEN_BITS);
        }
        return mismatches;
    }

    /**
     * The cache slot that holds a kept line's signature: kept lines that keep coming up as candidates
     * (a template's, say) are read from the file once, or never while they fit in the cache.
     */
    private int cached(int line) {
        int slot = line & (cachedLine.length - 1);
        if (cachedLine[slot] != line) {
            signatures.read((long) line * SIGNATURE_BYTES, readBack);
            toLongs(readBack, cache, slot * SIGNATURE_LONGS);
            cachedLine[slot] = line;
        }
        return slot;
    }

    private static void toLongs(byte[] bytes, long[] into, int offset) {
        for (int i = 0; i < SIGNATURE_LONGS; i++) {
            into[offset + i] = (long) LONGS.get(bytes, i * Long.BYTES);
        }
    }

    /** Twice the slots while the kept lines outnumber them, up to the maximum: cached lines move along. */
    private void growCache() {
        int slots = cachedLine.length * 2;
        long[] grown = new long[slots * SIGNATURE_LONGS];
        int[] grownLines = new int[slots];
        java.util.Arrays.fill(grownLines, -1);
        for (int slot = 0; slot < cachedLine.length; slot++) {
            int line = cachedLine[slot];
            if (line >= 0) {
                int to = line & (slots - 1);
                System.arraycopy(cache, slot * SIGNATURE_LONGS, grown, to * SIGNATURE_LONGS, SIGNATURE_LONGS);
                grownLines[to] = line;
            }
        }
        cache = grown;
        cachedLine = grownLines;
    }

    /** The Jaccard similarity that {@code matches} agreeing 8-bit values estimate. */
    static double estimate(int matches) {
        return Math.max(0, ((double) matches / MinHash.HASHES - CHANCE_AGREEMENT) / (1 - CHANCE_AGREEMENT));
    }

    private void remember(String id, long[] digest, boolean hasText) {
        int ordinal = lines++;
        emitted.add(digest, ordinal);
        if (bands != null) {
            if (!hasText) {
                // A line without words is never a near duplicate, nor a candidate: keys of its own
                // (a text's key equals one with probability 2^-32) and a signature of zeros (that a
                // text agrees with on 1/256 of its values: far under any threshold). It is still added, so band lines and kept lines share ordinals.
                for (int band = 0; band < BandIndex.BANDS; band++) {
                    keys[band] = (int) MinHash.mix(digest[0] + band);
                }
                java.util.Arrays.fill(signature, (byte) 0);
            }
            bands.add(keys);
            signatures.append(signature);
            if (lines > cachedLine.length && cachedLine.length < MAX_CACHED_SIGNATURES) {
                growCache();
            }
            // the newest lines are the likeliest candidates: cached now, never read back while they stay
            int slot = ordinal & (cachedLine.length - 1);
            toLongs(signature, cache, slot * SIGNATURE_LONGS);
            cachedLine[slot] = ordinal;
        }
        if (names != null) {
            nameAt.set(ordinal, names.size());
            names.append(id.getBytes(StandardCharsets.UTF_8));
        }
    }

    private String name(int ordinal) {
        if (names == null) {
            return null;
        }
        long start = nameAt.get(ordinal);
        long end = ordinal + 1 < lines ? nameAt.get(ordinal + 1) : names.size();
        byte[] bytes = new byte[(int) (end - start)];
        names.read(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public Dedup dedup() {
        return dedup;
    }

    @Override
    public void close() {
        if (signatures != null) {
            signatures.close();
        }
        if (names != null) {
            names.close();
        }
    }
}
