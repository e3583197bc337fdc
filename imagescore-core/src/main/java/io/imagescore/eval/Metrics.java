package io.imagescore.eval;

import org.hipparchus.stat.correlation.KendallsCorrelation;
import org.hipparchus.stat.correlation.PearsonsCorrelation;
import org.hipparchus.stat.correlation.SpearmansCorrelation;

import java.util.List;

/**
 * Evaluation metrics, in one place for heads, sorting and benchmarks. Correlations come from Hipparchus (Spearman
 * with average ranks for ties, Kendall τ-b); the rest are short enough to state here.
 */
public final class Metrics {
    private Metrics() {
    }

    /** Spearman rank correlation (SRCC), ties ranked by their average rank. */
    /**
     * Area under the ROC curve of {@code positive} scored above {@code negative}: P(p > n) + ½·P(p = n), exact by
     * sorting (Mann–Whitney U with mid-ranks).
     */
    public static double auroc(double[] positive, double[] negative) {
        double[] all = new double[positive.length + negative.length];
        System.arraycopy(positive, 0, all, 0, positive.length);
        System.arraycopy(negative, 0, all, positive.length, negative.length);
        double[] sorted = all.clone();
        java.util.Arrays.sort(sorted);
        double rankSum = 0;
        for (double v : positive) {
            int lo = lowerBound(sorted, v);
            int hi = lowerBound(sorted, Math.nextUp(v));
            rankSum += (lo + 1 + hi) / 2.0; // mid-rank, 1-based
        }
        double n = positive.length;
        return (rankSum - n * (n + 1) / 2) / (n * negative.length);
    }

    private static int lowerBound(double[] a, double v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    public static double srcc(double[] truth, double[] predicted) {
        requireSameLength(truth, predicted, 2);
        return new SpearmansCorrelation().correlation(truth, predicted);
    }

    /** Pearson linear correlation (PLCC). */
    public static double plcc(double[] truth, double[] predicted) {
        requireSameLength(truth, predicted, 2);
        return new PearsonsCorrelation().correlation(truth, predicted);
    }

    /** Kendall rank correlation τ-b (KRCC; tie-corrected). */
    public static double kendallTauB(double[] truth, double[] predicted) {
        requireSameLength(truth, predicted, 2);
        return new KendallsCorrelation().correlation(truth, predicted);
    }

    public static double rmse(double[] truth, double[] predicted) {
        requireSameLength(truth, predicted, 1);
        double s = 0;
        for (int i = 0; i < truth.length; i++) {
            double d = truth[i] - predicted[i];
            s += d * d;
        }
        return Math.sqrt(s / truth.length);
    }

    /** Mean absolute error. */
    public static double mae(double[] truth, double[] predicted) {
        requireSameLength(truth, predicted, 1);
        double s = 0;
        for (int i = 0; i < truth.length; i++) {
            s += Math.abs(truth[i] - predicted[i]);
        }
        return s / truth.length;
    }

    /** Confusion matrix [true class][predicted class]. */
    public static int[][] confusion(int[] truth, int[] predicted, int classes) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("truth and predicted differ in length");
        }
        int[][] m = new int[classes][classes];
        for (int i = 0; i < truth.length; i++) {
            m[truth[i]][predicted[i]]++;
        }
        return m;
    }

    public static double accuracy(int[][] confusion) {
        long right = 0;
        long all = 0;
        for (int t = 0; t < confusion.length; t++) {
            for (int p = 0; p < confusion.length; p++) {
                all += confusion[t][p];
                if (t == p) {
                    right += confusion[t][p];
                }
            }
        }
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /** Unweighted mean of per-class F1 over classes that occur in truth or prediction (sklearn's macro F1 on the present labels). */
    public static double macroF1(int[][] confusion) {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < confusion.length; c++) {
            long tp = confusion[c][c];
            long fn = 0;
            long fp = 0;
            for (int o = 0; o < confusion.length; o++) {
                if (o != c) {
                    fn += confusion[c][o];
                    fp += confusion[o][c];
                }
            }
            if (tp + fn + fp == 0) {
                continue;
            }
            sum += 2.0 * tp / (2.0 * tp + fp + fn);
            counted++;
        }
        return counted == 0 ? Double.NaN : sum / counted;
    }

    /**
     * Expected calibration error of the top-class confidence: |accuracy − mean confidence| per equal-width confidence
     * bin, weighted by the bin's share of examples (Guo et al. 2017; 15 bins is their default).
     */
    public static double expectedCalibrationError(double[][] probabilities, int[] truth, int bins) {
        double[] conf = new double[bins];
        double[] hits = new double[bins];
        int[] count = new int[bins];
        for (int i = 0; i < truth.length; i++) {
            int best = argmax(probabilities[i]);
            double c = probabilities[i][best];
            int b = Math.min(bins - 1, (int) (c * bins));
            conf[b] += c;
            hits[b] += best == truth[i] ? 1 : 0;
            count[b]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                ece += Math.abs(hits[b] - conf[b]) / truth.length;
            }
        }
        return ece;
    }

    /** Mean negative log-likelihood of the true class. */
    public static double logLoss(double[][] probabilities, int[] truth) {
        double s = 0;
        for (int i = 0; i < truth.length; i++) {
            s -= Math.log(Math.max(1e-15, probabilities[i][truth[i]]));
        }
        return s / truth.length;
    }

    /** A comparison: {@code target} = P(a is better than b): 1, 0, or 0.5 for a tie. */
    public record Pair(int a, int b, double target) {
    }

    /**
     * Share of non-tied pairs whose order the scores get right; a score tie counts as half right.
     * NaN when every pair is a tie.
     */
    public static double pairwiseAccuracy(List<Pair> pairs, double[] scores) {
        double right = 0;
        int n = 0;
        for (Pair p : pairs) {
            if (p.target() == 0.5) {
                continue;
            }
            double d = scores[p.a()] - scores[p.b()];
            boolean aBetter = p.target() > 0.5;
            right += d == 0 ? 0.5 : (d > 0) == aBetter ? 1 : 0;
            n++;
        }
        return n == 0 ? Double.NaN : right / n;
    }

    public static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void requireSameLength(double[] a, double[] b, int min) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("truth has " + a.length + " values, predicted " + b.length);
        }
        if (a.length < min) {
            throw new IllegalArgumentException("need at least " + min + " values, got " + a.length);
        }
    }
}
