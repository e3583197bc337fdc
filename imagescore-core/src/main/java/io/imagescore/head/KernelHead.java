package io.imagescore.head;

/**
 * Scores of an RBF kernel ridge model (fitted by {@code fit.KernelRidgeClassifier}): the embedding is projected
 * (z-scoring and principal axes folded into one affine layer), compared with every stored support vector, and the
 * centred kernel values weighted: {@code s = (k − mean(k) − supportMean + kernelMean)·coef + bias} with
 * {@code k_i = exp(−gamma·‖p − support_i‖²)}. A {@link SoftmaxHead} turns the scores into probabilities.
 *
 * @param support     [n, P] row-major
 * @param coef        [n, K] row-major
 */
public record KernelHead(LinearHead projection, float[] support, float[] supportMean, float kernelMean, float[] coef,
                         float[] bias, float gamma) implements Head {

    public KernelHead {
        int n = supportMean.length;
        int p = projection.outputDim();
        if (support.length != n * p || coef.length != n * bias.length) {
            throw new IllegalArgumentException("kernel head: support " + support.length + " / coef " + coef.length
                    + " do not match " + n + " support vectors of " + p + " components and " + bias.length + " outputs");
        }
        if (!(gamma > 0)) {
            throw new IllegalArgumentException("kernel head: gamma must be > 0, got " + gamma);
        }
    }

    @Override
    public int inputDim() {
        return projection.inputDim();
    }

    @Override
    public int outputDim() {
        return bias.length;
    }

    @Override
    public float[] apply(float[] input) {
        float[] p = projection.apply(input);
        int n = supportMean.length;
        int dims = p.length;
        double[] k = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            double d2 = 0;
            for (int c = 0, o = i * dims; c < dims; c++) {
                double t = p[c] - support[o + c];
                d2 += t * t;
            }
            k[i] = Math.exp(-gamma * d2);
            mean += k[i];
        }
        mean /= n;
        int outputs = bias.length;
        double[] s = new double[outputs];
        for (int i = 0; i < n; i++) {
            // full feature-space centring; the -mean and +kernelMean terms cancel when the coefficients sum to 0
            // (they do for ridge on centred targets), but a head does not rely on how it was fitted
            double kc = k[i] - mean - supportMean[i] + kernelMean;
            for (int c = 0, o = i * outputs; c < outputs; c++) {
                s[c] += kc * coef[o + c];
            }
        }
        float[] out = new float[outputs];
        for (int c = 0; c < outputs; c++) {
            out[c] = (float) (s[c] + bias[c]);
        }
        return out;
    }

    @Override
    public String type() {
        return "kernel";
    }
}
