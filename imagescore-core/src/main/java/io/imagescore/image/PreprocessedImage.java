package io.imagescore.image;

import java.util.List;
import java.util.Map;

/**
 * The tensors of one image: for each requested view, its S×S CHW float tensors (one for most views, nine for a grid),
 * plus the decoded size (after EXIF orientation).
 */
public record PreprocessedImage(int width, int height, Map<View, List<float[]>> views) {
    public PreprocessedImage {
        views = Map.copyOf(views);
    }
}
