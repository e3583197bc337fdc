package io.imagescore.image;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad and unusual inputs, generated here (and, for CMYK JPEG and WebP, which Java cannot write, by
 * {@code scripts/pillow_reference.py corpus}). Each must give the right pixels or the right per-image error.
 * The test card is 64×48: red top-left, green top-right, blue bottom-left, white bottom-right.
 */
class ImageCorpusTest {
    static final int W = 64;
    static final int H = 48;
    static final int[] RED = {255, 0, 0};
    static final int[] GREEN = {0, 255, 0};
    static final int[] BLUE = {0, 0, 255};
    static final int[] WHITE = {255, 255, 255};
    static final Path PILLOW_CORPUS = Path.of("target/pillow-corpus");

    static ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT, TurboJpeg.instance());
    static Preprocessor preprocessor = new Preprocessor();

    @BeforeAll
    static void pillowCorpus() throws Exception {
        Process p = new ProcessBuilder(PillowReference.PYTHON, PillowReference.SCRIPT.toString(), "corpus",
                PILLOW_CORPUS.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("scripts/pillow_reference.py corpus").isZero();
    }

    // ---------------------------------------------------------------- errors

    @Test
    void empty_bytes_are_empty_image() {
        expectError(new byte[0], ErrorCode.EMPTY_IMAGE);
        expectError(null, ErrorCode.EMPTY_IMAGE);
    }

    @Test
    void zeros_random_bytes_text_and_other_formats_are_unsupported() {
        expectError(new byte[1000], ErrorCode.UNSUPPORTED_FORMAT);
        expectError(new java.util.Random(1).ints(5000, 0, 256).collect(ByteArrayOutputStream::new,
                (o, v) -> o.write(v), (a, b) -> { }).toByteArray(), ErrorCode.UNSUPPORTED_FORMAT);
        expectError("a caption, not a picture\n".repeat(40).getBytes(StandardCharsets.UTF_8), ErrorCode.UNSUPPORTED_FORMAT);
        byte[] heic = new byte[64];
        System.arraycopy("\0\0\0\u0018ftypheic".getBytes(StandardCharsets.ISO_8859_1), 0, heic, 0, 12);
        assertThat(expectError(heic, ErrorCode.UNSUPPORTED_FORMAT).getMessage()).contains("HEIF");
        expectError("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>".getBytes(StandardCharsets.UTF_8),
                ErrorCode.UNSUPPORTED_FORMAT);
        expectError("%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII), ErrorCode.UNSUPPORTED_FORMAT);
    }

    @Test
    void truncated_jpegs_are_corrupt_at_every_cut() {
        byte[] jpeg = jpeg(noise(320, 240), 0.9f, false);
        for (int cut : new int[] {3, 10, 100, jpeg.length / 2, jpeg.length - 300}) {
            expectError(Arrays.copyOf(jpeg, cut), ErrorCode.CORRUPT_IMAGE);
        }
        byte[] progressive = jpeg(noise(320, 240), 0.9f, true);
        expectError(Arrays.copyOf(progressive, progressive.length / 2), ErrorCode.CORRUPT_IMAGE);
    }

    @Test
    void truncated_jpegs_are_corrupt_through_imageio_too() {
        Preprocessor imageIo = new Preprocessor(ImageLimits.DEFAULT, 2, false);
        byte[] jpeg = jpeg(noise(320, 240), 0.9f, false);
        for (int cut : new int[] {3, 100}) {
            assertThatThrownBy(() -> imageIo.preprocess(Arrays.copyOf(jpeg, cut), PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP),
                    List.of(View.CENTER), PreprocessMode.EXACT))
                    .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_IMAGE));
        }
    }

    @Test
    void truncated_png_gif_bmp_tiff_are_corrupt() {
        for (String format : List.of("png", "gif", "bmp", "tiff")) {
            byte[] full = encode(noise(200, 150), format);
            expectError(Arrays.copyOf(full, 20), ErrorCode.CORRUPT_IMAGE);
            if (!format.equals("gif")) { // a GIF cut mid-frame still holds a readable (partly empty) frame, as in browsers
                expectError(Arrays.copyOf(full, full.length / 2), ErrorCode.CORRUPT_IMAGE);
            }
        }
    }

    @Test
    void jpeg_without_scan_data_is_corrupt() {
        byte[] jpeg = jpeg(card(), 0.9f, false);
        int sos = indexOf(jpeg, new byte[] {(byte) 0xff, (byte) 0xda});
        byte[] headerOnly = Arrays.copyOf(jpeg, sos + 2);
        headerOnly[sos] = (byte) 0xff;
        headerOnly[sos + 1] = (byte) 0xd9; // EOI where the scan should start
        expectError(headerOnly, ErrorCode.CORRUPT_IMAGE);
    }

    @Test
    void header_bombs_are_too_large_before_any_raster_is_allocated() {
        expectError(io.imagescore.testing.PngBombs.headerOnly(100_000, 100_000), ErrorCode.IMAGE_TOO_LARGE);
        byte[] jpeg = jpeg(card(), 0.9f, false);
        int sof = indexOf(jpeg, new byte[] {(byte) 0xff, (byte) 0xc0});
        jpeg[sof + 5] = (byte) 0xfd; // height 65000
        jpeg[sof + 6] = (byte) 0xe8;
        jpeg[sof + 7] = (byte) 0xfd; // width 65000
        jpeg[sof + 8] = (byte) 0xe8;
        expectError(jpeg, ErrorCode.IMAGE_TOO_LARGE);
        byte[] gif = encode(card(), "gif");
        // logical screen (bytes 6..9) and the first image descriptor's size
        ByteBuffer.wrap(gif).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(6, (short) 0xffff).putShort(8, (short) 0xffff);
        int descriptor = indexOf(gif, new byte[] {0x2c, 0, 0, 0, 0});
        ByteBuffer.wrap(gif).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(descriptor + 5, (short) 0xffff)
                .putShort(descriptor + 7, (short) 0xffff);
        expectError(gif, ErrorCode.IMAGE_TOO_LARGE);
        byte[] bmp = encode(card(), "bmp");
        ByteBuffer.wrap(bmp).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(18, 100_000).putInt(22, 100_000);
        expectError(bmp, ErrorCode.IMAGE_TOO_LARGE);
    }

    @Test
    void configured_limits_reject_by_bytes_pixels_and_side() {
        byte[] jpeg = jpeg(noise(400, 300), 0.9f, false);
        PreprocessSpec spec = PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP);
        for (ImageLimits limits : List.of(new ImageLimits(jpeg.length - 1, 1_000_000, 10_000),
                new ImageLimits(1 << 20, 400 * 300 - 1, 10_000), new ImageLimits(1 << 20, 1_000_000, 399))) {
            assertThatThrownBy(() -> new Preprocessor(limits, 1).preprocess(jpeg, spec, List.of(View.CENTER), PreprocessMode.EXACT))
                    .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_TOO_LARGE));
        }
        assertThat(new Preprocessor(new ImageLimits(jpeg.length, 400 * 300, 400), 1)
                .preprocess(jpeg, spec, List.of(View.CENTER), PreprocessMode.EXACT).width()).isEqualTo(400);
    }

    // ---------------------------------------------------------------- unusual but valid

    @Test
    void every_exif_orientation_is_applied_in_jpeg() {
        byte[] plain = jpeg(card(), 0.95f, false);
        for (int orientation = 1; orientation <= 8; orientation++) {
            RgbImage img = decode(withExif(plain, orientation, 0));
            assertDisplayedCard(img, orientation);
        }
    }

    @Test
    void orientation_is_found_behind_a_huge_exif_block_and_other_app_segments() {
        byte[] plain = jpeg(card(), 0.95f, false);
        byte[] xmp = app1("http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.US_ASCII), 60_000);
        byte[] withHugeExif = withExif(plain, 6, 64_000);
        byte[] both = new byte[withHugeExif.length + xmp.length];
        System.arraycopy(withHugeExif, 0, both, 0, 2);
        System.arraycopy(xmp, 0, both, 2, xmp.length);
        System.arraycopy(withHugeExif, 2, both, 2 + xmp.length, withHugeExif.length - 2);
        assertDisplayedCard(decode(both), 6);
    }

    @Test
    void broken_exif_is_ignored_not_fatal() {
        byte[] plain = jpeg(card(), 0.95f, false);
        byte[] exif = withExif(plain, 6, 0);
        int tiff = indexOf(exif, "MM\0*".getBytes(StandardCharsets.ISO_8859_1));
        exif[tiff + 7] = (byte) 0xf0; // IFD offset far outside the segment
        assertDisplayedCard(decode(exif), 1);
    }

    @Test
    void progressive_and_grey_jpegs_decode() {
        assertCard(decode(jpeg(card(), 0.95f, true)), 12);
        BufferedImage grey = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.setColor(new Color(200, 200, 200));
        g.fillRect(0, 0, W, H);
        g.dispose();
        RgbImage img = decode(jpeg(grey, 0.95f, false));
        int p = (10 * W + 10) * 3;
        assertThat(new int[] {img.pixels()[p] & 0xff, img.pixels()[p + 1] & 0xff, img.pixels()[p + 2] & 0xff})
                .containsExactly(200, 200, 200);
    }

    @Test
    void jpeg_with_garbage_between_segments_still_decodes() {
        byte[] jpeg = jpeg(card(), 0.95f, false);
        int sos = indexOf(jpeg, new byte[] {(byte) 0xff, (byte) 0xda});
        byte[] junk = {1, 2, 3, 4, 5};
        byte[] out = new byte[jpeg.length + junk.length];
        System.arraycopy(jpeg, 0, out, 0, sos);
        System.arraycopy(junk, 0, out, sos, junk.length);
        System.arraycopy(jpeg, sos, out, sos + junk.length, jpeg.length - sos);
        assertCard(decode(out), 12); // libjpeg warns ("extraneous bytes") and decodes, as Pillow does
    }

    @Test
    void cmyk_jpeg_is_converted_to_srgb() throws IOException {
        assertCard(decode(Files.readAllBytes(PILLOW_CORPUS.resolve("cmyk.jpg"))), 16);
    }

    @Test
    void png_bmp_tiff_and_gif_cards_decode_exactly() {
        for (String format : List.of("png", "bmp", "tiff", "gif")) {
            assertCard(decode(encode(card(), format)), 0);
        }
    }

    @Test
    void sixteen_bit_png_keeps_the_high_byte() {
        for (int bands : new int[] {1, 3}) {
            ColorSpace cs = ColorSpace.getInstance(bands == 1 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
            ComponentColorModel cm = new ComponentColorModel(cs, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
            WritableRaster raster = cm.createCompatibleWritableRaster(W, H);
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    for (int b = 0; b < bands; b++) {
                        raster.setSample(x, y, b, b == 0 ? 0x80ff : b == 1 ? 0x1234 : 0xff00);
                    }
                }
            }
            RgbImage img = decode(encode(new BufferedImage(cm, raster, false, null), "png"));
            int[] expected = bands == 1 ? new int[] {0x80, 0x80, 0x80} : new int[] {0x80, 0x12, 0xff};
            assertThat(pixel(img, 5, 5)).containsExactly(expected);
        }
    }

    @Test
    void transparency_is_composited_on_white() {
        // palette PNG with a transparent entry (tRNS)
        IndexColorModel palette = new IndexColorModel(8, 2, new byte[] {0, 0}, new byte[] {0, 0},
                new byte[] {0, (byte) 255}, new byte[] {0, (byte) 255});
        BufferedImage indexed = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED, palette);
        for (int y = 0; y < H; y++) {
            for (int x = W / 2; x < W; x++) {
                indexed.getRaster().setSample(x, y, 0, 1);
            }
        }
        RgbImage img = decode(encode(indexed, "png"));
        assertThat(pixel(img, 5, 5)).containsExactly(WHITE);
        assertThat(pixel(img, 50, 5)).containsExactly(BLUE);
        // RGBA PNG: transparent, half and opaque
        BufferedImage rgba = new BufferedImage(W, H, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                rgba.setRGB(x, y, x < 20 ? 0x00ff0000 : x < 40 ? 0x80000000 : 0xff00ff00);
            }
        }
        img = decode(encode(rgba, "png"));
        assertThat(pixel(img, 5, 5)).containsExactly(WHITE);
        assertThat(pixel(img, 30, 5)).containsExactly(127, 127, 127); // black at alpha 128/255 over white
        assertThat(pixel(img, 50, 5)).containsExactly(GREEN);
    }

    @Test
    void animated_gif_and_multi_page_tiff_give_the_first_frame() throws IOException {
        for (String format : List.of("gif", "tiff")) {
            BufferedImage red = solid(new Color(255, 0, 0));
            BufferedImage blue = solid(new Color(0, 0, 255));
            ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.prepareWriteSequence(null);
                writer.writeToSequence(new IIOImage(red, null, null), null);
                writer.writeToSequence(new IIOImage(blue, null, null), null);
                writer.endWriteSequence();
            }
            writer.dispose();
            assertThat(ImageIO.getImageReaders(ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())))
                    .next().getClass().getSimpleName()).isNotEmpty();
            assertThat(pixel(decode(bytes.toByteArray()), 5, 5)).as(format).containsExactly(RED);
        }
        assertThat(pixel(decode(Files.readAllBytes(PILLOW_CORPUS.resolve("webp-animated.webp"))), 5, 5)).containsExactly(RED);
    }

    @Test
    void webp_lossless_lossy_alpha_and_exif_decode() throws IOException {
        assertCard(decode(Files.readAllBytes(PILLOW_CORPUS.resolve("webp-lossless.webp"))), 0);
        assertCard(decode(Files.readAllBytes(PILLOW_CORPUS.resolve("webp-lossy.webp"))), 40);
        RgbImage alpha = decode(Files.readAllBytes(PILLOW_CORPUS.resolve("webp-alpha.webp")));
        assertThat(pixel(alpha, 5, 5)).containsExactly(WHITE);
        assertThat(pixel(alpha, 50, 5)).containsExactly(BLUE);
        assertDisplayedCard(decode(Files.readAllBytes(PILLOW_CORPUS.resolve("webp-exif6.webp"))), 6);
    }

    @Test
    void tiny_and_extreme_aspect_images_give_every_view() {
        PreprocessSpec spec = PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP);
        List<View> all = List.of(View.values());
        for (BufferedImage img : List.of(solid(Color.RED, 1, 1), solid(Color.RED, 1, 3000), solid(Color.RED, 3000, 2))) {
            for (PreprocessSpec.ResizePolicy policy : PreprocessSpec.ResizePolicy.values()) {
                PreprocessedImage out = preprocessor.preprocess(encode(img, "png"),
                        new PreprocessSpec(224, policy, spec.mean(), spec.std(), spec.colorOrder(), all), all, PreprocessMode.EXACT);
                assertThat(out.views()).hasSize(all.size());
                out.views().forEach((v, tensors) -> {
                    assertThat(tensors).hasSize(v.tensorCount());
                    tensors.forEach(t -> assertThat(t).hasSize(3 * 224 * 224));
                });
            }
        }
    }

    @Test
    void a_batch_of_every_corpus_input_never_throws_anything_but_per_image_errors() throws Exception {
        Map<String, byte[]> corpus = corpus();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(30);
        PreprocessSpec spec = PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP);
        Preprocessor pre = new Preprocessor(ImageLimits.DEFAULT, 2);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> results = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : corpus.entrySet()) {
                for (PreprocessMode mode : PreprocessMode.values()) {
                    results.add(pool.submit(() -> {
                        try {
                            pre.preprocess(e.getValue(), spec, List.of(View.CENTER, View.GRID3_FLIP), mode);
                            return "ok";
                        } catch (ImageScoreException ex) {
                            return ex.code().name();
                        }
                    }));
                }
            }
            int ok = 0;
            for (Future<String> f : results) {
                ok += f.get().equals("ok") ? 1 : 0; // any other exception would surface here as ExecutionException
            }
            assertThat(ok).isGreaterThan(20).isLessThan(results.size());
        }
    }

    // ---------------------------------------------------------------- corpus & helpers

    /** The named corpus: every input above in one map (used for the batch robustness test). */
    static Map<String, byte[]> corpus() throws IOException {
        Map<String, byte[]> c = new LinkedHashMap<>();
        byte[] jpeg = jpeg(noise(320, 240), 0.9f, false);
        c.put("empty", new byte[0]);
        c.put("zeros", new byte[1000]);
        c.put("text", "hello\n".repeat(100).getBytes(StandardCharsets.UTF_8));
        c.put("wrong-magic", ("GIF7" + "x".repeat(100)).getBytes(StandardCharsets.ISO_8859_1));
        for (int cut : new int[] {3, 10, 100, jpeg.length / 2, jpeg.length - 300}) {
            c.put("jpeg-cut-" + cut, Arrays.copyOf(jpeg, cut));
        }
        c.put("png-bomb", io.imagescore.testing.PngBombs.headerOnly(100_000, 100_000));
        c.put("progressive", jpeg(noise(320, 240), 0.9f, true));
        for (int o = 1; o <= 8; o++) {
            c.put("exif-" + o, withExif(jpeg(card(), 0.95f, false), o, 0));
        }
        c.put("huge-exif", withExif(jpeg(card(), 0.95f, false), 3, 64_000));
        for (String format : List.of("png", "gif", "bmp", "tiff")) {
            byte[] b = encode(noise(200, 150), format);
            c.put(format, b);
            c.put(format + "-cut", Arrays.copyOf(b, b.length / 2));
        }
        try (var files = Files.list(PILLOW_CORPUS)) {
            for (Path p : files.sorted().toList()) {
                c.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        c.put("1x1", encode(solid(Color.RED, 1, 1), "png"));
        c.put("1x3000", encode(solid(Color.RED, 1, 3000), "png"));
        return c;
    }

    private static ImageScoreException expectError(byte[] bytes, ErrorCode code) {
        for (PreprocessMode mode : PreprocessMode.values()) {
            try {
                preprocessor.preprocess(bytes, PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP), List.of(View.CENTER), mode);
            } catch (ImageScoreException e) {
                assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
                assertThat(e.getMessage()).isNotBlank();
                if (mode == PreprocessMode.FAST) {
                    return e;
                }
                continue;
            }
            throw new AssertionError("expected " + code + " but the image decoded (" + mode + ")");
        }
        throw new AssertionError("unreachable");
    }

    private static RgbImage decode(byte[] bytes) {
        return decoder.decode(bytes, 0).image();
    }

    static BufferedImage card() {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        int[][] colours = {RED, GREEN, BLUE, WHITE};
        for (int q = 0; q < 4; q++) {
            g.setColor(new Color(colours[q][0], colours[q][1], colours[q][2]));
            g.fillRect((q % 2) * W / 2, (q / 2) * H / 2, W / 2, H / 2);
        }
        g.dispose();
        return img;
    }

    private static void assertCard(RgbImage img, int tolerance) {
        assertDisplayedCard(img, 1, tolerance);
    }

    private static void assertDisplayedCard(RgbImage img, int orientation) {
        assertDisplayedCard(img, orientation, 12);
    }

    /**
     * EXIF semantics, written independently of the decoder: orientation n says on which visual side the stored
     * 0th row and 0th column lie (1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top,
     * 6 right/top, 7 right/bottom, 8 left/bottom). Checks the centre of each displayed quadrant.
     */
    private static void assertDisplayedCard(RgbImage img, int orientation, int tolerance) {
        String[] sides = {null, "top/left", "top/right", "bottom/right", "bottom/left", "left/top", "right/top",
                "right/bottom", "left/bottom"};
        String rowSide = sides[orientation].split("/")[0];
        String colSide = sides[orientation].split("/")[1];
        boolean swapped = rowSide.equals("left") || rowSide.equals("right");
        assertThat(img.width()).as("width, orientation " + orientation).isEqualTo(swapped ? H : W);
        assertThat(img.height()).isEqualTo(swapped ? W : H);
        int[][] stored = {RED, GREEN, BLUE, WHITE}; // index r*2+c
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 2; c++) {
                int vx;
                int vy;
                if (!swapped) {
                    vy = rowSide.equals("top") ? r : 1 - r;
                    vx = colSide.equals("left") ? c : 1 - c;
                } else {
                    vx = rowSide.equals("left") ? r : 1 - r;
                    vy = colSide.equals("top") ? c : 1 - c;
                }
                int[] got = pixel(img, img.width() / 4 + vx * img.width() / 2, img.height() / 4 + vy * img.height() / 2);
                int[] want = stored[r * 2 + c];
                for (int ch = 0; ch < 3; ch++) {
                    assertThat(Math.abs(got[ch] - want[ch])).as("orientation %d quadrant r%d c%d got %s want %s",
                            orientation, r, c, Arrays.toString(got), Arrays.toString(want)).isLessThanOrEqualTo(tolerance);
                }
            }
        }
    }

    static int[] pixel(RgbImage img, int x, int y) {
        int p = (y * img.width() + x) * 3;
        return new int[] {img.pixels()[p] & 0xff, img.pixels()[p + 1] & 0xff, img.pixels()[p + 2] & 0xff};
    }

    static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random r = new java.util.Random(w * 31L + h);
        byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (128 + 60 * Math.sin(i / 500.0) + r.nextInt(30));
        }
        return img;
    }

    private static BufferedImage solid(Color c) {
        return solid(c, W, H);
    }

    private static BufferedImage solid(Color c, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(ImageIO.write(img, format, out)).as("writer for " + format).isTrue();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] jpeg(BufferedImage img, float quality, boolean progressive) {
        try {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(img, null, null), param);
            }
            writer.dispose();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An APP1 segment: marker, length, the given header, then zero padding up to {@code totalPayload} bytes. */
    private static byte[] app1(byte[] header, int totalPayload) {
        int payload = Math.max(header.length, totalPayload);
        byte[] seg = new byte[4 + payload];
        seg[0] = (byte) 0xff;
        seg[1] = (byte) 0xe1;
        seg[2] = (byte) ((payload + 2) >> 8);
        seg[3] = (byte) (payload + 2);
        System.arraycopy(header, 0, seg, 4, header.length);
        return seg;
    }

    /** The JPEG with an EXIF APP1 (big-endian TIFF, IFD0 with only the orientation) inserted after SOI. */
    static byte[] withExif(byte[] jpeg, int orientation, int padTo) {
        ByteBuffer tiff = ByteBuffer.allocate(6 + 8 + 2 + 12 + 4);
        tiff.put("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        tiff.put("MM".getBytes(StandardCharsets.ISO_8859_1)).putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] seg = app1(tiff.array(), Math.min(padTo, 65_533));
        byte[] out = new byte[jpeg.length + seg.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(seg, 0, out, 2, seg.length);
        System.arraycopy(jpeg, 2, out, 2 + seg.length, jpeg.length - 2);
        return out;
    }


    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
