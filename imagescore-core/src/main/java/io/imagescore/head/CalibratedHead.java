package io.imagescore.head;

/** A scalar head whose output is mapped onto a client's scale by a declared {@link Calibration}. */
public record CalibratedHead(Head inner, Calibration calibration) implements Head {

    public CalibratedHead {
        if (inner.outputDim() != 1) {
            throw new IllegalArgumentException("only a scalar head can be calibrated; this one has " + inner.outputDim() + " outputs");
        }
    }

    @Override
    public int inputDim() {
        return inner.inputDim();
    }

    @Override
    public int outputDim() {
        return 1;
    }

    @Override
    public float[] apply(float[] input) {
        return new float[] {(float) calibration.apply(inner.apply(input)[0])};
    }

    @Override
    public String type() {
        return inner.type();
    }
}
