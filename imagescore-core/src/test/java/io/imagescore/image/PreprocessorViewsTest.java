package io.imagescore.image;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Views (centre, whole, native 3×3 grid, flips), channel order, fast-mode rules and the preprocessing id. */
class PreprocessorViewsTest {
    static final PreprocessSpec CLIP = PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP);
    final Preprocessor preprocessor = new Preprocessor();

    /** A 900×600 JPEG-free image whose pixel (x, y) is (x mod 256, y mod 256, (x / 256) * 16 + y / 256). */
    static byte[] coordinates() {
        BufferedImage img = new BufferedImage(900, 600, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 600; y++) {
            for (int x = 0; x < 900; x++) {
                img.setRGB(x, y, ((x & 0xff) << 16) | ((y & 0xff) << 8) | ((x >> 8) * 16 + (y >> 8)));
            }
        }
        return ImageCorpusTest.encode(img, "png");
    }

    /** The un-normalised value of tensor channel c at (x, y). */
    static int value(float[] t, int c, int x, int y, PreprocessSpec spec) {
        int s = spec.size();
        float v = t[c * s * s + y * s + x] * spec.std()[c] + spec.mean()[c];
        return Math.round(v * 255);
    }

    @Test
    void grid_crops_are_native_pixels_from_corner_to_corner_and_flips_mirror_them() {
        PreprocessedImage out = preprocessor.preprocess(coordinates(), CLIP, List.of(View.GRID3, View.GRID3_FLIP), PreprocessMode.EXACT);
        assertThat(out.width()).isEqualTo(900);
        assertThat(out.height()).isEqualTo(600);
        List<float[]> grid = out.views().get(View.GRID3);
        List<float[]> flipped = out.views().get(View.GRID3_FLIP);
        assertThat(grid).hasSize(9);
        int[] xs = {0, (900 - 224) / 2, 900 - 224};
        int[] ys = {0, (600 - 224) / 2, 600 - 224};
        for (int gy = 0; gy < 3; gy++) {
            for (int gx = 0; gx < 3; gx++) {
                float[] t = grid.get(gy * 3 + gx);
                for (int[] p : new int[][] {{0, 0}, {223, 0}, {17, 200}, {223, 223}}) {
                    int x = xs[gx] + p[0];
                    int y = ys[gy] + p[1];
                    assertThat(value(t, 0, p[0], p[1], CLIP)).isEqualTo(x & 0xff);
                    assertThat(value(t, 1, p[0], p[1], CLIP)).isEqualTo(y & 0xff);
                    assertThat(value(t, 2, p[0], p[1], CLIP)).isEqualTo((x >> 8) * 16 + (y >> 8));
                    assertThat(value(flipped.get(gy * 3 + gx), 0, 223 - p[0], p[1], CLIP)).isEqualTo(x & 0xff);
                }
            }
        }
    }

    @Test
    void centre_flip_and_whole_flip_mirror_their_views_and_bgr_swaps_channels() {
        byte[] png = coordinates();
        List<View> views = List.of(View.CENTER, View.CENTER_FLIP, View.WHOLE, View.WHOLE_FLIP);
        PreprocessedImage rgb = preprocessor.preprocess(png, CLIP, views, PreprocessMode.EXACT);
        for (View[] pair : new View[][] {{View.CENTER, View.CENTER_FLIP}, {View.WHOLE, View.WHOLE_FLIP}}) {
            float[] a = rgb.views().get(pair[0]).getFirst();
            float[] b = rgb.views().get(pair[1]).getFirst();
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 224; y += 37) {
                    for (int x = 0; x < 224; x++) {
                        assertThat(b[c * 224 * 224 + y * 224 + 223 - x]).isEqualTo(a[c * 224 * 224 + y * 224 + x]);
                    }
                }
            }
        }
        assertThat(rgb.views().get(View.CENTER).getFirst()).isNotEqualTo(rgb.views().get(View.WHOLE).getFirst());
        PreprocessSpec bgrSpec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.5f, 0.5f, 0.5f}, PreprocessSpec.ColorOrder.BGR, List.of(View.CENTER));
        PreprocessSpec rgbSpec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.5f, 0.5f, 0.5f}, PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));
        float[] bgr = preprocessor.preprocess(png, bgrSpec, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
        float[] plain = preprocessor.preprocess(png, rgbSpec, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
        int plane = 224 * 224;
        for (int i = 0; i < plane; i += 101) {
            assertThat(bgr[i]).isEqualTo(plain[2 * plane + i]);
            assertThat(bgr[plane + i]).isEqualTo(plain[plane + i]);
            assertThat(bgr[2 * plane + i]).isEqualTo(plain[i]);
        }
    }

    @Test
    void letterbox_pads_with_black_and_keeps_the_aspect() {
        PreprocessSpec spec = PillowParityTest.spec(PreprocessSpec.ResizePolicy.LETTERBOX);
        float[] t = preprocessor.preprocess(coordinates(), spec, List.of(View.CENTER), PreprocessMode.EXACT)
                .views().get(View.CENTER).getFirst();
        // 900×600 → 224×149 placed at y = round(37.5) = 38 (Python rounds half to even); rows 0-37 and 187- are black
        for (int c = 0; c < 3; c++) {
            assertThat(value(t, c, 100, 37, spec)).isZero();
            assertThat(value(t, c, 100, 38 + 149, spec)).isZero();
        }
        assertThat(value(t, 1, 100, 38, spec) + value(t, 1, 100, 38 + 148, spec)).isGreaterThan(0);
        assertThat(value(t, 0, 200, 100, spec)).isGreaterThan(0);
    }

    @Test
    void fast_mode_scales_jpegs_in_the_dct_but_not_for_native_grid_crops_and_no_view_depends_on_the_others() {
        byte[] jpeg = ImageCorpusTest.jpeg(ImageCorpusTest.noise(1000, 900), 0.9f, false);
        float[] exact = preprocessor.preprocess(jpeg, CLIP, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
        PreprocessedImage fast = preprocessor.preprocess(jpeg, CLIP, List.of(View.CENTER), PreprocessMode.FAST);
        assertThat(fast.width()).as("reported size is the full image's").isEqualTo(1000);
        assertThat(fast.views().get(View.CENTER).getFirst()).isNotEqualTo(exact);
        // beside a native-resolution grid the centre view is still the DCT-scaled one (two decodes), and the grid is
        // the full-resolution one: a score's pixels never depend on which other scores a request asks for
        PreprocessedImage withGrid = preprocessor.preprocess(jpeg, CLIP, List.of(View.CENTER, View.GRID3), PreprocessMode.FAST);
        assertThat(withGrid.views().get(View.CENTER).getFirst()).isEqualTo(fast.views().get(View.CENTER).getFirst());
        assertThat(withGrid.width()).isEqualTo(1000);
        PreprocessedImage gridExact = preprocessor.preprocess(jpeg, CLIP, List.of(View.GRID3), PreprocessMode.EXACT);
        for (int i = 0; i < 9; i++) {
            assertThat(withGrid.views().get(View.GRID3).get(i)).isEqualTo(gridExact.views().get(View.GRID3).get(i));
        }
        // a PNG has no DCT: fast equals exact
        byte[] png = coordinates();
        assertThat(preprocessor.preprocess(png, CLIP, List.of(View.CENTER), PreprocessMode.FAST).views().get(View.CENTER).getFirst())
                .isEqualTo(preprocessor.preprocess(png, CLIP, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst());
    }

    @Test
    void preprocessing_id_names_resampler_decoder_spec_and_mode() {
        Preprocessor imageIo = new Preprocessor(ImageLimits.DEFAULT, 1, false);
        Set<String> ids = Stream.of(preprocessor, imageIo)
                .flatMap(p -> Stream.of(PreprocessMode.values()).map(m -> p.preprocessingId(CLIP, m)))
                .collect(Collectors.toSet());
        assertThat(ids).hasSize(4).contains(
                "pil94-bicubic-v1/turbojpeg/clip224-rgb-m0.485,0.456,0.406-s0.229,0.224,0.225/exact",
                "pil94-bicubic-v1/turbojpeg-dct2n/clip224-rgb-m0.485,0.456,0.406-s0.229,0.224,0.225/fast",
                "pil94-bicubic-v1/imageio/clip224-rgb-m0.485,0.456,0.406-s0.229,0.224,0.225/exact");
    }

    @Test
    void concurrent_calls_give_the_same_tensors_as_sequential_ones() throws Exception {
        List<byte[]> images = PillowReference.photos(200).stream().map(PillowParityTest::read).toList();
        List<float[]> sequential = images.stream()
                .map(b -> preprocessor.preprocess(b, CLIP, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst())
                .toList();
        Preprocessor bounded = new Preprocessor(ImageLimits.DEFAULT, 2);
        List<float[]> parallel = images.parallelStream()
                .map(b -> bounded.preprocess(b, CLIP, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst())
                .toList();
        for (int i = 0; i < images.size(); i++) {
            assertThat(parallel.get(i)).isEqualTo(sequential.get(i));
        }
    }
}
