package io.imagescore.image;

/**
 * S×S window of an {@link RgbImage} → CHW float tensor, as torchvision's {@code ToTensor()} then
 * {@code Normalize(mean, std)} compute it in float32: {@code (v / 255f - mean) / std}. Each channel has only 256
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

    float[] write(RgbImage img, int x0, int y0, boolean flip) {
        int s = size;
        int plane = s * s;
        float[] t = new float[3 * plane];
        float[] l0 = lut[0];
        float[] l1 = lut[1];
        float[] l2 = lut[2];
        int src0 = bgr ? 2 : 0;
        int src2 = bgr ? 0 : 2;
        byte[] px = img.pixels();
        int stride = img.stride();
        for (int y = 0; y < s; y++) {
            int rowStart = (y0 + y) * stride + x0 * 3;
            int o = y * s;
            if (!flip) {
                for (int x = 0, p = rowStart; x < s; x++, p += 3) {
                    t[o + x] = l0[px[p + src0] & 0xff];
                    t[plane + o + x] = l1[px[p + 1] & 0xff];
                    t[2 * plane + o + x] = l2[px[p + src2] & 0xff];
                }
            } else {
                for (int x = 0, p = rowStart + (s - 1) * 3; x < s; x++, p -= 3) {
                    t[o + x] = l0[px[p + src0] & 0xff];
                    t[plane + o + x] = l1[px[p + 1] & 0xff];
                    t[2 * plane + o + x] = l2[px[p + src2] & 0xff];
                }
            }
        }
        return t;
    }
}
