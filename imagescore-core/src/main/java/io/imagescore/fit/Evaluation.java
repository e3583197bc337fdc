package io.imagescore.fit;

import java.util.List;

/**
 * A head measured on a labelled set. Sections are null when the labels or head kind do not allow them.
 *
 * @param regression     targets vs scalar score
 * @param classification labels vs class distribution
 * @param ranking        comparisons (explicit, or every pair of targets) vs scalar score
 */
public record Evaluation(String pack, String score, String version, int examples, Regression regression,
                         Classification classification, Ranking ranking) {

    public record Regression(double srcc, double plcc, double krcc, double rmse) {
    }

    /** confusion[true][predicted] in {@code classes} order; ECE over 15 confidence bins. */
    public record Classification(double accuracy, double macroF1, double ece, double logLoss, List<String> classes,
                                 int[][] confusion) {
    }

    /** kendallTau: τ-b against the targets when pairs come from targets, else 2·accuracy − 1 over the comparisons. */
    public record Ranking(int pairs, double pairwiseAccuracy, double kendallTau) {
    }
}
