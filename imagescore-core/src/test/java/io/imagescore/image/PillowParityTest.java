package io.imagescore.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exact mode equals Pillow 9.4 + torchvision byte for byte (uint8 after resize and crop) and within 1e-6 (float
 * tensor), on real photos from ../shared and on generated JPEGs up to 12 MP. By default a subset (every 20th photo);
 * {@code -Dimagescore.parity=full} checks all 627 CLIVE, 2,400 rooms and 3,409 clothing photos:
 * {@code ./mvnw test -Dtest=PillowParityTest -Dimagescore.parity=full}.
 */
class PillowParityTest {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};
    static final int EVERY = "full".equals(System.getProperty("imagescore.parity")) ? 1 : 20;
    static final Path GENERATED = Path.of("target/generated-images");

    @TempDir
    Path tmp;

    static PreprocessSpec spec(PreprocessSpec.ResizePolicy policy) {
        return new PreprocessSpec(224, policy, MEAN, STD, PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));
    }

    private static List<Path> parityImages() {
        List<Path> images = new ArrayList<>(PillowReference.photos(EVERY));
        images.addAll(PillowReference.generated(GENERATED));
        return images;
    }

    @Test
    void exact_clip_pixels_and_tensors_equal_pillow_on_photos_and_generated_jpegs() {
        List<Path> images = parityImages();
        assertThat(images).hasSizeGreaterThan(EVERY == 1 ? 6400 : 320);
        checkParity(images, spec(PreprocessSpec.ResizePolicy.CLIP), PreprocessMode.EXACT, false, new Preprocessor());
    }

    @Test
    void fast_mode_equals_pillow_with_draft() {
        List<Path> images = new ArrayList<>(PillowReference.generated(GENERATED));
        images.addAll(PillowReference.photos(EVERY * 5));
        checkParity(images, spec(PreprocessSpec.ResizePolicy.CLIP), PreprocessMode.FAST, true, new Preprocessor());
    }

    @Test
    void squash_and_letterbox_equal_pillow() {
        List<Path> images = new ArrayList<>(PillowReference.generated(GENERATED));
        images.addAll(PillowReference.photos(EVERY * 10));
        checkParity(images, spec(PreprocessSpec.ResizePolicy.SQUASH), PreprocessMode.EXACT, false, new Preprocessor());
        checkParity(images, spec(PreprocessSpec.ResizePolicy.LETTERBOX), PreprocessMode.EXACT, false, new Preprocessor());
    }

    @Test
    void resampler_equals_pillow_when_upscaling_and_at_odd_sizes() {
        List<Path> images = new ArrayList<>(PillowReference.photos(400));
        images.add(PillowReference.generated(GENERATED).getFirst());
        for (int size : new int[] {1, 7, 31, 333, 777}) {
            PreprocessSpec spec = new PreprocessSpec(size, PreprocessSpec.ResizePolicy.SQUASH, MEAN, STD,
                    PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));
            checkParity(images, spec, PreprocessMode.EXACT, false, new Preprocessor());
            checkParity(images, new PreprocessSpec(size, PreprocessSpec.ResizePolicy.CLIP, MEAN, STD, PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER)), PreprocessMode.EXACT, false, new Preprocessor());
        }
    }

    @Test
    void imageio_fallback_equals_pillow_on_photos() {
        List<Path> images = PillowReference.photos(EVERY * 5);
        checkParity(images, spec(PreprocessSpec.ResizePolicy.CLIP), PreprocessMode.EXACT, false,
                new Preprocessor(ImageLimits.DEFAULT, 2, false));
    }

    private void checkParity(List<Path> images, PreprocessSpec spec, PreprocessMode mode, boolean draft, Preprocessor pre) {
        String policy = spec.resize().name().toLowerCase();
        Path out = tmp.resolve(policy + spec.size() + "-" + mode + "-" + pre.preprocessingId(spec, mode).hashCode());
        List<PillowReference.Ref> refs = PillowReference.reference(images, out, spec.size(), policy, draft);
        assertThat(refs).hasSameSizeAs(images);
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT,
                pre.preprocessingId(spec, mode).contains("turbojpeg") ? TurboJpeg.instance() : Optional.empty());
        int dctTarget = mode == PreprocessMode.FAST ? spec.size() : 0;
        List<String> pixelMismatches = new ArrayList<>();
        double maxTensorDiff = 0;
        for (PillowReference.Ref ref : refs) {
            assertThat(ref.status()).as(ref.image().toString()).isEqualTo("ok");
            byte[] encoded = read(ref.image());
            ImageDecoder.Decoded decoded = decoder.decode(java.nio.ByteBuffer.wrap(encoded), dctTarget);
            byte[] mine = pre.centre(decoded.image(), spec).pixels();
            byte[] theirs = ref.u8();
            if (!java.util.Arrays.equals(mine, theirs)) {
                pixelMismatches.add(ref.image() + " (" + countDifferent(mine, theirs) + " bytes differ)");
            }
            float[] expected = ref.f32();
            deleteQuietly(ref.dir().resolve(ref.index() + ".u8"), ref.dir().resolve(ref.index() + ".f32")); // GBs in a full run
            float[] tensor = pre.preprocess(encoded, spec, List.of(View.CENTER), mode).views().get(View.CENTER).getFirst();
            assertThat(tensor).hasSameSizeAs(expected);
            for (int i = 0; i < tensor.length; i++) {
                maxTensorDiff = Math.max(maxTensorDiff, Math.abs(tensor[i] - expected[i]));
            }
        }
        assertThat(pixelMismatches).as("%s %s images whose uint8 pixels differ from Pillow", policy, mode).isEmpty();
        assertThat(maxTensorDiff).as("max |tensor - torchvision|").isLessThanOrEqualTo(1e-6);
    }

    private static int countDifferent(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return Math.max(a.length, b.length);
        }
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] != b[i] ? 1 : 0;
        }
        return n;
    }

    private static void deleteQuietly(Path... files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // left for @TempDir cleanup
            }
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
