package io.imagescore.image;

/**
 * Per-image limits checked before a full decode (from the file header), so that a decompression bomb never
 * allocates its raster: encoded size, total pixels and longest side.
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxSide) {
    /** 50 MB files, 100 megapixels (a 300 MB RGB raster), 30,000 px sides: every real camera or scan fits. */
    public static final ImageLimits DEFAULT = new ImageLimits(50L << 20, 100_000_000L, 30_000);

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0 || maxSide <= 0) {
            throw new IllegalArgumentException("image limits must be positive");
        }
    }
}
