package io.imagescore.image;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vectorised resampling passes give exactly the scalar passes' bytes (the scalar ones are what
 * {@code PillowParityTest} ties to Pillow when the Vector API module is absent; with it, the parity test covers the
 * vectorised ones): random pixels, downscales and upscales, odd sizes, windows at every edge.
 */
class PillowResamplerTest {

    @Test
    void the_vector_api_module_is_present_in_tests_as_in_the_launchers() {
        assertThat(PillowResampler.VECTOR_AVAILABLE).as("--add-modules=jdk.incubator.vector missing from the test JVM").isTrue();
    }

    @Test
    void vectorised_and_scalar_passes_give_identical_bytes() {
        Random rnd = new Random(42);
        int[][] sizes = {{500, 500, 224, 224}, {1024, 768, 298, 224}, {37, 5, 224, 30}, {3, 700, 1, 224}, {224, 224, 224, 300},
                {640, 427, 335, 224}, {9, 9, 224, 224}, {1500, 1000, 7, 5}};
        for (int[] s : sizes) {
            byte[] px = new byte[s[0] * s[1] * 3];
            rnd.nextBytes(px);
            RgbImage img = new RgbImage(s[0], s[1], px);
            for (int trial = 0; trial < 4; trial++) {
                int w = 1 + rnd.nextInt(s[2]);
                int h = 1 + rnd.nextInt(s[3]);
                int x0 = trial == 0 ? 0 : trial == 1 ? s[2] - w : rnd.nextInt(s[2] - w + 1);
                int y0 = trial == 0 ? 0 : trial == 1 ? s[3] - h : rnd.nextInt(s[3] - h + 1);
                RgbImage vector = PillowResampler.resizeWindow(img, s[2], s[3], x0, y0, w, h, true);
                RgbImage scalar = PillowResampler.resizeWindow(img, s[2], s[3], x0, y0, w, h, false);
                assertThat(vector.pixels()).as("%dx%d -> %dx%d window %dx%d+%d+%d", s[0], s[1], s[2], s[3], w, h, x0, y0)
                        .isEqualTo(scalar.pixels());
            }
        }
    }
}
