package io.imagescore.explain;

import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;

import java.util.List;

/**
 * Which regions of one image drive one score: a {@code rows × cols} grid over the EXIF-oriented image
 * ({@code imageWidth × imageHeight}; cell (r, c) covers x ∈ [c·W/cols, (c+1)·W/cols), y likewise), row-major
 * {@code values}: each cell's additive contribution to the explained quantity, so that
 * {@code Σ values + offset = value}. {@code value} is a scalar head's raw output (before calibration) or a
 * classifier's centred logit of {@code target}, or a prompt score's raw value. {@code method}: "cam" (linear heads:
 * exact class-activation map), "integrated-gradients" (kernel heads: integrated gradients from the zero-feature
 * baseline, exact for the RBF form; the cells sum to value minus the baseline's value), "gradient" (MLP heads: the
 * head's exact gradient at the image's pooled embedding times each cell's features, a first-order decomposition) or
 * "patch-similarity" (CLIP prompt scores: each patch token's unit embedding against the score's text direction,
 * linearised at the image; {@code CompiledPromptSet#explain}). {@code tensors}: the per-tensor maps it was rasterised from.
 */
public record Explanation(String score, String version, String target, String method, double value, double offset,
                          int imageWidth, int imageHeight, int rows, int cols, float[] values,
                          List<TensorMap> tensors) {

    /**
     * One encoder tensor's map: {@code mapRows × mapCols} cells (tensor orientation: for a mirrored view, column 0 is the
     * image's right side), each the contribution g·f_cell / (cells · tensors of the score).
     */
    public record TensorMap(View view, int index, Preprocessor.Window window, int mapRows, int mapCols, float[] cells) {
    }

    /** No map for this score, with the reason in {@code method} ("none: …"). */
    public static Explanation none(String score, String version, String why, int width, int height) {
        return new Explanation(score, version, "", "none: " + why, Double.NaN, Double.NaN, width, height, 0, 0,
                new float[0], List.of());
    }

    /** The values minus their mean: positive cells raise the score more than the image's average region does. */
    public float[] centred() {
        double mean = 0;
        for (float v : values) {
            mean += v;
        }
        mean /= values.length;
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (values[i] - mean);
        }
        return out;
    }
}
