package io.imagescore.image;

/**
 * Per-image limits checked before a full decode (from the file header), so that a decompression bomb never
 * allocates its raster: encoded size, total pixels and longest side.
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxSide) {
    /**
     * Pillow's decompression-bomb threshold ({@code Image.MAX_IMAGE_PIXELS} = 1 GiB / 4 / 3 ≈ 89.5 MP, a 256 MiB
     * RGB raster): what the reference pipeline accepts is what we accept. Every real camera fits.
     */
    public static final long PILLOW_MAX_IMAGE_PIXELS = 89_478_485L;

    /** 50 MB files, Pillow's pixel limit, 30,000 px sides. */
    public static final ImageLimits DEFAULT = new ImageLimits(50L << 20, PILLOW_MAX_IMAGE_PIXELS, 30_000);

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0 || maxSide <= 0) {
            throw new IllegalArgumentException("image limits must be positive");
        }
    }
}
