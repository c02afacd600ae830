package ai.trainingstore.search;

import ai.trainingstore.text.LogText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.VectorUtil;
import org.jboss.logging.Logger;

/**
 * The embedded engine: Apache Lucene's HNSW graph ({@link KnnFloatVectorQuery}) over a memory-mapped
 * directory (the vectors live in the page cache, not on the heap).
 *
 * <p>Agents repeat themselves (a system prompt, "ok", "A1" in thousands of conversations), and HNSW
 * links identical vectors only to one another: a graph holding thousands of copies traps a search in
 * them (CI found the console listing "A1" at 0.16 while a conversation at 0.7 was indexed). So the
 * graph holds each distinct vector once, as a <em>vector document</em> keyed by the vector's SHA-256;
 * each message is a document of its own (identity, filter fields, its vector's key) without a vector.
 * A search finds the nearest vectors, then the messages that carry them and pass the filter.
 *
 * <p>Below {@code exactBelow} messages, or when a filter passes fewer than that, every candidate vector
 * is scored instead (exact, and faster there). Otherwise the graph is asked for more vectors, four
 * times more each round, until their messages that pass the filter number n; a filter that keeps too
 * few of them ends in the exact scan. Thread-safe: one writer, any number of searches.
 */
public final class LuceneVectorIndex implements VectorIndex {

    private static final Logger LOG = Logger.getLogger(LuceneVectorIndex.class);

    /** On vector documents: the vector, and its key. */
    private static final String VECTOR = "vector";
    private static final String VECTOR_KEY = "vector_key";
    /** On message documents: the key of the message's vector (indexed and as doc values). */
    private static final String SAME_AS = "same_as";
    /** Identities up to this many UTF-8 bytes are indexed as they are (see {@link #key}). */
    static final int KEY_BYTES = 1024;
    private static final String MESSAGE = "message_id";
    private static final String CONVERSATION = "conversation_id";
    private static final String AGENT = "agent_id";
    private static final String TASK = "task_id";
    private static final String OCCURRED = "occurred_at";
    /** Above this share of the distinct vectors, the exact scan is cheaper than asking the graph again. */
    private static final int GRAPH_SHARE_DIVISOR = 4;
    /**
     * The least number of vectors the graph search keeps while it walks (HNSW's ef): a small k walks
     * a narrow beam that a query far from every vector (a conversation's mean, say) easily gets
     * stuck with; OpenSearch and Qdrant search with 100 by default too.
     */
    static final int MIN_GRAPH_CANDIDATES = 100;

    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final int exactBelow;
    /** Vector documents written (never deleted: a replaced message may leave one unused until restart). */
    private volatile int vectorDocuments;

    public LuceneVectorIndex(Path dir, int exactBelow) {
        this.exactBelow = exactBelow;
        try {
            this.directory = new MMapDirectory(dir);
            IndexWriterConfig config = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                    .setRAMBufferSizeMB(32);
            this.writer = new IndexWriter(directory, config);
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the search index in " + dir, e);
        }
    }

    @Override
    public void add(List<StoredVector> vectors) {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                Set<String> addedNow = new HashSet<>();
                for (StoredVector vector : vectors) {
                    String vectorKey = vectorKey(vector.vector());
                    try {
                        if (!addedNow.contains(vectorKey) && searcher.getIndexReader().docFreq(new Term(VECTOR_KEY, vectorKey)) == 0) {
                            // first: Lucene checks the vector here, before its message points at it
                            writer.addDocument(vectorDocument(vectorKey, vector.vector()));
                            addedNow.add(vectorKey);
                            vectorDocuments++;
                        }
                        writer.updateDocument(new Term(MESSAGE, key(vector.messageId())), messageDocument(vector, vectorKey));
                    } catch (IllegalArgumentException unindexable) {
                        // Lucene refuses a document without harm to the index: it alone is left out, never
                        // the page behind it (which would otherwise be read again and again).
                        LOG.warnf("Message %s left out of the search index: %s", LogText.safe(vector.messageId()),
                                LogText.safe(String.valueOf(unindexable.getMessage())));
                    }
                }
            } finally {
                searchers.release(searcher);
            }
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document vectorDocument(String vectorKey, float[] vector) {
        Document doc = new Document();
        doc.add(new StringField(VECTOR_KEY, vectorKey, Field.Store.NO));
        doc.add(new SortedDocValuesField(VECTOR_KEY, new BytesRef(vectorKey)));
        doc.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        return doc;
    }

    private static Document messageDocument(StoredVector vector, String vectorKey) {
        Document doc = new Document();
        doc.add(new StringField(MESSAGE, key(vector.messageId()), Field.Store.NO));
        doc.add(new StoredField(MESSAGE, vector.messageId()));
        doc.add(new StringField(CONVERSATION, key(vector.conversationId()), Field.Store.NO));
        doc.add(new StoredField(CONVERSATION, vector.conversationId()));
        if (vector.agentId() != null) {
            doc.add(new StringField(AGENT, key(vector.agentId()), Field.Store.NO));
        }
        if (vector.taskId() != null) {
            doc.add(new StringField(TASK, key(vector.taskId()), Field.Store.NO));
        }
        doc.add(new LongPoint(OCCURRED, micros(vector.occurredAt())));
        doc.add(new StringField(SAME_AS, vectorKey, Field.Store.NO));
        doc.add(new SortedDocValuesField(SAME_AS, new BytesRef(vectorKey)));
        return doc;
    }

    /** The first 128 bits of the SHA-256 of the vector's float bits, in hex: equal for identical vectors. */
    static String vectorKey(float[] vector) {
        ByteBuffer bits = ByteBuffer.allocate(vector.length * Float.BYTES);
        bits.asFloatBuffer().put(vector);
        return HexFormat.of().formatHex(sha256(bits.array()), 0, 16);
    }

    @Override
    public List<Hit> nearest(float[] query, int n, Filter filter) {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                int messages = size();
                if (messages <= 0 || n <= 0) {
                    return List.of();
                }
                Query passing = passing(filter);
                int candidates = filter.isNone() ? messages : searcher.count(passing);
                List<Hit> hits;
                if (candidates == 0) {
                    hits = List.of();
                } else if (messages < exactBelow || candidates < exactBelow) {
                    hits = exact(searcher, query, n, passing, filter.isNone());
                } else {
                    hits = approximate(searcher, query, n, passing, (int) Math.min(Integer.MAX_VALUE, (long) n * messages / candidates));
                    if (hits == null) {
                        hits = exact(searcher, query, n, passing, filter.isNone());
                    }
                }
                return hits;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Asks the graph for {@code first} vectors, then four times more while their messages that pass
     * number fewer than n. Null when that would ask for more than a share of the distinct vectors, or
     * when the graph gives fewer than asked while it holds more (HNSW can leave near-identical vectors
     * unreachable; Lucene 10.2 falls back the same way, apache/lucene#14160): the caller scans exactly.
     */
    private List<Hit> approximate(IndexSearcher searcher, float[] query, int n, Query passing, int first) throws IOException {
        int distinct = vectorDocuments;
        int limit = Math.max(n, distinct / GRAPH_SHARE_DIVISOR);
        for (int asked = Math.max(n, first); ; asked = (int) Math.min(Integer.MAX_VALUE, asked * 4L)) {
            if (asked > limit) {
                return null;
            }
            int beam = Math.max(asked, MIN_GRAPH_CANDIDATES);
            TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, beam), beam);
            List<ScoreDoc> vectors = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc doc : top.scoreDocs) {
                // Lucene's score for DOT_PRODUCT is (1 + cosine) / 2: turned back into the cosine
                vectors.add(new ScoreDoc(doc.doc, 2 * doc.score - 1));
            }
            List<Hit> hits = messagesOf(searcher, vectors, n, passing);
            if (hits.size() >= n) {
                return hits;
            }
            if (top.scoreDocs.length >= distinct) {
                return hits; // every vector was read: there are no more messages to find
            }
            if (top.scoreDocs.length < beam) {
                return null;
            }
        }
    }

    /**
     * Scores every vector that a passing message carries (every vector when nothing is filtered) and
     * returns the n best messages. Vectors left without a message (a replaced message's old vector)
     * make the top vectors give fewer than n messages: then four times more are taken.
     */
    private List<Hit> exact(IndexSearcher searcher, float[] query, int n, Query passing, boolean everyMessage) throws IOException {
        Set<BytesRef> wanted = everyMessage ? null : vectorKeysOf(searcher, passing);
        for (int take = n; ; take = (int) Math.min(Integer.MAX_VALUE, take * 4L)) {
            List<ScoreDoc> vectors = bestVectors(searcher, query, take, wanted);
            List<Hit> hits = messagesOf(searcher, vectors, n, passing);
            if (hits.size() >= n || vectors.size() < take) {
                return hits;
            }
        }
    }

    /** The keys of the vectors the messages that pass carry. */
    private static Set<BytesRef> vectorKeysOf(IndexSearcher searcher, Query passing) throws IOException {
        Set<BytesRef> keys = new HashSet<>();
        Weight weight = searcher.createWeight(searcher.rewrite(passing), ScoreMode.COMPLETE_NO_SCORES, 1);
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            Scorer scorer = weight.scorer(leaf);
            SortedDocValues sameAs = leaf.reader().getSortedDocValues(SAME_AS);
            if (scorer == null || sameAs == null) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            DocIdSetIterator docs = scorer.iterator();
            for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                if ((live == null || live.get(doc)) && sameAs.advanceExact(doc)) {
                    BytesRef key = sameAs.lookupOrd(sameAs.ordValue());
                    if (!keys.contains(key)) {
                        keys.add(BytesRef.deepCopyOf(key));
                    }
                }
            }
        }
        return keys;
    }

    /** The n vectors nearest to the query by exact cosine, among those keyed in {@code wanted} (all when null). */
    static List<ScoreDoc> bestVectors(IndexSearcher searcher, float[] query, int n, Set<BytesRef> wanted) throws IOException {
        PriorityQueue<ScoreDoc> best = new PriorityQueue<>(n + 1, Comparator.comparingDouble(doc -> doc.score));
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
            SortedDocValues keys = leaf.reader().getSortedDocValues(VECTOR_KEY);
            if (values == null || keys == null) {
                continue;
            }
            for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
                if (wanted != null && !(keys.advanceExact(doc) && wanted.contains(keys.lookupOrd(keys.ordValue())))) {
                    continue;
                }
                float score = VectorUtil.dotProduct(query, values.vectorValue());
                if (best.size() < n) {
                    best.add(new ScoreDoc(leaf.docBase + doc, score));
                } else if (score > best.peek().score) {
                    best.poll();
                    best.add(new ScoreDoc(leaf.docBase + doc, score));
                }
            }
        }
        List<ScoreDoc> docs = new ArrayList<>(best);
        docs.sort(Comparator.comparingDouble((ScoreDoc doc) -> doc.score).reversed().thenComparingInt(doc -> doc.doc));
        return docs;
    }

    /** The messages (that pass) carrying these vectors, in the vectors' order, at most n. */
    private static List<Hit> messagesOf(IndexSearcher searcher, List<ScoreDoc> vectors, int n, Query passing) throws IOException {
        List<Hit> hits = new ArrayList<>(n);
        var stored = searcher.storedFields();
        for (ScoreDoc vector : vectors) {
            if (hits.size() >= n) {
                break;
            }
            BytesRef key = vectorKeyOf(searcher, vector.doc);
            Query carrying = new BooleanQuery.Builder().add(new TermQuery(new Term(SAME_AS, key)), Occur.FILTER)
                    .add(passing, Occur.FILTER).build();
            // the same vector's messages in the order they were indexed, so answers are repeatable
            for (ScoreDoc message : searcher.search(carrying, n - hits.size(), Sort.INDEXORDER).scoreDocs) {
                Document fields = stored.document(message.doc, Set.of(MESSAGE, CONVERSATION));
                hits.add(new Hit(fields.get(MESSAGE), fields.get(CONVERSATION), vector.score));
            }
        }
        return hits;
    }

    private static BytesRef vectorKeyOf(IndexSearcher searcher, int doc) throws IOException {
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        SortedDocValues keys = leaf.reader().getSortedDocValues(VECTOR_KEY);
        if (keys == null || !keys.advanceExact(doc - leaf.docBase)) {
            throw new IllegalStateException("A vector document without its key");
        }
        return BytesRef.deepCopyOf(keys.lookupOrd(keys.ordValue()));
    }

    /** The message documents that pass the filter. */
    private static Query passing(Filter filter) {
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(new FieldExistsQuery(SAME_AS), Occur.FILTER);
        if (!filter.agentIds().isEmpty()) {
            query.add(terms(AGENT, filter.agentIds()), Occur.FILTER);
        }
        if (!filter.taskIds().isEmpty()) {
            query.add(terms(TASK, filter.taskIds()), Occur.FILTER);
        }
        if (filter.from().isPresent() || filter.to().isPresent()) {
            long from = filter.from().map(LuceneVectorIndex::micros).orElse(Long.MIN_VALUE);
            long to = filter.to().map(t -> Math.max(micros(t), Long.MIN_VALUE + 1) - 1).orElse(Long.MAX_VALUE); // "to" is exclusive
            query.add(LongPoint.newRangeQuery(OCCURRED, from, to), Occur.FILTER);
        }
        filter.excludedConversation().ifPresent(id -> query.add(new TermQuery(new Term(CONVERSATION, key(id))), Occur.MUST_NOT));
        return query.build();
    }

    private static Query terms(String field, Set<String> values) {
        return new TermInSetQuery(field, values.stream().map(value -> new BytesRef(key(value))).toList());
    }

    /**
     * The indexed form of an identity: itself, or for one longer than {@link #KEY_BYTES} (Lucene refuses
     * terms over 32,766 bytes; the store accepts longer ids) a NUL, then its SHA-256 in hex. Stored text
     * never holds a NUL (PostgreSQL refuses it), so the two forms never meet. Queries use the same form.
     */
    static String key(String identity) {
        if (identity.length() * 3 <= KEY_BYTES || identity.getBytes(StandardCharsets.UTF_8).length <= KEY_BYTES) {
            return identity;
        }
        return "\u0000" + HexFormat.of().formatHex(sha256(identity.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /**
     * Microseconds since 1970, saturated. Not {@code ChronoUnit.MICROS.between}: it counts in nanoseconds
     * and overflows 292 years from 1970 (the CI found the whole index stalled on "long overflow" by a
     * message of 9999-12-31). PostgreSQL also stores 'infinity' (read as OffsetDateTime.MAX/MIN),
     * beyond a long's microseconds: such a message sorts at the end of time instead of failing.
     */
    static long micros(Instant instant) {
        try {
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
        } catch (ArithmeticException beyondALong) {
            return instant.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    @Override
    public int size() {
        return writer.getDocStats().numDocs - vectorDocuments;
    }

    @Override
    public void close() throws IOException {
        searchers.close();
        writer.close();
        directory.close();
    }
}
