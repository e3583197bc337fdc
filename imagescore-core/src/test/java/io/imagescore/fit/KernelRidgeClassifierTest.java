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

        // fresh points from the same distributions, through the head the service runs
        KernelHead served = served(a);
        int[] yTest = new int[200];
        double[][] xTest = discAndRing(yTest, 99);
        int right = 0;
        for (int i = 0; i < yTest.length; i++) {
            float[] s = served.apply(floats(xTest[i]));
            right += (s[1] > s[0] ? 1 : 0) == yTest[i] ? 1 : 0;
        }
        assertThat((double) right / yTest.length).isGreaterThan(0.9);
    }

    @Test
    void the_served_head_satisfies_the_ridge_equations_on_its_training_rows() {
        int[] y = new int[120];
        double[][] x = discAndRing(y, 5);
        double lambda = 1e-3;
        KernelRidgeClassifier.Model m = KernelRidgeClassifier.fit(x, y, 2, 0.5, lambda, true, 1.0);
        KernelHead head = served(m);
        assertThat(head.inputDim()).isEqualTo(8);
        assertThat(head.outputDim()).isEqualTo(2);
        assertThat(m.support()).hasDimensions(120, 8);
        // (K_c + λnI)·coef = Y − prior on the training rows, so the scores there are Y − λn·coef (prior + K_c·coef)
        for (int i = 0; i < 30; i++) {
            float[] got = head.apply(floats(x[i]));
            for (int c = 0; c < 2; c++) {
                double want = (y[i] == c ? 1 : 0) - lambda * 120 * m.coef()[i][c];
                assertThat((double) got[c]).as("row %d class %d", i, c).isEqualTo(want, within(1e-3));
            }
        }
    }

    /** The fitted model as head.json + safetensors would carry it (float32). */
    private static KernelHead served(KernelRidgeClassifier.Model m) {
        return HeadWeights.kernel(Map.of(
                "projection.weight", f32(m.projection()), "projection.bias", f32(m.projectionBias()),
                "support", f32(m.support()), "support_mean", f32(m.supportMean()),
                "coef", f32(m.coef()), "bias", f32(m.bias())), false, (float) m.gamma(), (float) m.kernelMean());
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
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
        return new Safetensors.F32(new long[] {v.length}, floats(v));
    }
}
