package io.imagescore.explain;

import io.imagescore.head.Head;
import io.imagescore.head.LinearHead;
import io.imagescore.head.CalibratedHead;
import io.imagescore.head.SoftmaxHead;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;

import java.util.ArrayList;
import java.util.List;

/**
 * Attribution maps for heads on globally pooled features. The head reads x̄ = mean over its T view tensors of
 * GAP(F_t), F_t the encoder's C × H × W spatial map of tensor t. With g a gradient of the explained quantity
 * ({@link HeadGradient}), cell (i, j) of tensor t contributes g·F_t[:, i, j] / (H·W·T). For a linear head g is its
 * weight row and this is the class-activation map, exactly additive; for a kernel head g is the gradient averaged
 * along the straight path from zero features to x̄ (integrated gradients, exact for the RBF form), so the cells add
 * up to the score minus the zero-feature score; for an MLP head it is the gradient at x̄ (first order). Multi-view
 * heads (a 3×3 grid of native crops and its mirror) combine each crop's map with its 1/T weight, and overlapping
 * crops add up where they overlap. CLIP prompt scores ({@link #explainDirection}) read patch tokens the same way.
 * The per-tensor cells are then spread over an image grid through each tensor's {@link Preprocessor.Window}
 * (area-weighted, so mass is kept; letterbox bars fall outside the image and are dropped).
 *
 * <p>The int8 encoder quantises the pooled vector, so GAP(F) and x̄ differ in the last bits: {@code offset} is
 * {@code value − Σ values}, the head's bias (or the baseline's score) plus that residual.
 */
public final class Explainer {
    /** Largest image grid side: responses stay small (≤ 32 × 32 floats per score). */
    public static final int MAX_GRID = 32;

    /** One tensor's spatial output: C × H × W row-major, as the encoder returns it. */
    public record SpatialTensor(View view, int index, Preprocessor.Window window, float[] map) {
    }

    /**
     * One image's spatial maps for the tensors of some views ({@code channels × rows × cols} each, C the embedding
     * length) on its {@code imageWidth × imageHeight} EXIF-oriented pixels: what every map is computed from.
     */
    public record Spatial(List<SpatialTensor> tensors, int channels, int rows, int cols, int imageWidth,
                          int imageHeight) {
    }

    private Explainer() {
    }

    /**
     * Explains one head score of one image.
     *
     * @param classes the classifier's labels, or null for a scalar head
     * @param pooled  the head's input x̄ (the embedding averaged over its views)
     * @param output  the head's output on x̄ (a classifier's probabilities: the most probable class is explained)
     * @param spatial every tensor of the head's views, each with its spatial map
     */
    public static Explanation explain(String score, String version, Head head, List<String> classes, float[] pooled,
                                      float[] output, Spatial spatial) {
        int target = -1;
        String targetName = "";
        if (classes != null) {
            float[] p = output;
            target = 0;
            for (int c = 1; c < p.length; c++) {
                if (p[c] > p[target]) {
                    target = c;
                }
            }
            targetName = classes.get(target);
        }
        boolean integrated = HeadGradient.integrated(head);
        HeadGradient.Result r = integrated ? HeadGradient.integratedGradient(head, pooled, target)
                : HeadGradient.of(head, pooled, target);
        String method = integrated ? "integrated-gradients" : isLinear(head) ? "cam" : "gradient";
        return rasterised(score, version, targetName, method, r.value(), spatial,
                (g, map, cells, scale) -> cam(g, map, spatial.channels(), cells, scale), r.gradient());
    }

    /**
     * Explains a score that is (linearised) a function of the unit image embedding x̂ through one direction d of the
     * embedding space (a CLIP prompt score: {@code CompiledPromptSet}): each tensor cell (a patch token in the image
     * embedding's space) contributes ẑ·d / (cells · tensors), ẑ the cell's own embedding scaled to unit length, as x̂ is.
     */
    public static Explanation explainDirection(String score, String version, String target, double value,
                                               double[] direction, Spatial spatial) {
        return rasterised(score, version, target, "patch-similarity", value, spatial,
                (d, map, cells, scale) -> unitCellDot(d, map, spatial.channels(), cells, scale), direction);
    }

    /** How one tensor's map becomes its cells: g · each cell, times scale. */
    private interface CellMap {
        float[] cells(double[] g, float[] map, int cells, double scale);
    }

    private static Explanation rasterised(String score, String version, String target, String method, double value,
                                          Spatial spatial, CellMap cellMap, double[] g) {
        int cells = spatial.rows() * spatial.cols();
        double scale = 1.0 / ((double) cells * spatial.tensors().size());
        List<Explanation.TensorMap> maps = new ArrayList<>(spatial.tensors().size());
        for (SpatialTensor t : spatial.tensors()) {
            maps.add(new Explanation.TensorMap(t.view(), t.index(), t.window(), spatial.rows(), spatial.cols(),
                    cellMap.cells(g, t.map(), cells, scale)));
        }
        int width = spatial.imageWidth();
        int height = spatial.imageHeight();
        int[] grid = gridSize(width, height, maps);
        float[] values = rasterise(maps, width, height, grid[0], grid[1]);
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return new Explanation(score, version, target, method, value, value - sum, width, height, grid[0], grid[1],
                values, List.copyOf(maps));
    }

    /** cells[ij] = scale · (Σ_d g_d · F[d, ij]) / ‖F[:, ij]‖: the direction against each cell's unit embedding. */
    static float[] unitCellDot(double[] g, float[] map, int channels, int cells, double scale) {
        float[] dots = cam(g, map, channels, cells, 1);
        double[] norms = new double[cells];
        for (int d = 0; d < channels; d++) {
            for (int ij = 0, off = d * cells; ij < cells; ij++) {
                norms[ij] += (double) map[off + ij] * map[off + ij];
            }
        }
        float[] out = new float[cells];
        for (int ij = 0; ij < cells; ij++) {
            out[ij] = norms[ij] > 0 ? (float) (dots[ij] / Math.sqrt(norms[ij]) * scale) : 0f;
        }
        return out;
    }

    /** cells[ij] = scale · Σ_d g_d · F[d, ij]: the class-activation map of one tensor. */
    static float[] cam(double[] g, float[] map, int channels, int cells, double scale) {
        if (map.length != channels * cells || g.length != channels) {
            throw new IllegalArgumentException("spatial map of " + map.length + " values for " + g.length
                    + " channels × " + cells + " cells");
        }
        double[] acc = new double[cells];
        for (int d = 0; d < channels; d++) {
            double gd = g[d];
            if (gd == 0) {
                continue;
            }
            for (int ij = 0, off = d * cells; ij < cells; ij++) {
                acc[ij] += gd * map[off + ij];
            }
        }
        float[] out = new float[cells];
        for (int ij = 0; ij < cells; ij++) {
            out[ij] = (float) (acc[ij] * scale);
        }
        return out;
    }

    private static boolean isLinear(Head head) {
        return switch (head) {
            case LinearHead l -> !l.l2Normalize();
            case SoftmaxHead s -> s.logits() != null && isLinear(s.logits());
            case CalibratedHead c -> isLinear(c.inner());
            default -> false;
        };
    }

    /** Rows and columns: about the finest tensor cell's size in image pixels, at most {@link #MAX_GRID}. */
    static int[] gridSize(int width, int height, List<Explanation.TensorMap> maps) {
        double cellW = Double.MAX_VALUE;
        double cellH = Double.MAX_VALUE;
        for (Explanation.TensorMap m : maps) {
            cellW = Math.min(cellW, (m.window().x1() - m.window().x0()) / m.mapCols());
            cellH = Math.min(cellH, (m.window().y1() - m.window().y0()) / m.mapRows());
        }
        int cols = (int) Math.max(1, Math.min(MAX_GRID, Math.round(width / cellW)));
        int rows = (int) Math.max(1, Math.min(MAX_GRID, Math.round(height / cellH)));
        return new int[] {rows, cols};
    }

    /** Spreads every tensor cell over the image grid by overlap area (the part outside the image is dropped). */
    static float[] rasterise(List<Explanation.TensorMap> maps, int width, int height, int rows, int cols) {
        double[] acc = new double[rows * cols];
        double gw = (double) width / cols;
        double gh = (double) height / rows;
        for (Explanation.TensorMap m : maps) {
            Preprocessor.Window w = m.window();
            double cw = (w.x1() - w.x0()) / m.mapCols();
            double ch = (w.y1() - w.y0()) / m.mapRows();
            for (int i = 0; i < m.mapRows(); i++) {
                double y0 = w.y0() + i * ch;
                for (int j = 0; j < m.mapCols(); j++) {
                    int col = w.flipped() ? m.mapCols() - 1 - j : j; // a mirrored tensor's column 0 is the image's right
                    double x0 = w.x0() + col * cw;
                    double v = m.cells()[i * m.mapCols() + j] / (cw * ch);
                    int r0 = Math.max(0, (int) Math.floor(y0 / gh));
                    int r1 = Math.min(rows - 1, (int) Math.floor((y0 + ch) / gh));
                    int c0 = Math.max(0, (int) Math.floor(x0 / gw));
                    int c1 = Math.min(cols - 1, (int) Math.floor((x0 + cw) / gw));
                    for (int r = r0; r <= r1; r++) {
                        double oy = Math.min(y0 + ch, (r + 1) * gh) - Math.max(y0, r * gh);
                        if (oy <= 0) {
                            continue;
                        }
                        for (int c = c0; c <= c1; c++) {
                            double ox = Math.min(x0 + cw, (c + 1) * gw) - Math.max(x0, c * gw);
                            if (ox > 0) {
                                acc[r * cols + c] += v * ox * oy;
                            }
                        }
                    }
                }
            }
        }
        float[] out = new float[acc.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) acc[k];
        }
        return out;
    }
}
