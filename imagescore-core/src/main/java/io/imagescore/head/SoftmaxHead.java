package io.imagescore.head;

/**
 * Class probabilities: softmax(logits / temperature), where the logits come from a head on the embedding (a fitted
 * classifier: {@link LinearHead} or {@link KernelHead}) or, with {@code logits == null}, are a model output taken as
 * is (ImageNet logits).
 */
public record SoftmaxHead(Head logits, int classes, float temperature) implements Head {

    public SoftmaxHead {
        if (logits != null && logits.outputDim() != classes) {
            throw new IllegalArgumentException("softmax head: " + logits.outputDim() + " logits for " + classes + " classes");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("softmax head: temperature must be > 0, got " + temperature);
        }
    }

    @Override
    public int inputDim() {
        return logits == null ? classes : logits.inputDim();
    }

    @Override
    public int outputDim() {
        return classes;
    }

    @Override
    public float[] apply(float[] input) {
        return softmax(logits == null ? input : logits.apply(input), temperature);
    }

    /** Numerically stable softmax in double, returned as float. */
    public static float[] softmax(float[] logits, float temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / (double) temperature);
        }
        double[] e = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            e[i] = Math.exp(logits[i] / (double) temperature - max);
            sum += e[i];
        }
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    @Override
    public String type() {
        return "softmax";
    }
}
