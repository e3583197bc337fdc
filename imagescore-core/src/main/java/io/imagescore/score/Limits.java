package io.imagescore.score;

import java.time.Duration;

/**
 * Admission limits of the scoring path (see {@link LimitsConfig} for the server's settings and their defaults).
 *
 * @param pixelBudget            decoded pixels in flight across all calls
 * @param byteBudget             encoded request bytes being decoded across all calls
 * @param maxConcurrentInference model calls running at once
 * @param maxQueued              calls waiting per budget before new ones are refused outright
 * @param maxQueueWait           how long a call waits for its turn before OVERLOADED
 * @param preprocessThreads      decode/preprocess pool size
 * @param maxDeadline            cap on (and default for) a pipeline call's deadline; null = none (the CLI)
 */
public record Limits(long pixelBudget, long byteBudget, int maxConcurrentInference, int maxQueued,
                     Duration maxQueueWait, int preprocessThreads, Duration maxDeadline) {

    /** The caller's deadline capped by {@link #maxDeadline}; null = no deadline. */
    public java.time.Instant cap(java.time.Instant deadline) {
        if (maxDeadline == null) {
            return deadline;
        }
        java.time.Instant max = java.time.Instant.now().plus(maxDeadline);
        return deadline == null || deadline.isAfter(max) ? max : deadline;
    }

    /**
     * A decoded pixel costs about 8 heap bytes at peak (the 3-byte raster, ImageIO's 4-byte ARGB intermediate,
     * orientation and resize copies): half the heap for rasters leaves the rest to tensors, requests and the model.
     */
    static final long PEAK_BYTES_PER_PIXEL = 8;

    public static long defaultPixelBudget() {
        return Math.max(1, Runtime.getRuntime().maxMemory() / 2 / PEAK_BYTES_PER_PIXEL);
    }

    /** A quarter of the heap for the encoded bytes being worked on. */
    public static long defaultByteBudget() {
        return Math.max(1, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * Cores this process may use: {@code availableProcessors()} honours cgroup CPU quotas and cpusets (JDK container
     * support), so a container limited to 2 CPUs sizes its pools for 2, not for the host.
     */
    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Heap-derived budgets, two model calls at once, a 256-deep queue waiting at most 2 s, no deadline cap (a CLI
     * run may take hours): the CLI and tests.
     */
    public static Limits defaults() {
        return new Limits(defaultPixelBudget(), defaultByteBudget(), 2, 256, Duration.ofSeconds(2), cores(), null);
    }
}
