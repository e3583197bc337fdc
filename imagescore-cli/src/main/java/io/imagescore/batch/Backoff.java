package io.imagescore.batch;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for transient failures: base·2^(attempt−1), capped, times a random 0.5–1.0. */
record Backoff(long baseMillis, long maxMillis, int maxAttempts) {
    static final Backoff DEFAULT = new Backoff(250, 30_000, 10);

    long delayMillis(int attempt) {
        long d = Math.min(maxMillis, baseMillis << Math.min(20, Math.max(0, attempt - 1)));
        return (long) (d * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
    }
}
