package io.imagescore.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MetricsTest {

    @Test
    void correlations_match_hand_computed_values() {
        double[] truth = {1, 2, 3, 4, 5};
        assertThat(Metrics.srcc(truth, new double[] {10, 20, 30, 40, 50})).isEqualTo(1.0, within(1e-12));
        assertThat(Metrics.srcc(truth, new double[] {5, 4, 3, 2, 1})).isEqualTo(-1.0, within(1e-12));
        // one swapped neighbour pair: 9 of 10 pairs concordant → τ = (9 − 1) / 10
        assertThat(Metrics.kendallTauB(truth, new double[] {1, 2, 4, 3, 5})).isEqualTo(0.8, within(1e-12));
        // Spearman: 1 − 6·Σd²/(n(n²−1)) = 1 − 6·2/120
        assertThat(Metrics.srcc(truth, new double[] {1, 2, 4, 3, 5})).isEqualTo(0.9, within(1e-12));
        assertThat(Metrics.plcc(truth, new double[] {3, 5, 7, 9, 11})).isEqualTo(1.0, within(1e-12));
        assertThat(Metrics.rmse(truth, new double[] {2, 3, 4, 5, 6})).isEqualTo(1.0, within(1e-12));
        // one error of 4 over five values: MAE 4/5 (RMSE would be √(16/5))
        assertThat(Metrics.mae(truth, new double[] {1, 2, 3, 4, 9})).isEqualTo(0.8, within(1e-12));
    }

    @Test
    void kendall_tau_b_corrects_for_ties() {
        // x = 1,1,2,3 ; y = 1,2,3,4 → concordant 5, discordant 0, ties in x 1: τb = 5 / sqrt(5·6)
        double tau = Metrics.kendallTauB(new double[] {1, 1, 2, 3}, new double[] {1, 2, 3, 4});
        assertThat(tau).isEqualTo(5 / Math.sqrt(30), within(1e-12));
    }

    @Test
    void classification_metrics_match_hand_computed_values() {
        int[] truth = {0, 0, 0, 1, 1, 2};
        int[] pred = {0, 0, 1, 1, 2, 2};
        int[][] c = Metrics.confusion(truth, pred, 3);
        assertThat(c).isEqualTo(new int[][] {{2, 1, 0}, {0, 1, 1}, {0, 0, 1}});
        assertThat(Metrics.accuracy(c)).isEqualTo(4 / 6.0, within(1e-12));
        // F1: class0 2·2/(4+0+1)=0.8, class1 2/(2+1+1)=0.5, class2 2/(2+1+0)=2/3
        assertThat(Metrics.macroF1(c)).isEqualTo((0.8 + 0.5 + 2 / 3.0) / 3, within(1e-12));
    }

    @Test
    void ece_is_zero_when_confidence_equals_accuracy_and_large_when_overconfident() {
        double[][] half = {{0.5, 0.5}, {0.5, 0.5}};
        assertThat(Metrics.expectedCalibrationError(half, new int[] {0, 1}, 15)).isEqualTo(0.0, within(1e-12));
        double[][] sure = {{0.99, 0.01}, {0.99, 0.01}};
        // confidence 0.99, accuracy 0.5
        assertThat(Metrics.expectedCalibrationError(sure, new int[] {0, 1}, 15)).isEqualTo(0.49, within(1e-12));
    }

    @Test
    void pairwise_accuracy_skips_ties_and_counts_score_ties_as_half() {
        List<Metrics.Pair> pairs = List.of(new Metrics.Pair(0, 1, 1), new Metrics.Pair(1, 2, 0),
                new Metrics.Pair(0, 2, 0.5), new Metrics.Pair(2, 3, 1));
        double[] s = {3, 1, 2, 2};
        // pair0 right, pair1 (b=2 better, s2 > s1) right, tie skipped, pair3 score tie = half
        assertThat(Metrics.pairwiseAccuracy(pairs, s)).isEqualTo(2.5 / 3, within(1e-12));
    }
}
