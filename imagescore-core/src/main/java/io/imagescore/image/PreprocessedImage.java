package io.imagescore.image;

import java.util.List;
import java.util.Map;

/**
 * The tensors of one image: for each requested view, its S×S CHW tensors (one for most views, nine for a grid), plus
 * the decoded size (after EXIF orientation). The tensors are either normalised floats ({@code views}) or the raw
 * pixels ({@code pixels}, for a model that normalises inside its graph); the other map is empty.
 */
public record PreprocessedImage(int width, int height, Map<View, List<float[]>> views, Map<View, List<byte[]>> pixels) {
    public PreprocessedImage {
        views = Map.copyOf(views);
        pixels = Map.copyOf(pixels);
    }

    public PreprocessedImage(int width, int height, Map<View, List<float[]>> views) {
        this(width, height, views, Map.of());
    }

    /** Tensors of {@code view}, whichever form they have. */
    public int tensorCount(View view) {
        List<?> l = pixels.isEmpty() ? views.get(view) : pixels.get(view);
        return l.size();
    }
}
