package io.imagescore.image;

/**
 * S×S window of an {@link RgbImage} → CHW tensor: either the pixels themselves (UINT8, in the tensor's channel order,
 * for a model that normalises inside its graph) or normalised floats as torchvision's {@code ToTensor()} then
 * {@code Normalize(mean, std)} compute them in float32: {@code (v / 255f - mean) / std}. Each channel has only 256
 * possible results, so they are precomputed once per spec; a lookup gives the identical float.
 */
final class TensorWriter {
    private final int size;
    private final boolean bgr;
    private final float[][] lut = new float[3][256];

    TensorWriter(PreprocessSpec spec) {
        this.size = spec.size();
        this.bgr = spec.colorOrder() == PreprocessSpec.ColorOrder.BGR;
        for (int c = 0; c < 3; c++) {
            // the tensor's channel c holds source channel (bgr ? 2 - c : c), normalised with mean[c], std[c]
            for (int v = 0; v < 256; v++) {
                lut[c][v] = (v / 255f - spec.mean()[c]) / spec.std()[c];
            }
        }
    }

    /** The window's pixels, CHW in the tensor's channel order (what a UINT8-input model receives). */
    byte[] pixels(RgbImage img, int x0, int y0, boolean flip) {
        int s = size;
        int plane = s * s;
        byte[] t = new byte[3 * plane];
        int src0 = bgr ? 2 : 0;
        int src2 = bgr ? 0 : 2;
        byte[] px = img.pixels();
        int stride = img.stride();
        int step = flip ? -3 : 3;
        for (int y = 0; y < s; y++) {
            int o = y * s;
            int p = (y0 + y) * stride + x0 * 3 + (flip ? (s - 1) * 3 : 0);
            for (int x = 0; x < s; x++, p += step) {
                t[o + x] = px[p + src0];
                t[plane + o + x] = px[p + 1];
                t[2 * plane + o + x] = px[p + src2];
            }
        }
        return t;
    }

    /** CHW pixels → normalised CHW floats. */
    float[] normalise(byte[] chw) {
        int plane = chw.length / 3;
        float[] t = new float[chw.length];
        for (int c = 0; c < 3; c++) {
            float[] l = lut[c];
            for (int i = c * plane, end = i + plane; i < end; i++) {
                t[i] = l[chw[i] & 0xff];
            }
        }
        return t;
    }
}
