package io.imagescore.head;

import io.imagescore.eval.Metrics;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The out-of-domain statistic and its empirical CDF on hand-made embeddings, with exact expected values. */
class OodDetectorTest {

    static final double[] Q = {0, 1, 2, 4, 8};

    @Test
    void statistic_is_the_weighted_mean_squared_distance_to_the_nearest_class_mean() {
        OodDetector d = new OodDetector(2, new float[] {0, 0, 10, 10}, new float[] {1, 4}, Q, false);
        assertThat(d.statistic(new float[] {1, 1})).isEqualTo((1 * 1 + 1 * 4) / 2.0); // class 0 is nearer
        assertThat(d.statistic(new float[] {9, 12})).isEqualTo((1 * 1 + 4 * 4) / 2.0); // class 1 is nearer
        OodDetector root = new OodDetector(1, new float[] {1}, new float[] {1}, Q, true);
        assertThat(root.statistic(new float[] {4})).isEqualTo(1.0); // (√4 − 1)²
        assertThat(root.statistic(new float[] {-9})).isEqualTo(1.0); // negatives clip to 0: (0 − 1)²
    }

    @Test
    void in_domain_is_one_minus_the_piecewise_linear_cdf_through_the_percentiles() {
        OodDetector d = new OodDetector(1, new float[] {0}, new float[] {1}, Q, false);
        assertThat(d.inDomainOfStatistic(-1)).isEqualTo(1.0);
        assertThat(d.inDomainOfStatistic(0)).isEqualTo(1.0);
        assertThat(d.inDomainOfStatistic(1)).isEqualTo(0.75);
        assertThat(d.inDomainOfStatistic(3)).isEqualTo(1 - 2.5 / 4);
        assertThat(d.inDomainOfStatistic(8)).isEqualTo(0.0);
        assertThat(d.inDomainOfStatistic(100)).isEqualTo(0.0);
        assertThat(d.inDomainOfStatistic(Double.NaN)).isEqualTo(0.0);
        // through the statistic: x = 3 → s = 9 > max → 0; x = √3 → s ≈ 3 → 0.375
        assertThat(d.inDomain(new float[] {3})).isEqualTo(0.0);
        assertThat(d.inDomain(new float[] {(float) Math.sqrt(3)})).isCloseTo(0.375, within(1e-6));
        // a flat run of equal percentiles counts as passed
        OodDetector ties = new OodDetector(1, new float[] {0}, new float[] {1}, new double[] {0, 1, 1, 2}, false);
        assertThat(ties.inDomainOfStatistic(1)).isEqualTo(1 - 2 / 3.0);
    }

    @Test
    void fit_takes_class_means_pooled_within_class_variance_and_percentiles_of_the_training_statistic() {
        double[][] x = {{0}, {2}, {4}, {10}, {12}};
        int[] y = {0, 0, 0, 1, 1};
        // means 2 and 11; within-class SS 4+0+4+1+1 = 10 over n − K = 3 → v = 10/3
        OodDetector d = OodDetector.fit(x, y, 2, 0, 4, false);
        assertThat(d.classMeans()).containsExactly(2f, 11f);
        assertThat(d.weights()[0]).isEqualTo((float) (3 / 10.0));
        // statistics 4w, 0, 4w, w, w sorted: 0, w, w, 4w, 4w (h = i exactly for 5 values and 4 steps)
        double w = d.weights()[0];
        assertThat(d.quantiles()).containsExactly(new double[] {0, w, w, 4 * w, 4 * w}, within(1e-12));
        // shrinkage adds shrink × mean variance: w = 1 / (10/3 + 10/3)
        assertThat(OodDetector.fit(x, y, 2, 1, 4, false).weights()[0]).isEqualTo((float) 0.15);
        assertThat(OodDetector.percentiles(new double[] {3, 1, 2}, 4)).containsExactly(1, 1.5, 2, 2.5, 3);
    }

    @Test
    void shapes_and_order_are_checked() {
        assertThatThrownBy(() -> new OodDetector(2, new float[3], new float[2], Q, false)).hasMessageContaining("class means");
        assertThatThrownBy(() -> new OodDetector(1, new float[1], new float[1], new double[] {2, 1}, false))
                .hasMessageContaining("ascending");
    }

    @Test
    void auroc_counts_ties_as_half() {
        assertThat(Metrics.auroc(new double[] {3, 2}, new double[] {1, 2})).isEqualTo(3.5 / 4);
        assertThat(Metrics.auroc(new double[] {5, 6}, new double[] {1, 2, 3})).isEqualTo(1.0);
        assertThat(Metrics.auroc(new double[] {0}, new double[] {1})).isEqualTo(0.0);
    }
}
