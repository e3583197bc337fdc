package io.imagescore.scorecache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.imagescore.score.ScoredImage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Results already computed, keyed by {@link ScoreKey}: a repeat is answered from here and is bit-identical to
 * recomputing (the stored {@link ScoredImage} is the pipeline's own result object; everything that could change it is
 * in the key). Embedded and size-bounded: a Caffeine cache weighed by an estimate of each entry's heap bytes
 * (Window TinyLFU eviction), so no sequence of requests can grow it past {@code maxBytes}. Hits and misses are
 * counted ({@code imagescore.score.store{result=hit|miss}}).
 *
 * <p>With a {@link SharedScores} tier (replicas on PostgreSQL), a call's memory misses are looked up there in one
 * lookup (read-through: a shared hit is kept in memory too and counted as a hit) and its new results are written to
 * both in one write; the shared tier's
 * own lookups are counted as {@code imagescore.score.store.shared{result=hit|miss}}. A shared tier that fails is
 * logged and treated as a miss: scoring never fails because a cache is away.
 */
public final class ScoreStore {
    private static final Logger LOG = Logger.getLogger(ScoreStore.class);

    private final Cache<ScoreKey, ScoredImage> cache;
    private final long maxBytes;
    private final Counter hits;
    private final Counter misses;
    private final SharedScores shared;
    private final Counter sharedHits;
    private final Counter sharedMisses;

    public ScoreStore(long maxBytes, MeterRegistry registry) {
        this(maxBytes, registry, null);
    }

    /** @param shared the tier behind memory, or null for memory only */
    public ScoreStore(long maxBytes, MeterRegistry registry, SharedScores shared) {
        this.shared = shared;
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(maxBytes)
                .weigher((ScoreKey k, ScoredImage v) -> (int) Math.min(Integer.MAX_VALUE, k.weight() + weight(v)))
                .executor(Runnable::run) // maintenance on the calling thread: the bound holds when put returns
                .build();
        this.hits = Counter.builder("imagescore.score.store").description("Score store lookups").tag("result", "hit").register(registry);
        this.misses = Counter.builder("imagescore.score.store").description("Score store lookups").tag("result", "miss").register(registry);
        this.sharedHits = Counter.builder("imagescore.score.store.shared").description("Shared score store lookups after a memory miss")
                .tag("result", "hit").register(registry);
        this.sharedMisses = Counter.builder("imagescore.score.store.shared").description("Shared score store lookups after a memory miss")
                .tag("result", "miss").register(registry);
        Gauge.builder("imagescore.score.store.bytes", this, ScoreStore::weightedBytes)
                .description("Estimated heap bytes held by the score store").register(registry);
    }

    /** The stored result, or null (counted as a miss). */
    public ScoredImage get(ScoreKey key) {
        return getAll(List.of(key)).get(key);
    }

    /**
     * The stored results of {@code keys} (a key without one is absent): memory first, then one shared-tier lookup for
     * all the keys memory misses. Each element of {@code keys} counts as one hit or miss.
     */
    public Map<ScoreKey, ScoredImage> getAll(List<ScoreKey> keys) {
        Map<ScoreKey, ScoredImage> found = new HashMap<>();
        Set<ScoreKey> missed = new LinkedHashSet<>();
        for (ScoreKey key : keys) {
            ScoredImage v = cache.getIfPresent(key);
            if (v != null) {
                found.put(key, v);
            } else {
                missed.add(key);
            }
        }
        if (!missed.isEmpty() && shared != null) {
            Map<ScoreKey, ScoredImage> fromShared = Map.of();
            try {
                fromShared = shared.getAll(missed);
            } catch (RuntimeException e) {
                LOG.warnf("score store: %s lookup failed, computing instead: %s", shared.describe(), e.getMessage());
            }
            for (ScoreKey key : missed) {
                ScoredImage v = fromShared.get(key);
                (v == null ? sharedMisses : sharedHits).increment();
                if (v != null) {
                    cache.put(key, v);
                    found.put(key, v);
                }
            }
        }
        for (ScoreKey key : keys) {
            (found.containsKey(key) ? hits : misses).increment();
        }
        return found;
    }

    public void put(ScoreKey key, ScoredImage value) {
        putAll(Map.of(key, value));
    }

    /** Keeps new results in memory and writes them to the shared tier in one call. */
    public void putAll(Map<ScoreKey, ScoredImage> results) {
        if (results.isEmpty()) {
            return;
        }
        cache.putAll(results);
        if (shared != null) {
            try {
                shared.putAll(results);
            } catch (RuntimeException e) {
                LOG.warnf("score store: %s write failed (kept in memory only): %s", shared.describe(), e.getMessage());
            }
        }
    }

    /** The shared tier, or null. */
    public SharedScores shared() {
        return shared;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Current weight of the entries (estimated heap bytes). */
    public long weightedBytes() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    public double hits() {
        return hits.count();
    }

    public double misses() {
        return misses.count();
    }

    /** Rough heap bytes of a result: fixed overheads plus its arrays and strings. */
    static long weight(ScoredImage v) {
        long w = 96 + 2L * v.sha256().length();
        for (ScoredImage.Scalar s : v.scalars()) {
            w += 64 + 2L * (s.name().length() + s.version().length());
        }
        for (ScoredImage.Classes c : v.classes()) {
            // the label list is the head's own, shared by every entry: only the probabilities are this entry's
            w += 96 + 4L * c.probabilities().length + 2L * (c.name().length() + c.version().length());
        }
        if (v.embedding() != null) {
            w += 16 + 4L * v.embedding().length;
        }
        return w;
    }
}
