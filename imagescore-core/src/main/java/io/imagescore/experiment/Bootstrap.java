package io.imagescore.experiment;

import io.imagescore.score.CallScope;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap over images, reproducible from its seed: resample r draws n indices with
 * {@code SplittableRandom(seed).nextInt(n)} in sequence (resample 0 first), so two statistics bootstrapped with the same
 * seed and n see the same resamples — that is what makes a difference of two variants' statistics a paired bootstrap.
 * Resamples whose statistic is not finite (e.g. a correlation of a constant resample) are left out; the interval is
 * the linear-interpolated percentiles (numpy's default) of the rest.
 *
 * @param resamples  number of resamples
 * @param seed       seed of the index sequence
 * @param confidence e.g. 0.95
 */
public record Bootstrap(int resamples, long seed, double confidence) {

    public static final int MAX_RESAMPLES = 10_000;

    /** A point estimate with its bootstrap interval; {@code resamples} = how many resamples gave a finite value. */
    public record Interval(double estimate, double low, double high, int resamples) {
    }

    public Bootstrap {
        if (resamples < 1 || resamples > MAX_RESAMPLES) {
            throw new IllegalArgumentException("resamples must be in [1, " + MAX_RESAMPLES + "], got " + resamples);
        }
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
    }

    /**
     * @param n         sample size
     * @param statistic the statistic of a resample, given its n indices (the array is reused between calls)
     */
    public Interval interval(int n, ToDoubleFunction<int[]> statistic) {
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        double estimate = statistic.applyAsDouble(all);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] values = new double[resamples];
        int finite = 0;
        int[] idx = new int[n];
        CallScope scope = CallScope.of(null); // the current gRPC call's cancellation and deadline; never set outside a call
        for (int r = 0; r < resamples; r++) {
            if ((r & 63) == 0) {
                scope.check("bootstrap resample " + r);
            }
            for (int i = 0; i < n; i++) {
                idx[i] = rng.nextInt(n);
            }
            double v = statistic.applyAsDouble(idx);
            if (Double.isFinite(v)) {
                values[finite++] = v;
            }
        }
        if (finite == 0) {
            return new Interval(estimate, Double.NaN, Double.NaN, 0);
        }
        Arrays.sort(values, 0, finite);
        double alpha = (1 - confidence) / 2;
        return new Interval(estimate, quantile(values, finite, alpha), quantile(values, finite, 1 - alpha), finite);
    }

    /** The q-quantile of the first m sorted values, linearly interpolated between order statistics. */
    static double quantile(double[] sorted, int m, double q) {
        double pos = q * (m - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, m - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** {@code values} at {@code idx}. */
    public static double[] pick(double[] values, int[] idx) {
        double[] out = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = values[idx[i]];
        }
        return out;
    }
}
