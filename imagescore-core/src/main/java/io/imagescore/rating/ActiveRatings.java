package io.imagescore.rating;

import java.util.OptionalInt;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A per-image posterior over the mean 1–4 rating and the choice of the next image to rate.
 *
 * <p><b>Model.</b> Ratings of image i are r ~ N(q_i, σ_i²) with a Normal–Inverse-Gamma prior: σ_i² ~ IG(α₀, β₀) with
 * E[σ²] = β₀/(α₀ − 1) = {@link Options#raterSd}², and q_i | σ_i² ~ N(μ₀_i, σ_i²/κ₀). From the standardised prior
 * scores z, μ₀_i = clamp(2.5 + S·ρ·z_i, 1, 4) and κ₀ = raterSd² / (S²(1 − ρ²)), so the prior variance of q_i is
 * S²(1 − ρ²) (S: assumed sd of the images' true mean ratings, ρ: trust in the prior); an image without a prior
 * score (NaN), and every image of a constant prior, gets μ₀ = 2.5 and variance S². After n ratings with mean r̄
 * the conjugate update is κ = κ₀ + n, μ = (κ₀μ₀ + n·r̄)/κ, α = α₀ + n/2,
 * β = β₀ + ½Σ(r − r̄)² + κ₀·n·(r̄ − μ₀)²/(2κ), and Var[q_i] = β / ((α − 1)·κ): it falls with each rating and rises
 * again when raters disagree with each other or with the prior.
 *
 * <p><b>Selection.</b> The next image is the one with the largest Var[q_i] (the least certain), ties (within 1e-12
 * relative) broken by the fewest ratings, then uniformly by {@code rng}. Images in {@code exclude} are skipped.
 *
 * <p>Not thread-safe: callers serialise access (one instance per campaign).
 */
public final class ActiveRatings {
    /**
     * @param spread   S, the assumed sd of the images' true mean ratings on the 1–4 scale
     * @param trust    ρ ∈ [0, 1), the assumed correlation between the prior scores and the raters' means
     * @param raterSd  the expected sd of one rater's rating around the image's mean
     * @param shape    α₀ > 1, the weight of the prior on the rater noise (2: about two ratings' worth)
     */
    public record Options(double spread, double trust, double raterSd, double shape) {
        public static final Options DEFAULT = new Options(0.75, 0.5, 0.6, 2);

        public Options {
            if (!(spread > 0 && spread <= 3)) {
                throw new IllegalArgumentException("spread must be in (0, 3], got " + spread);
            }
            PriorScores.checkTrust(trust);
            if (!(raterSd > 0 && raterSd <= 3)) {
                throw new IllegalArgumentException("raterSd must be in (0, 3], got " + raterSd);
            }
            if (!(shape > 1 && shape < 1e6)) {
                throw new IllegalArgumentException("shape must be in (1, 1e6), got " + shape);
            }
        }
    }

    public static final int MIN_RATING = 1;
    public static final int MAX_RATING = 4;

    private final Options options;
    private final double[] priorMean;
    private final double[] kappa0;
    private final double beta0;
    private final int[] count;
    private final double[] sum;
    private final double[] sumSq;

    private ActiveRatings(double[] z, Options options) {
        this.options = options;
        int n = z.length;
        priorMean = new double[n];
        double s = options.spread();
        double rho = options.trust();
        kappa0 = new double[n];
        double noise = options.raterSd() * options.raterSd();
        for (int i = 0; i < n; i++) {
            boolean known = !Double.isNaN(z[i]);
            priorMean[i] = known ? Math.clamp(2.5 + s * rho * z[i], MIN_RATING, MAX_RATING) : 2.5;
            kappa0[i] = noise / (s * s * (known ? 1 - rho * rho : 1));
        }
        beta0 = options.raterSd() * options.raterSd() * (options.shape() - 1);
        count = new int[n];
        sum = new double[n];
        sumSq = new double[n];
    }

    /** A posterior seeded by {@code priorScores} (any scale; NaN for an unscored item) with the default options. */
    public static ActiveRatings seeded(double[] priorScores) {
        return seeded(priorScores, Options.DEFAULT);
    }

    public static ActiveRatings seeded(double[] priorScores, Options options) {
        return new ActiveRatings(PriorScores.standardise(priorScores), options);
    }

    /** {@code n} images with the flat prior (every image's prior mean 2.5). */
    public static ActiveRatings flat(int n) {
        return new ActiveRatings(PriorScores.flat(n), Options.DEFAULT);
    }

    public int size() {
        return priorMean.length;
    }

    public Options options() {
        return options;
    }

    public void record(int item, int rating) {
        if (item < 0 || item >= size()) {
            throw new IllegalArgumentException("item " + item + " outside 0.." + (size() - 1));
        }
        if (rating < MIN_RATING || rating > MAX_RATING) {
            throw new IllegalArgumentException("rating must be in " + MIN_RATING + ".." + MAX_RATING + ", got " + rating);
        }
        count[item]++;
        sum[item] += rating;
        sumSq[item] += (double) rating * rating;
    }

    /** How many ratings each image has. A copy. */
    public int[] ratings() {
        return count.clone();
    }

    /** Posterior means of the images' mean ratings (1–4). */
    public double[] means() {
        double[] m = new double[size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = (kappa0[i] * priorMean[i] + sum[i]) / (kappa0[i] + count[i]);
        }
        return m;
    }

    /** Posterior variances Var[q_i] = β / ((α − 1)·κ). */
    public double[] variances() {
        double[] v = new double[size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = variance(i);
        }
        return v;
    }

    private double variance(int i) {
        int n = count[i];
        double kappa = kappa0[i] + n;
        double alpha = options.shape() + n / 2.0;
        double beta = beta0;
        if (n > 0) {
            double mean = sum[i] / n;
            beta += 0.5 * Math.max(sumSq[i] - n * mean * mean, 0)
                    + kappa0[i] * n * (mean - priorMean[i]) * (mean - priorMean[i]) / (2 * kappa);
        }
        return beta / ((alpha - 1) * kappa);
    }

    /** The image whose mean rating is least certain, not in {@code exclude}; empty when every image is excluded. */
    public OptionalInt next(RandomGenerator rng, Set<Integer> exclude) {
        Set<Integer> skip = exclude == null ? Set.of() : exclude;
        int best = -1;
        double bestVar = Double.NEGATIVE_INFINITY;
        int ties = 0;
        for (int i = 0; i < size(); i++) {
            if (skip.contains(i)) {
                continue;
            }
            double v = variance(i);
            double tol = best < 0 ? 0 : 1e-12 * Math.max(Math.abs(v), Math.abs(bestVar));
            boolean better = best < 0 || v > bestVar + tol || (v >= bestVar - tol && count[i] < count[best]);
            if (better) {
                best = i;
                bestVar = v;
                ties = 1;
            } else if (v >= bestVar - tol && count[i] == count[best] && rng.nextInt(++ties) == 0) {
                best = i;
                bestVar = v;
            }
        }
        return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
    }
}
