package io.imagescore.rating;

import java.util.Arrays;

/** Prior scores (a head's output, any scale) turned into z-scores; the one place both selectors read a prior. */
final class PriorScores {
    private PriorScores() {
    }

    /**
     * Standardised scores (population mean 0, sd 1 over the finite entries). A non-finite entry (an item the head
     * did not score) stays NaN: no prior information on that item; all NaN when fewer than two entries are finite
     * or they are all equal, i.e. a flat prior.
     */
    static double[] standardise(double[] scores) {
        if (scores == null) {
            throw new IllegalArgumentException("prior scores are required, one per item (NaN for an unscored item); flat(n) has no prior");
        }
        double sum = 0;
        int finite = 0;
        for (double s : scores) {
            if (Double.isFinite(s)) {
                sum += s;
                finite++;
            }
        }
        double[] z = new double[scores.length];
        Arrays.fill(z, Double.NaN);
        if (finite < 2) {
            return z;
        }
        double mean = sum / finite;
        double ss = 0;
        for (double s : scores) {
            if (Double.isFinite(s)) {
                ss += (s - mean) * (s - mean);
            }
        }
        double sd = Math.sqrt(ss / finite);
        if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) {
            return z;
        }
        for (int i = 0; i < z.length; i++) {
            z[i] = Double.isFinite(scores[i]) ? (scores[i] - mean) / sd : Double.NaN;
        }
        return z;
    }

    /** {@code n} items with no prior information (all NaN). */
    static double[] flat(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("item count must be >= 0, got " + n);
        }
        double[] z = new double[n];
        Arrays.fill(z, Double.NaN);
        return z;
    }

    /** Trust (the assumed correlation between prior and truth) must lie in [0, 1). */
    static double checkTrust(double trust) {
        if (!(trust >= 0 && trust < 1)) {
            throw new IllegalArgumentException("trust must be in [0, 1), got " + trust);
        }
        return trust;
    }
}
