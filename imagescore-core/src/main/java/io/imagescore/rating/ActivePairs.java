package io.imagescore.rating;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A Bradley–Terry posterior over {@code n} items and the choice of the next pair to show a rater.
 *
 * <p><b>Model.</b> Each item has a latent score s_i (logit units); a rater shown (a, b) answers FIRST, SECOND or TIE
 * with the probabilities of {@link BradleyTerry} (Rao–Kupper ties with margin ε). The posterior is kept as
 * independent normals N(μ_i, v_i) updated by assumed-density filtering (TrueSkill-style moment matching): for a
 * judgement on (a, b) the difference d = s_a − s_b has prior N(m, v), m = μ_a − μ_b, v = v_a + v_b; the tilted
 * density N(d; m, v)·P(y | d) is integrated numerically (Gauss–Hermite) for its mean m' and variance v', and since the
 * likelihood depends on d only, the exact moment-matched marginals of the two-item posterior are
 * μ_a += (v_a / v)(m' − m), μ_b −= (v_b / v)(m' − m), v_x += (v_x / v)²(v' − v) for x ∈ {a, b}; the
 * correlation between a and b that the update creates is dropped (diagonal ADF). {@link #refit} replaces this
 * one-pass posterior by the Laplace approximation over every judgement so far (the rater page does after replaying
 * its log).
 *
 * <p><b>Prior.</b> With z the standardised prior scores, s_i = S·(ρ·z_i + √(1 − ρ²)·e_i), e_i ~ N(0, 1): μ_i = S·ρ·z_i,
 * v_i = S²·(1 − ρ²), where S is the assumed spread (sd) of true scores and ρ ∈ [0, 1) the trust in the prior (its
 * assumed correlation with the raters' order). An item without a prior score (NaN), and every item of a constant
 * prior, gets the flat prior N(0, S²). With {@link Options#estimateSpread} every {@link #refit} first sets S to the
 * maximum of the ADF approximation of the judgements' marginal likelihood times a weak hyperprior at the configured S
 * ({@link #spreadObjective}; docs/rating.md), a function of the judgements in their order only.
 *
 * <p><b>Selection.</b> The next pair maximises the mutual information between the answer Y and the two scores,
 * I(Y; s_a, s_b) = I(Y; d) = H(E_d[P(Y | d)]) − E_d[H(P(Y | d))], d ~ N(m, v) (BALD), the expected reduction of
 * the posterior's entropy; it is large for close pairs (|m| small) with uncertain scores (v large). With
 * {@link Selection#MARGINAL} (the default) v = v_a + v_b; with {@link Selection#JOINT} v = Σ_aa + Σ_bb − 2Σ_ab from
 * the full Laplace covariance after a {@link #refit} (kept by full-covariance ADF for judgements recorded after it),
 * so a pair whose order other answers already imply transitively looks less informative. Coverage:
 * while some item has never been compared, the pair contains the uncompared item of highest variance (ties by rng)
 * and its most informative partner. After coverage every pair is a candidate when n ≤ {@value #ALL_PAIRS_MAX} with
 * {@link Selection#MARGINAL}: the information of each pair is cached, recomputed for the pairs of the two items a
 * judgement changes and of the items a refit moved by more than {@value #STALE_TOLERANCE} (in mean or variance) since
 * their pairs were computed, and the pairs cached within twice the resulting bound of the best are recomputed before
 * choosing, so the choice is that of a full recompute; above that, and always with {@link Selection#JOINT} (a
 * judgement moves every item), the pairs within {@link Options#window} positions of each other in the current posterior-mean order (information
 * falls with |m|, so the best pairs are near each other in that order). The pair last recorded and the
 * caller's exclusions are never returned. Ties in information are broken uniformly by {@code rng}, so the sequence
 * is a function of the judgements and the seed.
 *
 * <p>Not thread-safe: callers serialise access (one instance per campaign).
 */
public final class ActivePairs {
    /**
     * @param spread    S, the assumed sd of the items' true scores in logits (1.5: the best and worst of a set differ
     *                  by ~6 logits, i.e. the better one is chosen with probability ~0.998); with
     *                  {@code estimateSpread} the start of the estimate and the centre of its hyperprior
     * @param trust     ρ ∈ [0, 1), the assumed correlation between the prior scores and the raters' order
     * @param tieMargin ε ≥ 0; P(tie | equal items) = 2σ(ε) − 1 (0.4 → ~0.2)
     * @param window    candidate pairs after coverage when n > {@value ActivePairs#ALL_PAIRS_MAX}: items at most this
     *                  many positions apart in mean order
     * @param estimateSpread whether {@link ActivePairs#refit} also estimates S from the judgements (empirical Bayes,
     *                  {@link ActivePairs#spread()}); otherwise S stays {@code spread}
     */
    public record Options(double spread, double trust, double tieMargin, int window, Selection selection,
                          boolean estimateSpread) {
        public static final Options DEFAULT = new Options(1.5, 0.5, 0.4, 16, Selection.MARGINAL, false);

        public Options {
            if (!(spread > 0 && spread < 100)) {
                throw new IllegalArgumentException("spread must be in (0, 100), got " + spread);
            }
            if (estimateSpread && !(spread >= ActivePairs.SPREAD_MIN && spread <= ActivePairs.SPREAD_MAX)) {
                throw new IllegalArgumentException("an estimated spread starts in [" + ActivePairs.SPREAD_MIN + ", "
                        + ActivePairs.SPREAD_MAX + "], got " + spread);
            }
            PriorScores.checkTrust(trust);
            if (!(tieMargin >= 0 && tieMargin < 10)) {
                throw new IllegalArgumentException("tieMargin must be in [0, 10), got " + tieMargin);
            }
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1, got " + window);
            }
            if (selection == null) {
                throw new IllegalArgumentException("selection must be given");
            }
        }

        /** The default selection rule ({@link Selection#MARGINAL}), S fixed. */
        public Options(double spread, double trust, double tieMargin, int window) {
            this(spread, trust, tieMargin, window, Selection.MARGINAL, false);
        }

        public Options withTrust(double trust) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }

        public Options withTieMargin(double tieMargin) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }

        public Options withSelection(Selection selection) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }

        public Options withWindow(int window) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }

        public Options withSpread(double spread) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }

        public Options withEstimateSpread(boolean estimateSpread) {
            return new Options(spread, trust, tieMargin, window, selection, estimateSpread);
        }
    }

    /** Which variance of the difference d = s_a − s_b the expected information of a pair is computed with. */
    public enum Selection {
        /**
         * v_a + v_b: the items' variances, as if independent (every pair a candidate up to 640 items). The default,
         * which the rater page uses: {@link #JOINT} was not better in the simulation (bench/README.md).
         */
        MARGINAL,
        /**
         * Σ_aa + Σ_bb − 2·Σ_ab from the full covariance Σ of the Laplace posterior ({@link ActivePairs#refit}; then
         * kept by full-covariance ADF until the next refit), up to {@value ActivePairs#ALL_PAIRS_MAX} items: the
         * correlations carry the transitive evidence (a ≻ b, b ≻ c make a ≻ c nearly certain, where the marginals
         * still overlap), so pairs whose order the other answers already imply stop looking informative. Candidates:
         * the pairs within {@link Options#window} positions in the order of means.
         */
        JOINT
    }

    /** Up to this many items every pair is a candidate, its information cached (n²/2 doubles: 1.6 MB at 640). */
    public static final int ALL_PAIRS_MAX = 640;

    /**
     * {@link Selection#MARGINAL}'s cache: an item's pairs are recomputed when its mean or its variance has moved by
     * more than this since they were (a refit moves every mean a little; recomputing all n²/2 pairs after each one
     * was ~240 ms at 500 items).
     */
    static final double STALE_TOLERANCE = 1e-3;

    /**
     * Upper bounds of |∂I/∂m| and |∂I/∂v| of {@link #information}, checked on a grid over |m| ≤ 12 and v = v_a + v_b
     * in [1e-6, 50] for ε = 0 and 0.4 by {@code ActivePairsTest.information_is_lipschitz_with_the_stated_constants}
     * (beyond the grid I flattens out: → 0 in |m|, slowly growing in v). With both items within the tolerance t of
     * the values a cached information was computed from, |m − m'| ≤ 2t and |v − v'| ≤ 2t, so the cached value is
     * within 2t·(L_M + L_V) of the current one.
     */
    static final double LIPSCHITZ_MEAN = 0.2;
    static final double LIPSCHITZ_VAR = 0.15;

    /**
     * The range an estimated spread S is kept in (logits): below 0.5 the best and worst of a set would be hard to tell
     * apart (a 4-sd gap is chosen with probability 0.88), above 10 the prior stops mattering against any answer.
     */
    public static final double SPREAD_MIN = 0.5;
    public static final double SPREAD_MAX = 10;
    /**
     * ν0, the weight of the hyperprior that keeps an estimated S near the configured S0 while the judgements say
     * little: log p(S) = −ν0·log S − ν0·S0² / (2S²), maximal at S0 (in log S about a normal of sd 1/√(2ν0) = 0.32
     * near S0, with a long tail to large S).
     */
    static final double SPREAD_PRIOR_WEIGHT = 5;
    /** Golden-section steps of the estimate over log S in [log 0.5, log 10]: the bracket ends 2·10⁻⁴ wide. */
    static final int SPREAD_STEPS = 20;

    private final Options options;
    /** The standardised prior scores (NaN: no prior score). */
    private final double[] z;
    /** The current S: the configured one, or the estimate of the last refit with {@link Options#estimateSpread}. */
    private double spread;
    /** How many judgements (the first ones recorded) the current S was estimated from; -1: not estimated. */
    private int estimatedOn = -1;
    private double[] priorMean;
    private double[] priorVar;
    private final BradleyTerryFit.Judgements judgements = new BradleyTerryFit.Judgements();
    private final double[] info;
    private final boolean[] stale;
    /** The mean and variance of each item that its pairs' cached {@link #info} was computed from. */
    private final double[] cachedMean;
    private final double[] cachedVar;
    /** See {@link #STALE_TOLERANCE}; 0 recomputes every pair of an item that moved at all (tests compare with it). */
    private double staleTolerance = STALE_TOLERANCE;
    /** Pair informations computed into the cache so far (tests). */
    private long computed;
    private final double[] mean;
    private final double[] var;
    private final int[] comparisons;
    private Pair last;
    /**
     * {@link Selection#JOINT}: the posterior covariance, n × n row-major, from the last {@link #refit} and the
     * judgements recorded since (full-covariance ADF); null before the first refit (or when n is too large), when
     * the diagonal {@link #var} stands in for it.
     */
    private double[] cov;

    private ActivePairs(double[] z, Options options) {
        this.options = options;
        int n = z.length;
        mean = new double[n];
        var = new double[n];
        comparisons = new int[n];
        info = n <= ALL_PAIRS_MAX && options.selection() == Selection.MARGINAL ? new double[n * (n - 1) / 2] : null;
        stale = new boolean[n];
        Arrays.fill(stale, true);
        cachedMean = new double[n];
        cachedVar = new double[n];
        this.z = z;
        setPrior(options.spread());
        System.arraycopy(priorMean, 0, mean, 0, n);
        System.arraycopy(priorVar, 0, var, 0, n);
    }

    /** Makes the prior that of spread {@code s} (see {@link #prior}). */
    private void setPrior(double s) {
        double[][] p = prior(s);
        priorMean = p[0];
        priorVar = p[1];
        spread = s;
    }

    /** The prior of every item for spread {@code s}: N(s·ρ·z_i, s²(1 − ρ²)), or N(0, s²) without a prior score. */
    private double[][] prior(double s) {
        int n = z.length;
        double rho = options.trust();
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            boolean known = !Double.isNaN(z[i]);
            m[i] = known ? s * rho * z[i] : 0;
            v[i] = known ? s * s * (1 - rho * rho) : s * s;
        }
        return new double[][] {m, v};
    }

    /** A posterior seeded by {@code priorScores} (any scale; NaN for an unscored item) with the default options. */
    public static ActivePairs seeded(double[] priorScores) {
        return seeded(priorScores, Options.DEFAULT);
    }

    public static ActivePairs seeded(double[] priorScores, Options options) {
        return new ActivePairs(PriorScores.standardise(priorScores), options);
    }

    /** {@code n} items with the flat prior N(0, S²). */
    public static ActivePairs flat(int n) {
        return flat(n, Options.DEFAULT);
    }

    public static ActivePairs flat(int n, Options options) {
        return new ActivePairs(PriorScores.flat(n), options);
    }

    public int size() {
        return mean.length;
    }

    /** Posterior means μ_i (logits; higher = better). A copy. */
    public double[] means() {
        return mean.clone();
    }

    /**
     * The posterior covariance of s_a and s_b: with {@link Selection#JOINT} after a {@link #refit}, the full
     * covariance's entry; otherwise v_a when a = b and 0 (independent) when not.
     */
    public double covariance(int a, int b) {
        if (cov != null) {
            return cov[a * size() + b];
        }
        return a == b ? var[a] : 0;
    }

    /** Posterior variances v_i (with {@link Selection#JOINT} after a refit, the diagonal of the covariance). A copy. */
    public double[] variances() {
        return var.clone();
    }

    /** How many judgements involved each item. A copy. */
    public int[] comparisons() {
        return comparisons.clone();
    }

    public Options options() {
        return options;
    }

    /**
     * The spread S of the current prior (logits): {@link Options#spread} unless {@link Options#estimateSpread}, then
     * the estimate of the last {@link #refit} (see there).
     */
    public double spread() {
        return spread;
    }

    /** Updates the posterior with one judgement (assumed-density filtering, see the class comment). */
    public void record(PairJudgement j) {
        int a = j.first();
        int b = j.second();
        if (a >= size() || b >= size()) {
            throw new IllegalArgumentException("judgement on items " + a + ", " + b + " outside 0.." + (size() - 1));
        }
        int n = size();
        double m = mean[a] - mean[b];
        double v = cov != null ? cov[a * n + a] + cov[b * n + b] - 2 * cov[a * n + b] : var[a] + var[b];
        v = Math.max(v, 1e-12);
        double[] tilted = tilt(j.outcome(), m, v, options.tieMargin());
        double dm = tilted[1];
        double dv = tilted[2];
        if (cov != null) {
            // Full-covariance ADF: with g = Σ(e_a − e_b), μ += g·dm/v and Σ += g·gᵀ·dv/v² (every item correlated
            // with a or b moves too).
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = cov[i * n + a] - cov[i * n + b];
            }
            double gm = dm / v;
            double gv = dv / (v * v);
            for (int i = 0; i < n; i++) {
                mean[i] += g[i] * gm;
                double gi = g[i] * gv;
                int row = i * n;
                for (int k = 0; k < n; k++) {
                    cov[row + k] += gi * g[k];
                }
                var[i] = Math.max(cov[row + i], 1e-9);
            }
        } else {
            adf(mean, var, a, b, v, dm, dv);
        }
        comparisons[a]++;
        comparisons[b]++;
        judgements.add(a, b, j.outcome());
        stale[a] = true;
        stale[b] = true;
        last = Pair.of(a, b);
    }

    /**
     * The tilted density N(d; m, v)·P(y | d) by Gauss–Hermite quadrature: {its mass Z = E[P(y | d)], m' − m, v' − v}
     * with m', v' its mean and variance.
     */
    private static double[] tilt(PairOutcome y, double m, double v, double tieMargin) {
        double sd = Math.sqrt(v);
        GaussHermite q = GaussHermite.UPDATE;
        double z0 = 0;
        double z1 = 0;
        double z2 = 0;
        for (int k = 0; k < q.size(); k++) {
            double t = q.node(k);
            double w = q.weight(k) * BradleyTerry.likelihood(y, m + sd * t, tieMargin);
            z0 += w;
            z1 += w * t;
            z2 += w * t * t;
        }
        // Moments of the tilted density in units of the prior's sd: d = m + sd·t.
        double tMean = z1 / z0;
        double tVar = Math.max(z2 / z0 - tMean * tMean, 0);
        return new double[] {z0, sd * tMean, v * (tVar - 1)};
    }

    /** The diagonal ADF update of a and b by the tilted moments of their difference (v = v_a + v_b). */
    private static void adf(double[] mean, double[] var, int a, int b, double v, double dm, double dv) {
        double ka = var[a] / v;
        double kb = var[b] / v;
        mean[a] += ka * dm;
        mean[b] -= kb * dm;
        // Floors keep a variance positive after many agreeing judgements (quadrature error at extreme ratios).
        var[a] = Math.max(var[a] + ka * ka * dv, 1e-9);
        var[b] = Math.max(var[b] + kb * kb * dv, 1e-9);
    }

    /**
     * The log marginal likelihood of the first {@code count} judgements under the prior of spread {@code s}, by one
     * diagonal ADF pass in the order recorded: log p(y | S) = Σ_j log p(y_j | y_1..y_{j−1}, S) ≈ Σ_j log Z_j, Z_j the mass of the tilted
     * density of judgement j under the ADF posterior of the judgements before it (the predictive probability of its
     * answer).
     */
    double logEvidence(double s, int count) {
        double[][] p = prior(s);
        double[] m = p[0];
        double[] v = p[1];
        double sum = 0;
        for (int j = 0; j < count; j++) {
            int a = judgements.first(j);
            int b = judgements.second(j);
            double vd = Math.max(v[a] + v[b], 1e-12);
            double[] tilted = tilt(judgements.outcome(j), m[a] - m[b], vd, options.tieMargin());
            sum += Math.log(predictive(judgements.outcome(j), m[a] - m[b], vd, options.tieMargin(), tilted[0]));
            adf(m, v, a, b, vd, tilted[1], tilted[2]);
        }
        return sum;
    }

    /**
     * Nodes and weights of E[g(L)] for L standard logistic and g smooth: the trapezoid rule with step ¾ on [−21, 21]
     * (57 nodes). For an analytic integrand that decays at both ends the trapezoid rule converges geometrically: the
     * logistic density's nearest poles at ±iπ bound the error by ~e^(−2π²/h) ≈ 4e-12 at h = ¾, and the cut tails
     * hold 2e^(−21) ≈ 2e-9.
     */
    private static final double[] LOGISTIC_NODES = new double[57];
    private static final double[] LOGISTIC_WEIGHTS = new double[57];

    static {
        for (int k = 0; k < LOGISTIC_NODES.length; k++) {
            double l = -21 + 0.75 * k;
            double p = BradleyTerry.sigmoid(l);
            LOGISTIC_NODES[k] = l;
            LOGISTIC_WEIGHTS[k] = 0.75 * p * (1 - p);
        }
    }

    /**
     * P(y) = E[P(y | d)] for d ~ N(m, v). For sd ≤ 2 the Gauss–Hermite mass {@code hermite} of {@link #tilt} (error
     * ~1e-6 there); wider, a tie's narrow likelihood falls between the Gauss–Hermite nodes (0.064 off in log at sd
     * 8.6), so the mass is taken from the logistic side: E[σ(x)] for x ~ N(μ, s²) is P(L ≤ x) = E_L[Φ((μ − L)/s)], L
     * standard logistic, whose integrand is smooth on the scale s ≥ 2; P(FIRST) = E[σ(d − ε)], P(SECOND) =
     * E[σ(−d − ε)], P(TIE) the rest.
     */
    static double predictive(PairOutcome y, double m, double v, double eps, double hermite) {
        double sd = Math.sqrt(v);
        if (sd <= 2) {
            return hermite;
        }
        double first = logisticNormal(m - eps, sd);
        double second = logisticNormal(-m - eps, sd);
        return switch (y) {
            case FIRST -> first;
            case SECOND -> second;
            case TIE -> Math.max(1 - first - second, Double.MIN_NORMAL);
        };
    }

    /** E[σ(x)], x ~ N(mu, sd²), as E_L[Φ((mu − L)/sd)]. */
    private static double logisticNormal(double mu, double sd) {
        double sum = 0;
        for (int k = 0; k < LOGISTIC_NODES.length; k++) {
            sum += LOGISTIC_WEIGHTS[k] * 0.5 * erfc((LOGISTIC_NODES[k] - mu) / (sd * Math.sqrt(2)));
        }
        return sum;
    }

    /**
     * The complementary error function by the Chebyshev fit of Numerical Recipes (erfcc; relative error below
     * 1.2e-7 everywhere): one exp, where Hipparchus' Erf goes through the incomplete gamma function (~20× slower).
     */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /**
     * What the estimate of S maximises: {@link #logEvidence} plus the hyperprior, −ν0·log S − ν0·S0² / (2S²).
     */
    double spreadObjective(double s, int count) {
        double s0 = options.spread();
        return logEvidence(s, count) - SPREAD_PRIOR_WEIGHT * (Math.log(s) + s0 * s0 / (2 * s * s));
    }

    /**
     * How many of the first judgements S is estimated from when there are {@code judgements}: all of them below 100,
     * then the count rounded down to two significant digits (a new estimate every 10 judgements from 100, every 100
     * from 1,000, every 1,000 from 10,000), so the estimate's cost, 22 passes over the judgements, is paid about
     * once per 1–10 % of new judgements rather than after each one. Still a function of the judgements in order.
     */
    static int estimateCount(int judgements) {
        int unit = 1;
        while (judgements / unit >= 100) {
            unit *= 10;
        }
        return judgements / unit * unit;
    }

    /**
     * The empirical-Bayes S from the first {@code count} judgements: the maximum of {@link #spreadObjective} over
     * [{@value #SPREAD_MIN}, {@value #SPREAD_MAX}], by {@value #SPREAD_STEPS} golden-section steps over log S from that whole range. A
     * function of the judgements in their order only (not of the current S, the means or when refits ran), so a
     * posterior refitted after every answer and one rebuilt from the log reach the same S bit for bit.
     */
    private double estimateSpread(int count) {
        double ratio = (Math.sqrt(5) - 1) / 2;
        double lo = Math.log(SPREAD_MIN);
        double hi = Math.log(SPREAD_MAX);
        double x1 = hi - ratio * (hi - lo);
        double x2 = lo + ratio * (hi - lo);
        double f1 = spreadObjective(Math.exp(x1), count);
        double f2 = spreadObjective(Math.exp(x2), count);
        for (int k = 0; k < SPREAD_STEPS; k++) {
            if (f1 >= f2) {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - ratio * (hi - lo);
                f1 = spreadObjective(Math.exp(x1), count);
            } else {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + ratio * (hi - lo);
                f2 = spreadObjective(Math.exp(x2), count);
            }
        }
        return Math.clamp(Math.exp((lo + hi) / 2), SPREAD_MIN, SPREAD_MAX);
    }

    /**
     * Replaces the posterior by its Laplace approximation: the means become the maximum a posteriori scores given
     * the prior and every judgement recorded so far ({@link BradleyTerryFit}); with {@link Selection#MARGINAL} each
     * variance is 1 / (the diagonal of the negative Hessian there), with {@link Selection#JOINT} (up to
     * {@value #ALL_PAIRS_MAX} items) the covariance is the inverse of the whole negative Hessian (O(n³)). Unlike the
     * one-pass ADF updates of {@link #record}, this lets every judgement act through every other (a ≻ b and b ≻ c
     * move a relative to c whatever their order). Later judgements are again added by ADF until the next refit. Cost
     * O(judgements) per conjugate-gradient iteration. With {@link Options#estimateSpread} the prior's S is first
     * re-estimated ({@link #estimateSpread}: 22 ADF passes) from the first {@link #estimateCount} judgements, when
     * that count changed since the last estimate.
     */
    public void refit() {
        if (judgements.size() == 0) {
            return;
        }
        if (options.estimateSpread()) {
            int count = estimateCount(judgements.size());
            if (count != estimatedOn) {
                setPrior(estimateSpread(count));
                estimatedOn = count;
            }
        }
        double[] precision = new double[size()];
        double[] map = BradleyTerryFit.fit(mean, priorMean, priorVar, judgements, options.tieMargin(), precision);
        int n = size();
        if (options.selection() == Selection.JOINT && n <= ALL_PAIRS_MAX) {
            cov = BradleyTerryFit.covariance(map, priorVar, judgements, options.tieMargin());
        }
        for (int i = 0; i < n; i++) {
            mean[i] = map[i];
            var[i] = cov != null ? cov[i * n + i] : 1 / precision[i];
        }
        // the pairs' cached information is refreshed by the items that moved more than the tolerance (refresh)
    }

    /**
     * The most informative pair not in {@code exclude} and not the pair last recorded (see the class comment), or
     * empty when no such pair exists.
     */
    public Optional<Pair> next(RandomGenerator rng, Set<Pair> exclude) {
        int n = size();
        if (n < 2) {
            return Optional.empty();
        }
        Set<Pair> skip = exclude == null ? Set.of() : exclude;
        refresh();
        Best best = new Best(rng);
        // Coverage: the uncompared items by decreasing variance (ties in random order), first with an allowed partner.
        for (int a : uncoveredByVariance(rng)) {
            for (int b = 0; b < n; b++) {
                if (b != a) {
                    offer(best, a, b, skip);
                }
            }
            if (best.pair != null) {
                return Optional.of(best.pair);
            }
        }
        if (info != null) {
            return Optional.ofNullable(bestCached(rng, skip));
        }
        int[] order = byMean();
        int window = options.window();
        for (int r = 0; r < n; r++) {
            for (int k = r + 1; k <= Math.min(n - 1, r + window); k++) {
                offer(best, order[r], order[k], skip);
            }
        }
        if (best.pair == null && window < n - 1) {
            // Every nearby pair is excluded: look at the rest.
            for (int r = 0; r < n; r++) {
                for (int k = r + window + 1; k < n; k++) {
                    offer(best, order[r], order[k], skip);
                }
            }
        }
        return Optional.ofNullable(best.pair);
    }

    /**
     * The most informative allowed pair by the current posterior, found from the cache: every cached value is within
     * {@link #staleBound} of the current one, so no pair cached below (best allowed cached value − 2·bound) can be
     * the current maximum; the pairs above it are recomputed from the current posterior, and the best of them is
     * taken, ties (within 1e-12 relative) by one draw among all the tied pairs, so that neither which pairs were near
     * the top in the cache nor the order they were met in changes the draw: the choice equals that of a full
     * recompute (up to the fit's own tolerance).
     */
    private Pair bestCached(RandomGenerator rng, Set<Pair> skip) {
        int n = size();
        double top = Double.NEGATIVE_INFINITY;
        for (int b = 1; b < n; b++) {
            int row = b * (b - 1) / 2;
            for (int a = 0; a < b; a++) {
                double v = info[row + a];
                if (v > top && allowed(a, b, skip)) {
                    top = v;
                }
            }
        }
        if (top == Double.NEGATIVE_INFINITY) {
            return null;
        }
        double floor = top - 2 * staleBound() - 1e-12 * Math.abs(top);
        List<Pair> near = new ArrayList<>();
        List<Double> fresh = new ArrayList<>();
        double max = Double.NEGATIVE_INFINITY;
        for (int b = 1; b < n; b++) {
            int row = b * (b - 1) / 2;
            for (int a = 0; a < b; a++) {
                if (info[row + a] >= floor && allowed(a, b, skip)) {
                    double v = information(a, b);
                    near.add(Pair.of(a, b));
                    fresh.add(v);
                    max = Math.max(max, v);
                }
            }
        }
        List<Pair> tied = new ArrayList<>();
        for (int k = 0; k < near.size(); k++) {
            if (fresh.get(k) >= max - 1e-12 * Math.abs(max)) {
                tied.add(near.get(k));
            }
        }
        return tied.size() == 1 ? tied.getFirst() : tied.get(rng.nextInt(tied.size()));
    }

    private boolean allowed(int a, int b, Set<Pair> skip) {
        Pair p = Pair.of(a, b);
        return !p.equals(last) && !skip.contains(p);
    }

    /** The most a cached information can differ from the current posterior's (see {@link #LIPSCHITZ_MEAN}). */
    double staleBound() {
        return 2 * staleTolerance * (LIPSCHITZ_MEAN + LIPSCHITZ_VAR);
    }

    /**
     * Recomputes the cached information of the pairs of every item whose mean or variance moved by more than the
     * tolerance since its pairs were computed (drift accumulates against those values, so the staleness stays
     * bounded however many refits pass), from the values they are cached with.
     */
    private void refresh() {
        if (info == null) {
            return;
        }
        int n = size();
        for (int x = 0; x < n; x++) {
            if (Math.abs(mean[x] - cachedMean[x]) > staleTolerance || Math.abs(var[x] - cachedVar[x]) > staleTolerance) {
                stale[x] = true;
            }
            if (stale[x]) {
                cachedMean[x] = mean[x];
                cachedVar[x] = var[x];
            }
        }
        for (int x = 0; x < n; x++) {
            if (stale[x]) {
                for (int y = 0; y < n; y++) {
                    // a pair of two stale items is computed once, in the pass of its smaller item
                    if (y != x && !(stale[y] && y < x)) {
                        info[slot(x, y)] = information(cachedMean[x] - cachedMean[y], cachedVar[x] + cachedVar[y]);
                        computed++;
                    }
                }
            }
        }
        Arrays.fill(stale, false);
    }

    /** Tests: recompute every pair of an item that moved at all (a full recompute), or back to the default. */
    void staleTolerance(double tolerance) {
        staleTolerance = tolerance;
    }

    /** Tests: the cached information of (a, b) as the next {@link #next} would see it before rechecking. */
    double cachedInformation(int a, int b) {
        refresh();
        return info[slot(a, b)];
    }

    /** Tests: pair informations computed into the cache so far. */
    long computedPairs() {
        return computed;
    }

    private static int slot(int a, int b) {
        int lo = Math.min(a, b);
        int hi = Math.max(a, b);
        return hi * (hi - 1) / 2 + lo;
    }

    /** I(Y; s_a, s_b) in nats under the current posterior (see the class comment). */
    public double information(int a, int b) {
        int n = size();
        return information(mean[a] - mean[b], cov != null ? cov[a * n + a] + cov[b * n + b] - 2 * cov[a * n + b]
                : var[a] + var[b]);
    }

    /** I(Y; d) in nats for d ~ N(m, v). */
    double information(double m, double v) {
        double sd = Math.sqrt(Math.max(v, 1e-12));
        double eps = options.tieMargin();
        GaussHermite q = GaussHermite.SELECT;
        double pf = 0;
        double ps = 0;
        double condEntropy = 0;
        for (int k = 0; k < q.size(); k++) {
            double d = m + sd * q.node(k);
            double f = BradleyTerry.sigmoid(d - eps);
            double s = BradleyTerry.sigmoid(-d - eps);
            double w = q.weight(k);
            pf += w * f;
            ps += w * s;
            condEntropy += w * BradleyTerry.entropy(f, s, Math.max(1 - f - s, 0));
        }
        return BradleyTerry.entropy(pf, ps, Math.max(1 - pf - ps, 0)) - condEntropy;
    }

    private void offer(Best best, int a, int b, Set<Pair> skip) {
        double v = information(a, b);
        if (!best.couldTake(v)) {
            return;
        }
        Pair p = Pair.of(a, b);
        if (!p.equals(last) && !skip.contains(p)) {
            best.offer(p, v);
        }
    }

    private Integer[] uncoveredByVariance(RandomGenerator rng) {
        int n = size();
        int count = 0;
        for (int c : comparisons) {
            if (c == 0) {
                count++;
            }
        }
        if (count == 0) {
            return new Integer[0];
        }
        Integer[] items = new Integer[count];
        double[] key = new double[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (comparisons[i] == 0) {
                items[k++] = i;
                key[i] = rng.nextDouble();
            }
        }
        Arrays.sort(items, (x, y) -> var[x] != var[y] ? Double.compare(var[y], var[x]) : Double.compare(key[x], key[y]));
        return items;
    }

    private int[] byMean() {
        Integer[] idx = new Integer[size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> Double.compare(mean[x], mean[y]));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    /** Running argmax with ties (within 1e-12 relative) broken uniformly at random (reservoir sampling). */
    static final class Best {
        private final RandomGenerator rng;
        Pair pair;
        private double value = Double.NEGATIVE_INFINITY;
        private int ties;

        Best(RandomGenerator rng) {
            this.rng = rng;
        }

        boolean couldTake(double v) {
            return pair == null || v >= value - 1e-12 * Math.max(Math.abs(value), Math.abs(v));
        }

        void offer(Pair p, double v) {
            double tol = pair == null ? 0 : 1e-12 * Math.max(Math.abs(value), Math.abs(v));
            if (pair == null || v > value + tol) {
                pair = p;
                value = v;
                ties = 1;
            } else if (v >= value - tol && rng.nextInt(++ties) == 0) {
                pair = p;
            }
        }
    }
}
