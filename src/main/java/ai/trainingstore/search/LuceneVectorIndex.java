package ai.trainingstore.search;

import ai.trainingstore.text.LogText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.ConjunctionUtils;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
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
 * directory (the vectors live in the page cache, not on the heap). Below {@code exactBelow} messages
 * every vector is scored instead (faster there, and exact). A filter goes into Lucene's k-NN query,
 * which searches the graph for matches that pass it and itself falls back to scoring the whole
 * filtered set exactly when that set is small or the graph search would visit more than it holds,
 * so filtered results stay correct. Thread-safe: one writer, any number of searches.
 */
public final class LuceneVectorIndex implements VectorIndex {

    private static final Logger LOG = Logger.getLogger(LuceneVectorIndex.class);

    private static final String VECTOR = "vector";
    /** Identities up to this many UTF-8 bytes are indexed as they are (see {@link #key}). */
    static final int KEY_BYTES = 1024;
    private static final String MESSAGE = "message_id";
    private static final String CONVERSATION = "conversation_id";
    private static final String AGENT = "agent_id";
    private static final String TASK = "task_id";
    private static final String OCCURRED = "occurred_at";

    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final int exactBelow;

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
            for (StoredVector vector : vectors) {
                try {
                    writer.updateDocument(new Term(MESSAGE, key(vector.messageId())), document(vector));
                } catch (IllegalArgumentException unindexable) {
                    // Lucene refuses a document without harm to the index: it alone is left out, never
                    // the page behind it (which would otherwise be read again and again).
                    LOG.warnf("Message %s left out of the search index: %s", LogText.safe(vector.messageId()),
                            LogText.safe(String.valueOf(unindexable.getMessage())));
                }
            }
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document document(StoredVector vector) {
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
        doc.add(new KnnFloatVectorField(VECTOR, vector.vector(), VectorSimilarityFunction.DOT_PRODUCT));
        return doc;
    }

    @Override
    public List<Hit> nearest(float[] query, int n, Filter filter) {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                int size = searcher.getIndexReader().numDocs();
                if (size == 0 || n <= 0) {
                    return List.of();
                }
                Query restriction = restriction(filter);
                List<ScoreDoc> docs = size < exactBelow ? exact(searcher, query, n, restriction)
                        : approximate(searcher, query, n, restriction);
                if (docs.size() < Math.min(n, size) && size >= exactBelow) {
                    // Lucene 9's filtered HNSW search can end with fewer than n (even none) while more
                    // documents pass the filter: near-identical vectors leave parts of the graph
                    // unreachable from where the search starts (Lucene 10.2 adds this same fallback,
                    // apache/lucene#14160). Then the exact scan of what passes answers.
                    docs = exact(searcher, query, n, restriction);
                }
                List<Hit> hits = new ArrayList<>(docs.size());
                var stored = searcher.storedFields();
                for (ScoreDoc doc : docs) {
                    Document fields = stored.document(doc.doc, Set.of(MESSAGE, CONVERSATION));
                    hits.add(new Hit(fields.get(MESSAGE), fields.get(CONVERSATION), doc.score));
                }
                return hits;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** HNSW; Lucene's scores for DOT_PRODUCT are (1 + cosine) / 2, turned back into the cosine. */
    private static List<ScoreDoc> approximate(IndexSearcher searcher, float[] query, int n, Query restriction)
            throws IOException {
        TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, n, restriction), n);
        List<ScoreDoc> docs = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc doc : top.scoreDocs) {
            docs.add(new ScoreDoc(doc.doc, 2 * doc.score - 1));
        }
        return docs;
    }

    /** Scores every vector that passes the restriction (all of them when there is none); top n by cosine. */
    static List<ScoreDoc> exact(IndexSearcher searcher, float[] query, int n, Query restriction) throws IOException {
        PriorityQueue<ScoreDoc> best = new PriorityQueue<>(n + 1, Comparator.comparingDouble(doc -> doc.score));
        Weight weight = restriction == null ? null
                : searcher.createWeight(searcher.rewrite(restriction), ScoreMode.COMPLETE_NO_SCORES, 1);
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
            if (values == null) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            DocIdSetIterator candidates = values;
            if (weight != null) {
                Scorer scorer = weight.scorer(leaf);
                if (scorer == null) {
                    continue;
                }
                // Only the documents that pass, each vector read by advancing to it.
                candidates = ConjunctionUtils.intersectIterators(List.of(scorer.iterator(), values));
            }
            for (int doc = candidates.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = candidates.nextDoc()) {
                if (live != null && !live.get(doc)) {
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

    /** The filter as a Lucene query, or null for none. */
    private static Query restriction(Filter filter) {
        if (filter.isNone()) {
            return null;
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(new MatchAllDocsQuery(), Occur.FILTER);
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
        try {
            return "\u0000" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(identity.getBytes(StandardCharsets.UTF_8)));
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
        return writer.getDocStats().numDocs;
    }

    @Override
    public void close() throws IOException {
        searchers.close();
        writer.close();
        directory.close();
    }
}
