package io.imagescore.scorecache;

import io.imagescore.score.ScoredImage;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The score store's shared tier (one for all replicas, e.g. {@link io.imagescore.store.pg.PgScoreStore}): looked up
 * after a replica's own memory misses and written with every new result, so a result computed on one replica is
 * served by the others. Must return exactly what was put (bit for bit) under exactly the same key, and stay bounded.
 * Calls take many keys at once, so that a request's misses cost one round trip, not one per image.
 */
public interface SharedScores {
    /** The results stored under exactly these keys (a key without one is absent from the map). */
    Map<ScoreKey, ScoredImage> getAll(Collection<ScoreKey> keys);

    /** Stores each value under its key (a result already there for the key is kept: both are the same). */
    void putAll(Map<ScoreKey, ScoredImage> results);

    /** The result stored under exactly {@code key}, or null. */
    default ScoredImage get(ScoreKey key) {
        return getAll(List.of(key)).get(key);
    }

    default void put(ScoreKey key, ScoredImage value) {
        putAll(Map.of(key, value));
    }

    /** Where the results live, for logs. */
    String describe();
}
