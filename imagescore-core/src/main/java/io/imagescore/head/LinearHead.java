package io.imagescore.head;

/** y = W·x + b, optionally on the L2-normalised input (LAION aesthetic v1, ridge regression heads). */
public record LinearHead(float[] weight, float[] bias, int outputDim, int inputDim, boolean l2Normalize) implements Head {

    public LinearHead {
        if (weight.length != outputDim * inputDim || bias.length != outputDim) {
            throw new IllegalArgumentException("linear head: weight " + weight.length + " / bias " + bias.length
                    + " do not match " + outputDim + "x" + inputDim);
        }
    }

    @Override
    public float[] apply(float[] input) {
        return Head.affine(weight, bias, outputDim, inputDim, l2Normalize ? Head.l2Normalized(input) : input);
    }

    @Override
    public String type() {
        return "linear";
    }
}
