package io.imagescore.config;

import io.imagescore.image.ImageLimits;
import io.smallrye.config.WithDefault;

import java.util.OptionalInt;

/** Per-image limits ({@link ImageLimits}) and decode concurrency of the server. */
public interface ImageConfig {

    /** Largest encoded image file. */
    @WithDefault("52428800")
    long maxBytes();

    /** Most pixels per image, read from the header: above it IMAGE_TOO_LARGE without decoding (Pillow's bomb limit). */
    @WithDefault("89478485")
    long maxPixels();

    /** Longest side in pixels. */
    @WithDefault("30000")
    int maxSide();

    /** Full rasters decoded at once; default: the cores this process may use. */
    OptionalInt concurrentDecodes();

    /**
     * Grid views of large JPEGs decoded from their own DCT blocks (same pixels as the whole decode, less work; see
     * bench/README.md); false decodes the whole image (comparisons).
     */
    @WithDefault("true")
    boolean regionDecode();

    default ImageLimits limits() {
        return new ImageLimits(maxBytes(), maxPixels(), maxSide());
    }
}
