package io.imagescore.image;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * When the vectorised resampler passes may serve calls. Cold, the Vector API runs interpreted or in C1 code that boxes
 * every vector: a fresh server's first Score spent 1.3–4.1 s in them where the scalar passes took 0.3 s (bench/README.md,
 * "Cold start"). Both give the same bytes ({@code PillowResamplerTest}), so calls use the scalar passes until a
 * background thread has run both on a synthetic image until the vector passes are compiled and faster than the scalar
 * ones; from then on calls use the vector passes. The thread starts with the first resize, works at most half of one
 * core (it sleeps as long as it ran) and gives up after {@link #BOUND_NANOS} (then the scalar passes stay).
 */
final class VectorWarmUp {
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Rounds in a row in which the vector passes must beat the scalar passes' best time. */
    private static final int WINS_NEEDED = 5;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean warm;

    private VectorWarmUp() {
    }

    /** Whether calls should use the vector passes now; the first call starts the warm-up. */
    static boolean warm() {
        if (!warm && STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().name("resampler-warm-up").daemon().start(VectorWarmUp::run);
        }
        return warm;
    }

    private static void run() {
        RgbImage image = synthetic(640, 480);
        long scalarBest = Long.MAX_VALUE;
        int wins = 0;
        long end = System.nanoTime() + BOUND_NANOS;
        try {
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                PillowResampler.resize(image, 224, 168, false);
                long t1 = System.nanoTime();
                PillowResampler.resize(image, 224, 168, true);
                long t2 = System.nanoTime();
                scalarBest = Math.min(scalarBest, t1 - t0);
                wins = t2 - t1 < scalarBest ? wins + 1 : 0;
                if (wins >= WINS_NEEDED) {
                    warm = true;
                    return;
                }
                TimeUnit.NANOSECONDS.sleep(t2 - t0); // at most half a core: the first requests run beside it
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A deterministic image with edges and gradients (content does not matter for the timing, only its size). */
    private static RgbImage synthetic(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + (i / (w * 3)) * 7);
        }
        return new RgbImage(w, h, px);
    }
}
