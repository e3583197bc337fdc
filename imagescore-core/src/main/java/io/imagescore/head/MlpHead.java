package io.imagescore.head;

import java.util.List;

/**
 * A stack of affine layers with an activation between them (none for the LAION "improved aesthetic predictor", whose
 * dropout layers vanish at inference; ReLU for our fitted heads), optionally on the L2-normalised input.
 */
public record MlpHead(List<Layer> layers, Activation activation, boolean l2Normalize) implements Head {

    public enum Activation { NONE, RELU }

    /** One affine layer, weight [out,in] row-major. */
    public record Layer(float[] weight, float[] bias, int outDim, int inDim) {
        public Layer {
            if (weight.length != outDim * inDim || bias.length != outDim) {
                throw new IllegalArgumentException("mlp layer: weight " + weight.length + " / bias " + bias.length
                        + " do not match " + outDim + "x" + inDim);
            }
        }
    }

    public MlpHead {
        layers = List.copyOf(layers);
        for (int i = 1; i < layers.size(); i++) {
            if (layers.get(i).inDim() != layers.get(i - 1).outDim()) {
                throw new IllegalArgumentException("mlp layer " + i + " takes " + layers.get(i).inDim()
                        + " inputs but layer " + (i - 1) + " gives " + layers.get(i - 1).outDim());
            }
        }
    }

    @Override
    public int inputDim() {
        return layers.getFirst().inDim();
    }

    @Override
    public int outputDim() {
        return layers.getLast().outDim();
    }

    @Override
    public float[] apply(float[] input) {
        float[] x = l2Normalize ? Head.l2Normalized(input) : input;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            x = Head.affine(l.weight(), l.bias(), l.outDim(), l.inDim(), x);
            if (activation == Activation.RELU && i < layers.size() - 1) {
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.max(0f, x[j]);
                }
            }
        }
        return x;
    }

    @Override
    public String type() {
        return "mlp";
    }
}
