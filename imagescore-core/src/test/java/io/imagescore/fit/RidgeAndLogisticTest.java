package io.imagescore.fit;

import io.imagescore.eval.Metrics;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RidgeAndLogisticTest {

    @Test
    void ridge_recovers_a_linear_target_and_cv_prefers_less_shrinkage_for_clean_data() {
        double[][] x = SyntheticData.gaussian(120, 30, 11);
        double[] w = new double[30];
        w[0] = 2;
        w[3] = -1;
        w[7] = 0.5;
        double[] clean = SyntheticData.linear(x, w);
        Random r = new Random(3);
        double[] noisy = new double[clean.length];
        for (int i = 0; i < clean.length; i++) {
            noisy[i] = clean[i] + 3 * r.nextGaussian();
        }
        RidgeRegression.Selection sClean = RidgeRegression.selectLambda(x, clean, 5, 0);
        RidgeRegression.Selection sNoisy = RidgeRegression.selectLambda(x, noisy, 5, 0);
        assertThat(sClean.lambda()).isLessThan(sNoisy.lambda());
        RidgeRegression.Model m = RidgeRegression.fit(x, clean, sClean.lambda());
        assertThat(m.weight()[0]).isEqualTo(2, within(0.1));
        assertThat(m.weight()[3]).isEqualTo(-1, within(0.1));
        double[] oof = RidgeRegression.nestedCvPredictions(x, clean, 5, 0);
        assertThat(Metrics.plcc(clean, oof)).isGreaterThan(0.98);
    }

    @Test
    void ridge_dual_and_primal_forms_agree() {
        // n < d uses the n×n Gram matrix, n > d the d×d one: the same λ must give the same model
        double[][] x = SyntheticData.gaussian(40, 30, 12);
        double[] y = SyntheticData.linear(x, new Random(1).doubles(30).toArray());
        double[][] wide = new double[30][];
        System.arraycopy(x, 0, wide, 0, 30);
        double[] yWide = java.util.Arrays.copyOf(y, 30);
        RidgeRegression.Model dual = RidgeRegression.fit(wide, yWide, 5.0);
        // same rows duplicated → n = 60 > d: the objective scales, so 2λ gives the same solution
        double[][] tall = new double[60][];
        double[] yTall = new double[60];
        for (int i = 0; i < 60; i++) {
            tall[i] = wide[i % 30];
            yTall[i] = yWide[i % 30];
        }
        RidgeRegression.Model primal = RidgeRegression.fit(tall, yTall, 10.0);
        for (int j = 0; j < 30; j++) {
            assertThat(primal.weight()[j]).isEqualTo(dual.weight()[j], within(1e-8));
        }
        assertThat(primal.bias()).isEqualTo(dual.bias(), within(1e-8));
    }

    @Test
    void logistic_regression_separates_gaussian_classes_with_calibrated_probabilities() {
        int perClass = 60;
        int d = 12;
        double[][] x = new double[3 * perClass][];
        int[] y = new int[3 * perClass];
        Random r = new Random(9);
        for (int i = 0; i < x.length; i++) {
            y[i] = i % 3;
            x[i] = new double[d];
            for (int j = 0; j < d; j++) {
                x[i][j] = r.nextGaussian() + (j == y[i] ? 2.0 : 0);
            }
        }
        LogisticRegression.Selection sel = LogisticRegression.select(x, y, 3, 5, 0);
        double[][] p = sel.oofProbabilities();
        int right = 0;
        for (int i = 0; i < y.length; i++) {
            right += Metrics.argmax(p[i]) == y[i] ? 1 : 0;
            assertThat(java.util.Arrays.stream(p[i]).sum()).isEqualTo(1.0, within(1e-9));
        }
        assertThat((double) right / y.length).isGreaterThan(0.8);
        assertThat(sel.temperature()).isBetween(0.05, 20.0);
        assertThat(Metrics.expectedCalibrationError(p, y, 15)).isLessThan(0.12);
        LogisticRegression.Model a = LogisticRegression.fit(x, y, 3, sel.lambda());
        LogisticRegression.Model b = LogisticRegression.fit(x, y, 3, sel.lambda());
        assertThat(b.weight()).isDeepEqualTo(a.weight());
    }

    @Test
    void temperature_scaling_softens_an_overconfident_model() {
        // logits that are right 70 % of the time but claim ~100 % confidence
        double[][] logits = new double[100][];
        int[] y = new int[100];
        for (int i = 0; i < 100; i++) {
            y[i] = i % 2;
            int predicted = i % 10 < 7 ? y[i] : 1 - y[i];
            logits[i] = predicted == 0 ? new double[] {10, 0} : new double[] {0, 10};
        }
        double t = LogisticRegression.fitTemperature(logits, y);
        assertThat(t).isGreaterThan(5);
        double confidence = LogisticRegression.softmax(logits[0], t)[0];
        assertThat(confidence).isEqualTo(0.7, within(0.01));
    }

    @Test
    void isotonic_calibration_is_monotone_and_fits_a_step() {
        double[] raw = {0, 1, 2, 3, 4, 5, 6, 7};
        double[] target = {1, 1, 1.2, 0.9, 3, 3, 4, 3.8};
        var iso = Calibrate.isotonic(raw, target);
        double prev = Double.NEGATIVE_INFINITY;
        for (double v = -1; v <= 8; v += 0.25) {
            assertThat(iso.apply(v)).isGreaterThanOrEqualTo(prev);
            prev = iso.apply(v);
        }
        assertThat(iso.apply(-5)).isEqualTo(1.0, within(1e-12)); // clamped at the ends
        assertThat(iso.apply(2.5)).isEqualTo((1.2 + 0.9) / 2, within(1e-12)); // pooled violators
        assertThat(iso.apply(100)).isEqualTo(3.9, within(1e-12));
        var lin = Calibrate.linear(raw, java.util.Arrays.stream(raw).map(v -> 3 * v + 1).toArray());
        assertThat(lin.scale()).isEqualTo(3, within(1e-12));
        assertThat(lin.offset()).isEqualTo(1, within(1e-12));
    }
}
