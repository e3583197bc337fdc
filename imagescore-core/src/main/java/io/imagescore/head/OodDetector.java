package io.imagescore.head;

import java.util.Arrays;

/**
 * Out-of-domain detection for a classifier head, on the head's input embedding: the statistic is the diagonal
 * Mahalanobis distance to the nearest class mean, {@code s(x) = min_k (1/d) Σ_j (x_j − μ_kj)² · w_j}, with one shared
 * per-dimension weight {@code w_j = 1 / (v_j + ε)} (v = pooled within-class variance, ε a shrinkage term folded into w
 * when fitted). It is calibrated on the head's training embeddings as an empirical CDF given by {@code quantiles}
 * (101 values: the 0th, 1st, …, 100th percentile of s over the training images), and
 * {@code inDomain(x) = 1 − F(s(x))}: about the fraction of training images whose statistic is at least as extreme
 * (linear between the stored percentiles; 1 below the smallest, 0 above the largest).
 *
 * @param classMeans [classes, dim] row-major
 * @param weights    [dim], the inverse (shrunk) within-class variances
 * @param quantiles  ascending percentiles of the training statistic (at least 2 values, evenly spaced in probability)
 * @param sqrt       whether each input value is first replaced by √max(0, x) (means and weights are then of √x): the
 *                   pooled non-negative encoder features are heavy-tailed, and the root makes them closer to Gaussian
 */
public record OodDetector(int classes, float[] classMeans, float[] weights, double[] quantiles, boolean sqrt) {

    public OodDetector {
        if (classes < 1 || weights.length == 0 || classMeans.length != classes * weights.length) {
            throw new IllegalArgumentException("ood: class means " + classMeans.length + " do not match " + classes
                    + " classes of " + weights.length + " dimensions");
        }
        if (quantiles.length < 2) {
            throw new IllegalArgumentException("ood: need at least 2 quantiles, got " + quantiles.length);
        }
        for (int i = 1; i < quantiles.length; i++) {
            if (!(quantiles[i] >= quantiles[i - 1])) {
                throw new IllegalArgumentException("ood: quantiles must be finite and ascending (index " + i + ")");
            }
        }
        quantiles = quantiles.clone();
    }

    public int dim() {
        return weights.length;
    }

    /** The statistic: weighted mean squared distance to the nearest class mean (larger = further out). */
    public double statistic(float[] x) {
        int d = weights.length;
        if (x.length != d) {
            throw new IllegalArgumentException("ood: input has " + x.length + " values, expected " + d);
        }
        double best = Double.POSITIVE_INFINITY;
        double[] v = new double[d];
        for (int j = 0; j < d; j++) {
            v[j] = sqrt ? Math.sqrt(Math.max(0, x[j])) : x[j];
        }
        for (int k = 0; k < classes; k++) {
            double acc = 0;
            for (int j = 0, o = k * d; j < d; j++) {
                double t = v[j] - classMeans[o + j];
                acc += t * t * weights[j];
            }
            best = Math.min(best, acc / d);
        }
        return best;
    }

    /** 1 − F(s), F the piecewise-linear CDF through the stored percentiles. */
    public double inDomainOfStatistic(double s) {
        int m = quantiles.length - 1;
        if (Double.isNaN(s)) {
            return 0;
        }
        if (s <= quantiles[0]) {
            return 1;
        }
        if (s >= quantiles[m]) {
            return 0;
        }
        // last index i with quantiles[i] <= s (ties: the highest, so a flat run counts as passed)
        int i = Arrays.binarySearch(quantiles, s);
        if (i >= 0) {
            while (i < m && quantiles[i + 1] == s) {
                i++;
            }
        } else {
            i = -i - 2;
        }
        double f = i;
        if (i < m && quantiles[i + 1] > quantiles[i]) {
            f += (s - quantiles[i]) / (quantiles[i + 1] - quantiles[i]);
        }
        return 1 - f / m;
    }

    public double inDomain(float[] x) {
        return inDomainOfStatistic(statistic(x));
    }

    /**
     * Fits a detector: class means, pooled within-class variance v, weights 1/(v_j + shrink·mean(v)), and the
     * {@code percentiles + 1} percentiles of the statistic over {@code x} (linear interpolation between order statistics).
     */
    public static OodDetector fit(double[][] raw, int[] y, int classes, double shrink, int percentiles, boolean sqrt) {
        int n = raw.length;
        int d = raw[0].length;
        double[][] x = raw;
        if (sqrt) {
            x = new double[n][d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    x[i][j] = Math.sqrt(Math.max(0, raw[i][j]));
                }
            }
        }
        double[][] sum = new double[classes][d];
        int[] count = new int[classes];
        for (int i = 0; i < n; i++) {
            count[y[i]]++;
            for (int j = 0; j < d; j++) {
                sum[y[i]][j] += x[i][j];
            }
        }
        float[] means = new float[classes * d];
        for (int k = 0; k < classes; k++) {
            if (count[k] == 0) {
                throw new IllegalArgumentException("ood: class " + k + " has no examples");
            }
            for (int j = 0; j < d; j++) {
                means[k * d + j] = (float) (sum[k][j] / count[k]);
            }
        }
        double[] v = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double t = x[i][j] - means[y[i] * d + j];
                v[j] += t * t;
            }
        }
        double meanVar = 0;
        for (int j = 0; j < d; j++) {
            v[j] /= Math.max(1, n - classes);
            meanVar += v[j] / d;
        }
        double eps = shrink * meanVar;
        float[] w = new float[d];
        for (int j = 0; j < d; j++) {
            double denom = v[j] + eps;
            w[j] = denom > 0 ? (float) (1 / denom) : 1f;
        }
        OodDetector shape = new OodDetector(classes, means, w, new double[] {0, 0}, sqrt);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            float[] xi = new float[d];
            for (int j = 0; j < d; j++) {
                xi[j] = (float) raw[i][j];
            }
            s[i] = shape.statistic(xi);
        }
        return new OodDetector(classes, means, w, percentiles(s, percentiles), sqrt);
    }

    /** The {@code m + 1} values at probabilities 0, 1/m, …, 1 (type-7 interpolation, as numpy's default). */
    public static double[] percentiles(double[] values, int m) {
        double[] s = values.clone();
        Arrays.sort(s);
        double[] q = new double[m + 1];
        for (int i = 0; i <= m; i++) {
            double h = (s.length - 1) * (double) i / m;
            int lo = (int) Math.floor(h);
            int hi = Math.min(s.length - 1, lo + 1);
            q[i] = s[lo] + (h - lo) * (s[hi] - s[lo]);
        }
        return q;
    }
}
