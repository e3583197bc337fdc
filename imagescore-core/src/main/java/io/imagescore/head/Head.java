package io.imagescore.head;

/**
 * A small model that runs in the service on an encoder output. SCALAR heads return one value, CLASSES heads a
 * probability per class. Implementations are immutable and thread-safe.
 */
public sealed interface Head permits LinearHead, MlpHead, KernelHead, SoftmaxHead, CalibratedHead {

    /** Input length the head expects (the embedding or output dimension). */
    int inputDim();

    /** Output length: 1 for a scalar score, K for K classes. */
    int outputDim();

    /** Applies the head to one input vector (not modified). */
    float[] apply(float[] input);

    /** "linear", "mlp", "kernel", "softmax". */
    String type();

    /** Scales {@code v} to unit L2 norm (LAION heads expect L2-normalised CLIP embeddings). */
    static float[] l2Normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        if (sum == 0) {
            return out;
        }
        float inv = (float) (1.0 / Math.sqrt(sum));
        for (int i = 0; i < out.length; i++) {
            out[i] *= inv;
        }
        return out;
    }

    /** y = W·x + b with W [out,in] row-major; accumulates in double for reproducible precision. */
    static float[] affine(float[] w, float[] b, int outDim, int inDim, float[] x) {
        float[] y = new float[outDim];
        for (int o = 0; o < outDim; o++) {
            double acc = b == null ? 0 : b[o];
            int row = o * inDim;
            for (int i = 0; i < inDim; i++) {
                acc += (double) w[row + i] * x[i];
            }
            y[o] = (float) acc;
        }
        return y;
    }
}
