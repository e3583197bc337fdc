package io.imagescore.fit;

import io.imagescore.eval.Metrics;

import java.util.List;

/**
 * How a classifier's setting is chosen from cross-validation: each candidate setting has out-of-fold logits; the best
 * accuracy wins, ties go to the lower log-loss, and among equals the earlier candidate.
 */
record CvChoice(int best, double[] accuracy, double[] logLoss) {

    static CvChoice of(List<double[][]> oofLogits, int[] y) {
        double[] acc = new double[oofLogits.size()];
        double[] loss = new double[oofLogits.size()];
        int best = 0;
        for (int c = 0; c < acc.length; c++) {
            double[][] p = LogisticRegression.probabilities(oofLogits.get(c), 1.0);
            int right = 0;
            for (int i = 0; i < y.length; i++) {
                right += Metrics.argmax(p[i]) == y[i] ? 1 : 0;
            }
            acc[c] = (double) right / y.length;
            loss[c] = Metrics.logLoss(p, y);
            if (acc[c] > acc[best] || (acc[c] == acc[best] && loss[c] < loss[best])) {
                best = c;
            }
        }
        return new CvChoice(best, acc, loss);
    }
}
