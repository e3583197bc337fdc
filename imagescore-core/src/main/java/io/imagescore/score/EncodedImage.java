package io.imagescore.score;

import io.imagescore.image.View;

import java.util.List;
import java.util.Map;

/**
 * The encoder's outputs for one image: for each view, each requested output averaged over that view's tensors
 * (one for most views, nine for a grid), plus how many tensors that was, so views can be combined with the right
 * weight. Also the decoded size and the content hash of the encoded bytes.
 */
public record EncodedImage(String sha256, int width, int height, Map<View, ViewOutputs> views) {

    /**
     * @param outputs   each output averaged over the view's tensors
     * @param perTensor each output of each tensor, in the view's tensor order (a grid's row-major crops): spatial
     *                  outputs are explained per crop, where averaging would mix unrelated places
     */
    public record ViewOutputs(int tensors, Map<String, float[]> outputs, Map<String, List<float[]>> perTensor) {
    }

    /** Mean of {@code output} over every tensor of the given views (each tensor weighs the same). */
    public float[] mean(String output, List<View> over) {
        double[] acc = null;
        int n = 0;
        for (View v : over) {
            ViewOutputs vo = views.get(v);
            if (vo == null) {
                throw new IllegalArgumentException("view " + v.id() + " was not encoded");
            }
            float[] m = vo.outputs().get(output);
            if (acc == null) {
                acc = new double[m.length];
            }
            for (int i = 0; i < m.length; i++) {
                acc[i] += (double) m[i] * vo.tensors();
            }
            n += vo.tensors();
        }
        float[] out = new float[acc.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (acc[i] / n);
        }
        return out;
    }
}
