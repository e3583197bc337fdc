package io.imagescore.image;

import java.util.Arrays;
import java.util.List;

/**
 * How a pack's encoder wants its pixels: output side {@code size}, resize policy, per-channel mean/std applied to
 * values scaled to [0,1], channel order, and the default views. Declared in the pack manifest.
 */
public record PreprocessSpec(int size, ResizePolicy resize, float[] mean, float[] std, ColorOrder colorOrder,
                             List<View> views) {

    public enum ResizePolicy { CLIP, SQUASH, LETTERBOX }

    public enum ColorOrder { RGB, BGR }

    public PreprocessSpec {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values each");
        }
        mean = mean.clone();
        std = std.clone();
        views = List.copyOf(views);
        if (views.isEmpty()) {
            throw new IllegalArgumentException("at least one view is required");
        }
    }

    public PreprocessSpec withViews(List<View> newViews) {
        return new PreprocessSpec(size, resize, mean, std, colorOrder, newViews);
    }

    /**
     * A stable id of everything that determines the tensor (except the mode), e.g.
     * {@code clip224-rgb-m0.485,0.456,0.406-s0.229,0.224,0.225}. Views are reported per score, not here.
     */
    public String id() {
        return resize.name().toLowerCase() + size + "-" + colorOrder.name().toLowerCase()
                + "-m" + join(mean) + "-s" + join(std);
    }

    private static String join(float[] v) {
        return String.join(",", Arrays.stream(new Float[] {v[0], v[1], v[2]}).map(String::valueOf).toList());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessSpec p && size == p.size && resize == p.resize && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std) && colorOrder == p.colorOrder && views.equals(p.views);
    }

    @Override
    public int hashCode() {
        return id().hashCode() * 31 + views.hashCode();
    }
}
