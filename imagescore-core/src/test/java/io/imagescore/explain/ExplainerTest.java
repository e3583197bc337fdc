package io.imagescore.explain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.score.Engine;
import io.imagescore.head.Safetensors;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.onnx.UnsignedInt8Weights;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Explanations on the default pack's real heads and real photos. */
class ExplainerTest {
    static final Path PACK = Path.of("packs/mobilenetv2-default");
    static Engine engine;

    @BeforeAll
    static void open() {
        engine = new Engine(PACK, Shared.dir(), 2);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static Explanation explain(byte[] image, String score) {
        List<Outcome<ScoredImage>> out = engine.pipeline().score(engine.pack(), List.of(new ImageInput("x", image)),
                ScoringPipeline.select(engine.pack(), List.of(score)), false, true, PreprocessMode.EXACT, null);
        return out.getFirst().value().explanations().getFirst();
    }

    /**
     * A sharp CLIVE photo (MOS 91) with its left half box-blurred and noised: `quality` puts its below-average mass
     * in the left half, and the mirrored photo gets the mirrored map (grid3 + grid3_flip on a 500-px photo are
     * mirror-symmetric, so exactly up to float summation order).
     */
    @Test
    void quality_map_finds_the_damaged_half_and_mirrors_with_the_photo() throws IOException {
        BufferedImage photo = ImageIO.read(Shared.path("data/clive/images/844.JPG").toFile());
        BufferedImage damaged = damageLeftHalf(photo);
        Explanation e = explain(png(damaged), "quality");
        assertThat(e.method()).isEqualTo("cam");
        assertThat(e.rows()).isEqualTo(16);
        assertThat(e.cols()).isEqualTo(16);
        float[] c = e.centred();
        double left = 0;
        double right = 0;
        for (int r = 0; r < e.rows(); r++) {
            for (int col = 0; col < e.cols(); col++) {
                if (col < e.cols() / 2) {
                    left += c[r * e.cols() + col];
                } else {
                    right += c[r * e.cols() + col];
                }
            }
        }
        assertThat(left).as("left (damaged) half lowers quality").isNegative();
        assertThat(right).as("right (intact) half").isPositive();

        // the undamaged photo has no such left/right split of this size
        Explanation clean = explain(png(photo), "quality");
        float[] cc = clean.centred();
        double cleanLeft = 0;
        for (int r = 0; r < clean.rows(); r++) {
            for (int col = 0; col < clean.cols() / 2; col++) {
                cleanLeft += cc[r * clean.cols() + col];
            }
        }
        assertThat(left).isLessThan(cleanLeft - 0.5 * Math.abs(left));

        Explanation mirrored = explain(png(mirror(damaged)), "quality");
        assertThat(mirrored.value()).isCloseTo(e.value(), within(1e-4));
        for (int r = 0; r < e.rows(); r++) {
            for (int col = 0; col < e.cols(); col++) {
                assertThat(mirrored.values()[r * e.cols() + (e.cols() - 1 - col)]).as("cell %d,%d", r, col)
                        .isCloseTo(e.values()[r * e.cols() + col], within(1e-4f));
            }
        }
        // an additive decomposition: the cells plus the offset give the head's score
        double sum = 0;
        for (float v : e.values()) {
            sum += v;
        }
        assertThat(sum + e.offset()).isCloseTo(e.value(), within(1e-3));
    }

    /**
     * The maps equal class-activation maps computed here independently: the pack's ONNX model run directly on the
     * preprocessed tensor (same u8 weight rewrite as the backend), head weights read from the head's safetensors,
     * cam[i,j] = Σ_d w_d · F[d,i,j] / 49 (for a classifier, the top class's weights minus the class mean).
     */
    @Test
    void cams_equal_an_independent_computation_to_1e_5() throws Exception {
        byte[] photo = Files.readAllBytes(Shared.path("data/rooms/eval/kitchen").resolve(
                Files.list(Shared.path("data/rooms/eval/kitchen")).sorted().findFirst().orElseThrow().getFileName()));
        float[] tensor = new Preprocessor().preprocess(photo, engine.pack().preprocessing(), List.of(View.CENTER),
                PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
        float[] spatial = spatialMap(tensor);

        Map<String, Safetensors.F32> q = Safetensors.read(PACK.resolve("heads/quality_fast/1/weights.safetensors"));
        Explanation fast = explain(photo, "quality_fast");
        assertThat(fast.method()).isEqualTo("cam");
        assertCam(fast.tensors().getFirst().cells(), reference(spatial, q.get("weight").data(), 0, 1));
        assertThat(fast.offset()).as("bias + pooling quantisation").isCloseTo(q.get("bias").data()[0], within(0.5));

        Map<String, Safetensors.F32> rt = Safetensors.read(PACK.resolve("heads/room_type/1/weights.safetensors"));
        Explanation room = explain(photo, "room_type");
        int k = engine.pack().heads().get("room_type").lastEntry().getValue().spec().classes().indexOf(room.target());
        assertThat(room.target()).isEqualTo("kitchen");
        assertThat(room.tensors()).hasSize(18);
        // room_type reads grid3 + grid3_flip; on a 256-px photo grid crop (1,1) is not the centre crop, so check
        // crop 4 of grid3 against the model run on that crop
        float[] crop = new Preprocessor().preprocess(photo, engine.pack().preprocessing(), List.of(View.GRID3),
                PreprocessMode.EXACT).views().get(View.GRID3).get(4);
        Explanation.TensorMap m = room.tensors().get(4);
        assertThat(m.view()).isEqualTo(View.GRID3);
        assertCam(m.cells(), reference(spatialMap(crop), rt.get("weight").data(), k, 6, 18));
    }

    /**
     * The kernel head (apparel@2: RBF kernel ridge under a softmax, 4 views) gets integrated gradients from the
     * zero-feature baseline. Brute force here: the path integral of the head's gradient (written out again from the
     * head's weights) by Simpson's rule on 400 intervals, checked by completeness (ḡ·x̄ = s(x̄) − s(0) from the head's
     * own outputs), then each cell ḡ·F[:, cell] / (49 · 4) with the spatial maps from the model run directly.
     */
    @Test
    void kernel_maps_are_integrated_gradients_equal_to_a_brute_force_path_integral() throws Exception {
        byte[] photo = Shared.bytes("data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg");
        var hv = engine.pack().heads().get("apparel").lastEntry().getValue();
        var softmax = (io.imagescore.head.SoftmaxHead) hv.head();
        var kernel = (io.imagescore.head.KernelHead) softmax.logits();
        Explanation e = explain(photo, "apparel");
        assertThat(e.method()).isEqualTo("integrated-gradients");
        List<View> views = hv.spec().views();
        assertThat(views).hasSize(4);
        var tensors = new Preprocessor().preprocess(photo, engine.pack().preprocessing(), views, PreprocessMode.EXACT).views();
        double[] acc = new double[1280];
        float[][] maps = new float[4][];
        for (int t = 0; t < 4; t++) {
            Map<String, float[]> out = run(tensors.get(views.get(t)).getFirst());
            maps[t] = out.get("spatial");
            float[] f = out.get("features");
            for (int d = 0; d < 1280; d++) {
                acc[d] += f[d];
            }
        }
        float[] x = new float[1280];
        for (int d = 0; d < 1280; d++) {
            x[d] = (float) (acc[d] / 4);
        }
        int k = hv.spec().classes().indexOf(e.target());
        assertThat(k).isGreaterThanOrEqualTo(0);

        int steps = 400;
        double[] g = new double[1280];
        for (int m = 0; m <= steps; m++) {
            double alpha = (double) m / steps;
            double w = (m == 0 || m == steps ? 1 : m % 2 == 1 ? 4 : 2) / (3.0 * steps);
            double[] grad = kernelGradient(kernel, x, alpha, k);
            for (int d = 0; d < 1280; d++) {
                g[d] += w * grad[d];
            }
        }
        double gx = 0;
        for (int d = 0; d < 1280; d++) {
            gx += g[d] * x[d];
        }
        double rise = centredLogit(kernel, x, k) - centredLogit(kernel, new float[1280], k);
        assertThat(gx).as("completeness of the brute-force integral").isCloseTo(rise, within(1e-4 * Math.abs(rise) + 1e-5));
        assertThat(e.value()).isCloseTo(centredLogit(kernel, x, k), within(1e-5));

        double largest = 0;
        for (int t = 0; t < 4; t++) {
            Explanation.TensorMap m = e.tensors().get(t);
            assertThat(m.view()).isEqualTo(views.get(t));
            for (int c = 0; c < 49; c++) {
                double expected = 0;
                for (int d = 0; d < 1280; d++) {
                    expected += g[d] * maps[t][d * 49 + c];
                }
                expected /= 49 * 4;
                largest = Math.max(largest, Math.abs(expected));
                assertThat((double) m.cells()[c]).as("tensor %d cell %d", t, c).isCloseTo(expected, within(1e-5));
            }
        }
        assertThat(largest).as("the cells are not all ~0").isGreaterThan(1e-3);
    }

    /** ∇ₓ of class k's centred kernel score at αx, from the head's fields: Wᵀ Σᵢ (cᵢ − c̄)(−2γ)kᵢ(p − supᵢ). */
    static double[] kernelGradient(io.imagescore.head.KernelHead h, float[] x, double alpha, int k) {
        var proj = h.projection();
        int dims = proj.outputDim();
        int n = h.supportMean().length;
        int outs = h.bias().length;
        double[] p = new double[dims];
        for (int j = 0; j < dims; j++) {
            double s = proj.bias()[j];
            for (int d = 0; d < 1280; d++) {
                s += (double) proj.weight()[j * 1280 + d] * alpha * x[d];
            }
            p[j] = s;
        }
        double[] c = new double[n];
        double cMean = 0;
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < outs; o++) {
                c[i] += ((o == k ? 1.0 : 0.0) - 1.0 / outs) * h.coef()[i * outs + o];
            }
            cMean += c[i] / n;
        }
        double[] gp = new double[dims];
        for (int i = 0; i < n; i++) {
            double d2 = 0;
            for (int j = 0; j < dims; j++) {
                double t = p[j] - h.support()[i * dims + j];
                d2 += t * t;
            }
            double w = (c[i] - cMean) * -2 * h.gamma() * Math.exp(-h.gamma() * d2);
            for (int j = 0; j < dims; j++) {
                gp[j] += w * (p[j] - h.support()[i * dims + j]);
            }
        }
        double[] gx = new double[1280];
        for (int j = 0; j < dims; j++) {
            for (int d = 0; d < 1280; d++) {
                gx[d] += gp[j] * proj.weight()[j * 1280 + d];
            }
        }
        return gx;
    }

    static double centredLogit(io.imagescore.head.KernelHead h, float[] x, int k) {
        float[] s = h.apply(x);
        double mean = 0;
        for (float v : s) {
            mean += v / (double) s.length;
        }
        return s[k] - mean;
    }

    static float[] reference(float[] spatial, float[] weight, int k, int classes) {
        return reference(spatial, weight, k, classes, 1);
    }

    static float[] reference(float[] spatial, float[] weight, int k, int classes, int tensors) {
        float[] out = new float[49];
        for (int ij = 0; ij < 49; ij++) {
            double acc = 0;
            for (int d = 0; d < 1280; d++) {
                double w = weight[k * 1280 + d];
                if (classes > 1) {
                    double mean = 0;
                    for (int c = 0; c < classes; c++) {
                        mean += weight[c * 1280 + d];
                    }
                    w -= mean / classes;
                }
                acc += w * spatial[d * 49 + ij];
            }
            out[ij] = (float) (acc / 49 / tensors);
        }
        return out;
    }

    static void assertCam(float[] actual, float[] expected) {
        assertThat(actual).hasSize(49);
        for (int i = 0; i < 49; i++) {
            assertThat(actual[i]).as("cell %d", i).isCloseTo(expected[i], within(1e-5f));
        }
    }

    static float[] spatialMap(float[] tensor) throws Exception {
        return run(tensor).get("spatial");
    }

    /** The pack's model run directly on one tensor: its `spatial` and `features` outputs. */
    static Map<String, float[]> run(float[] tensor) throws Exception {
        var env = OrtEnvironment.getEnvironment();
        byte[] model = UnsignedInt8Weights.rewrite(Files.readAllBytes(engine.pack().encoder().file())).model();
        try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[] {1, 3, 224, 224});
             OrtSession.Result r = s.run(Map.of("input", in), java.util.Set.of("spatial", "features"))) {
            Map<String, float[]> out = new java.util.HashMap<>();
            for (String name : List.of("spatial", "features")) {
                FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
                float[] a = new float[fb.remaining()];
                fb.get(a);
                out.put(name, a);
            }
            return out;
        }
    }

    /** Left half: 9×9 box blur, then Gaussian noise σ = 12 (seeded); right half untouched. */
    static BufferedImage damageLeftHalf(BufferedImage src) {
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random rnd = new Random(0);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (x >= w / 2) {
                    out.setRGB(x, y, src.getRGB(x, y));
                    continue;
                }
                int[] acc = new int[3];
                int n = 0;
                for (int dy = -4; dy <= 4; dy++) {
                    for (int dx = -4; dx <= 4; dx++) {
                        int xx = Math.clamp(x + dx, 0, w / 2 - 1);
                        int yy = Math.clamp(y + dy, 0, h - 1);
                        int rgb = src.getRGB(xx, yy);
                        acc[0] += (rgb >> 16) & 0xff;
                        acc[1] += (rgb >> 8) & 0xff;
                        acc[2] += rgb & 0xff;
                        n++;
                    }
                }
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = (int) Math.clamp(Math.round(acc[c] / (double) n + rnd.nextGaussian() * 12), 0, 255);
                    rgb = (rgb << 8) | v;
                }
                out.setRGB(x, y, rgb);
            }
        }
        return out;
    }

    static BufferedImage mirror(BufferedImage src) {
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < src.getHeight(); y++) {
            for (int x = 0; x < src.getWidth(); x++) {
                out.setRGB(src.getWidth() - 1 - x, y, src.getRGB(x, y));
            }
        }
        return out;
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        return bytes.toByteArray();
    }
}
