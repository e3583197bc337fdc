package io.imagescore.scorecache;

import io.imagescore.score.ScoredImage;

/**
 * The score store's shared tier (one for all replicas, e.g. {@link io.imagescore.store.pg.PgScoreStore}): looked up
 * after a replica's own memory misses and written with every new result, so a result computed on one replica is
 * served by the others. Must return exactly what was put (bit for bit) under exactly the same key, and stay bounded.
 */
public interface SharedScores {
    /** The result stored under exactly {@code key}, or null. */
    ScoredImage get(ScoreKey key);

    /** Stores {@code value} under {@code key} (a result already there for the key is kept: both are the same). */
    void put(ScoreKey key, ScoredImage value);

    /** Where the results live, for logs. */
    String describe();
}
