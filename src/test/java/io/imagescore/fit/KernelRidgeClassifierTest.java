package io.imagescore.fit;

import io.imagescore.eval.Metrics;
import io.imagescore.head.HeadWeights;
import io.imagescore.head.KernelHead;
import io.imagescore.head.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class KernelRidgeClassifierTest {

    /** Two classes on a disc and a ring around it (radius 1 vs 2 in the first two of 8 dimensions): no line separates them. */
    static double[][] discAndRing(int[] y, long seed) {
        double[][] x = SyntheticData.gaussian(y.length, 8, seed);
        java.util.Random r = new java.util.Random(seed + 1);
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 2;
            double angle = r.nextDouble() * 2 * Math.PI;
            double radius = y[i] == 0 ? r.nextDouble() : 2 + 0.3 * r.nextGaussian();
            x[i][0] = radius * Math.cos(angle);
            x[i][1] = radius * Math.sin(angle);
        }
        return x;
    }

    static double accuracy(double[][] p, int[] y) {
        int right = 0;
        for (int i = 0; i < y.length; i++) {
            right += Metrics.argmax(p[i]) == y[i] ? 1 : 0;
        }
        return (double) right / y.length;
    }

    @Test
    void separates_classes_that_a_linear_head_cannot_and_refits_identically() {
        int[] y = new int[240];
        double[][] x = discAndRing(y, 3);
        KernelRidgeClassifier.Selection kernel = KernelRidgeClassifier.select(x, y, 2, 5, 0);
        LogisticRegression.Selection linear = LogisticRegression.select(x, y, 2, 5, 0);
        System.out.printf("disc vs ring, 5-fold CV accuracy: kernel %.3f, logistic %.3f%n",
                accuracy(kernel.oofProbabilities(), y), accuracy(linear.oofProbabilities(), y));
        assertThat(accuracy(kernel.oofProbabilities(), y)).isGreaterThan(0.9);
        assertThat(accuracy(linear.oofProbabilities(), y)).isLessThan(0.7);
        assertThat(kernel.cvAccuracy()).isEqualTo(accuracy(kernel.oofProbabilities(), y));

        KernelRidgeClassifier.Model a = KernelRidgeClassifier.fit(x, y, 2, kernel.gamma(), kernel.lambda(), kernel.priorIntercept(), kernel.temperature());
        KernelRidgeClassifier.Model b = KernelRidgeClassifier.fit(x, y, 2, kernel.gamma(), kernel.lambda(), kernel.priorIntercept(), kernel.temperature());
        assertThat(b.coef()).isDeepEqualTo(a.coef());
        assertThat(b.projection()).isDeepEqualTo(a.projection());

        // fresh points from the same distributions
        int[] yTest = new int[200];
        double[][] xTest = discAndRing(yTest, 99);
        int right = 0;
        for (int i = 0; i < yTest.length; i++) {
            right += Metrics.argmax(a.scores(xTest[i])) == yTest[i] ? 1 : 0;
        }
        assertThat((double) right / yTest.length).isGreaterThan(0.9);
    }

    @Test
    void the_served_float_head_computes_the_fitted_models_scores() {
        int[] y = new int[120];
        double[][] x = discAndRing(y, 5);
        KernelRidgeClassifier.Model m = KernelRidgeClassifier.fit(x, y, 2, 0.5, 1e-3, true, 1.0);
        int n = m.support().length;
        int p = m.projection().length;
        KernelHead head = HeadWeights.kernel(Map.of(
                "projection.weight", f32(m.projection()), "projection.bias", f32(m.projectionBias()),
                "support", f32(m.support()), "support_mean", f32(m.supportMean()),
                "coef", f32(m.coef()), "bias", f32(m.bias())), false, (float) m.gamma(), (float) m.kernelMean());
        assertThat(head.inputDim()).isEqualTo(8);
        assertThat(head.outputDim()).isEqualTo(2);
        assertThat(p).isEqualTo(8);
        assertThat(n).isEqualTo(120);
        for (int i = 0; i < 20; i++) {
            float[] in = new float[8];
            for (int j = 0; j < 8; j++) {
                in[j] = (float) x[i][j];
            }
            double[] want = m.scores(x[i]);
            float[] got = head.apply(in);
            assertThat((double) got[0]).isEqualTo(want[0], within(1e-3));
            assertThat((double) got[1]).isEqualTo(want[1], within(1e-3));
        }
    }

    private static Safetensors.F32 f32(double[][] rows) {
        float[] f = new float[rows.length * rows[0].length];
        for (int i = 0, o = 0; i < rows.length; i++) {
            for (double v : rows[i]) {
                f[o++] = (float) v;
            }
        }
        return new Safetensors.F32(new long[] {rows.length, rows[0].length}, f);
    }

    private static Safetensors.F32 f32(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return new Safetensors.F32(new long[] {v.length}, f);
    }
}
