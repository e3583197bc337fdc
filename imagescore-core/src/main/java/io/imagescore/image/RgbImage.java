package io.imagescore.image;

/**
 * A decoded 8-bit sRGB image, pixels interleaved R,G,B row by row with no padding ({@code stride = width * 3}).
 * The one pixel container of the preprocessing pipeline: decoders write it, the resampler and tensor writer read it
 * by index (no per-pixel objects).
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image must be at least 1x1, got " + width + "x" + height);
        }
        if (pixels.length < (long) width * height * 3) {
            throw new IllegalArgumentException("pixel buffer too small for " + width + "x" + height);
        }
    }

    public int stride() {
        return width * 3;
    }

    /** Copy of the window [x, x+w) × [y, y+h). */
    public RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + x + "+" + y + " outside " + width + "x" + height);
        }
        byte[] out = new byte[w * h * 3];
        for (int row = 0; row < h; row++) {
            System.arraycopy(pixels, ((y + row) * width + x) * 3, out, row * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }
}
