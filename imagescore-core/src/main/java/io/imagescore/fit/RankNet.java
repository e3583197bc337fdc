package io.imagescore.fit;

import io.imagescore.eval.Metrics;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * RankNet (Burges et al. 2005): a score s = f(x), linear or one ReLU hidden layer, trained on comparisons with the
 * cross-entropy of σ(s_a − s_b) against P(a better than b) ∈ {0, 0.5, 1} plus an L2 penalty; images are sorted by s.
 * Full-batch L-BFGS: the loss only needs the per-image gradient dL/ds, so one forward/backward pass over the images
 * serves every pair. Hidden weights start from a seeded He initialisation, so the same seed gives the same weights.
 */
public final class RankNet {
    /** Penalty grid for CV. */
    static final double[] LAMBDAS = {1e-3, 1e-2, 1e-1, 1};
    /** All pairs of a rating set up to this many; beyond, a seeded sample of this size. */
    public static final int MAX_PAIRS = 200_000;

    private RankNet() {
    }

    /** hidden = 0: linear. */
    public record Options(int hidden, double lambda, long seed, int maxIterations) {
    }

    /** Layers on raw features, ReLU between them; the last has one output. */
    public record Model(List<Layer> layers) {
        public double score(double[] x) {
            double[] a = x;
            for (int li = 0; li < layers.size(); li++) {
                Layer l = layers.get(li);
                double[] out = new double[l.out()];
                for (int o = 0; o < l.out(); o++) {
                    double s = l.bias()[o];
                    int row = o * l.in();
                    for (int j = 0; j < l.in(); j++) {
                        s += l.weight()[row + j] * a[j];
                    }
                    out[o] = li < layers.size() - 1 ? Math.max(0, s) : s;
                }
                a = out;
            }
            return a[0];
        }
    }

    public record Layer(double[] weight, double[] bias, int out, int in) {
    }

    public record Selection(double lambda, double[] lambdas, double[] cvPairwiseAccuracy) {
    }

    /** Every pair i &lt; j of a rating set (a sample of {@link #MAX_PAIRS} beyond that); |Δ| ≤ tieMargin is a tie. */
    public static List<Metrics.Pair> pairsFromRatings(double[] ratings, double tieMargin, long seed) {
        int n = ratings.length;
        long all = (long) n * (n - 1) / 2;
        List<Metrics.Pair> pairs = new ArrayList<>();
        if (all <= MAX_PAIRS) {
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    pairs.add(pair(ratings, i, j, tieMargin));
                }
            }
        } else {
            Random r = new Random(seed);
            while (pairs.size() < MAX_PAIRS) {
                int i = r.nextInt(n);
                int j = r.nextInt(n);
                if (i != j) {
                    pairs.add(pair(ratings, i, j, tieMargin));
                }
            }
        }
        return pairs;
    }

    private static Metrics.Pair pair(double[] r, int i, int j, double margin) {
        double d = r[i] - r[j];
        return new Metrics.Pair(i, j, d > margin ? 1 : d < -margin ? 0 : 0.5);
    }

    public static Model fit(double[][] x, List<Metrics.Pair> pairs, Options o) {
        Standardizer std = Standardizer.of(x);
        DMatrixRMaj z = new DMatrixRMaj(std.apply(x));
        int d = x[0].length;
        int h = o.hidden();
        double[] theta;
        if (h == 0) {
            theta = new double[d + 1];
        } else {
            theta = new double[h * d + h + h + 1];
            Random r = new Random(o.seed());
            double s1 = Math.sqrt(2.0 / d);
            for (int i = 0; i < h * d; i++) {
                theta[i] = r.nextGaussian() * s1;
            }
            double s2 = Math.sqrt(1.0 / h);
            for (int i = 0; i < h; i++) {
                theta[h * d + h + i] = r.nextGaussian() * s2;
            }
        }
        theta = Lbfgs.minimize(new Objective(z, pairs, h, o.lambda()), theta, o.maxIterations(), 1e-7).x();
        if (h == 0) {
            double[] w = java.util.Arrays.copyOf(theta, d);
            double b = std.foldWeights(w, 0);
            return new Model(List.of(new Layer(w, new double[] {b}, 1, d)));
        }
        double[] w1 = java.util.Arrays.copyOf(theta, h * d);
        double[] b1 = new double[h];
        for (int u = 0; u < h; u++) {
            double[] row = java.util.Arrays.copyOfRange(w1, u * d, (u + 1) * d);
            b1[u] = std.foldWeights(row, theta[h * d + u]);
            System.arraycopy(row, 0, w1, u * d, d);
        }
        double[] w2 = java.util.Arrays.copyOfRange(theta, h * d + h, h * d + 2 * h);
        return new Model(List.of(new Layer(w1, b1, h, d), new Layer(w2, new double[] {theta[h * d + 2 * h]}, 1, h)));
    }

    /** λ by k-fold CV over images: train on pairs inside the training images, score pairs inside the held-out ones. */
    public static Selection selectLambda(double[][] x, List<Metrics.Pair> pairs, Options o, int folds) {
        int[] fold = Folds.kFold(x.length, folds, o.seed());
        double[] acc = new double[LAMBDAS.length];
        for (int l = 0; l < LAMBDAS.length; l++) {
            double right = 0;
            int counted = 0;
            for (int f = 0; f < folds; f++) {
                Subset train = subset(fold, f, false, pairs);
                Subset test = subset(fold, f, true, pairs);
                if (train.pairs().isEmpty() || test.pairs().isEmpty()) {
                    continue;
                }
                Model m = fit(Folds.rows(x, train.images()), train.pairs(),
                        new Options(o.hidden(), LAMBDAS[l], o.seed(), o.maxIterations()));
                double[] s = new double[test.images().length];
                for (int i = 0; i < s.length; i++) {
                    s[i] = m.score(x[test.images()[i]]);
                }
                long nonTied = test.pairs().stream().filter(p -> p.target() != 0.5).count();
                double a = Metrics.pairwiseAccuracy(test.pairs(), s);
                if (nonTied > 0) {
                    right += a * nonTied;
                    counted += (int) nonTied;
                }
            }
            acc[l] = counted == 0 ? Double.NaN : right / counted;
        }
        int best = 0;
        for (int l = 1; l < acc.length; l++) {
            if (acc[l] > acc[best]) {
                best = l;
            }
        }
        return new Selection(LAMBDAS[best], LAMBDAS.clone(), acc);
    }

    /** Images of one side of a fold and the pairs with both ends there, re-indexed. */
    record Subset(int[] images, List<Metrics.Pair> pairs) {
    }

    static Subset subset(int[] fold, int f, boolean inFold, List<Metrics.Pair> pairs) {
        int[] images = Folds.members(fold, f, inFold);
        int[] local = new int[fold.length];
        java.util.Arrays.fill(local, -1);
        for (int i = 0; i < images.length; i++) {
            local[images[i]] = i;
        }
        List<Metrics.Pair> kept = new ArrayList<>();
        for (Metrics.Pair p : pairs) {
            if (local[p.a()] >= 0 && local[p.b()] >= 0) {
                kept.add(new Metrics.Pair(local[p.a()], local[p.b()], p.target()));
            }
        }
        return new Subset(images, kept);
    }

    /** Mean pair cross-entropy + λ/2·‖weights‖² over θ = [W1 (h×d), b1 (h), w2 (h), b2] or [w (d), b]. */
    private static final class Objective implements Lbfgs.Objective {
        final DMatrixRMaj z;
        final int[] a;
        final int[] b;
        final double[] t;
        final int h;
        final double lambda;

        Objective(DMatrixRMaj z, List<Metrics.Pair> pairs, int h, double lambda) {
            this.z = z;
            this.h = h;
            this.lambda = lambda;
            a = new int[pairs.size()];
            b = new int[pairs.size()];
            t = new double[pairs.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = pairs.get(i).a();
                b[i] = pairs.get(i).b();
                t[i] = pairs.get(i).target();
            }
        }

        @Override
        public double valueAndGradient(double[] theta, double[] grad) {
            int n = z.numRows;
            int d = z.numCols;
            double[] s = new double[n];
            DMatrixRMaj hidden = null;
            if (h == 0) {
                double[] zd = z.getData();
                for (int i = 0; i < n; i++) {
                    double v = theta[d];
                    for (int j = 0; j < d; j++) {
                        v += zd[i * d + j] * theta[j];
                    }
                    s[i] = v;
                }
            } else {
                DMatrixRMaj w1 = DMatrixRMaj.wrap(h, d, java.util.Arrays.copyOf(theta, h * d));
                hidden = new DMatrixRMaj(n, h);
                CommonOps_DDRM.multTransB(z, w1, hidden);
                double[] hd = hidden.getData();
                for (int i = 0; i < n; i++) {
                    double v = theta[h * d + 2 * h];
                    for (int u = 0; u < h; u++) {
                        double act = Math.max(0, hd[i * h + u] + theta[h * d + u]);
                        hd[i * h + u] = act;
                        v += act * theta[h * d + h + u];
                    }
                    s[i] = v;
                }
            }
            double loss = 0;
            double[] ds = new double[n];
            double inv = 1.0 / a.length;
            for (int p = 0; p < a.length; p++) {
                double diff = s[a[p]] - s[b[p]];
                // softplus(diff) − t·diff, stable for large |diff|
                loss += (diff > 0 ? diff + Math.log1p(Math.exp(-diff)) : Math.log1p(Math.exp(diff))) - t[p] * diff;
                double g = (1 / (1 + Math.exp(-diff)) - t[p]) * inv;
                ds[a[p]] += g;
                ds[b[p]] -= g;
            }
            loss *= inv;
            java.util.Arrays.fill(grad, 0);
            double penalty = 0;
            if (h == 0) {
                double[] zd = z.getData();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < d; j++) {
                        grad[j] += ds[i] * zd[i * d + j];
                    }
                    grad[d] += ds[i];
                }
                for (int j = 0; j < d; j++) {
                    penalty += theta[j] * theta[j];
                    grad[j] += lambda * theta[j];
                }
            } else {
                double[] hd = hidden.getData();
                DMatrixRMaj dHidden = new DMatrixRMaj(n, h);
                double[] dh = dHidden.getData();
                for (int i = 0; i < n; i++) {
                    grad[h * d + 2 * h] += ds[i];
                    for (int u = 0; u < h; u++) {
                        grad[h * d + h + u] += ds[i] * hd[i * h + u];
                        if (hd[i * h + u] > 0) {
                            double g = ds[i] * theta[h * d + h + u];
                            dh[i * h + u] = g;
                            grad[h * d + u] += g;
                        }
                    }
                }
                DMatrixRMaj gw1 = new DMatrixRMaj(h, d);
                CommonOps_DDRM.multTransA(dHidden, z, gw1);
                double[] g1 = gw1.getData();
                for (int j = 0; j < h * d; j++) {
                    penalty += theta[j] * theta[j];
                    grad[j] = g1[j] + lambda * theta[j];
                }
                for (int u = 0; u < h; u++) {
                    double w = theta[h * d + h + u];
                    penalty += w * w;
                    grad[h * d + h + u] += lambda * w;
                }
            }
            return loss + 0.5 * lambda * penalty;
        }
    }
}
