package io.imagescore.image;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Region decoding (ImageDecoder.decodeCrops: lossless crops of the DCT blocks, widened by an iMCU) gives the pixels of
 * the whole decode followed by a crop, byte for byte: every chroma subsampling libjpeg-turbo names, grey, restart
 * markers, odd sizes, EXIF orientations, rectangles on and off the iMCU grid and on every image edge, and real photos.
 * Progressive files are declined (the whole decode handles them).
 */
class RegionDecodeTest {
    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT, TurboJpeg.instance());

    /** {Y h, Y v} sampling factors (chroma 1×1): 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1. */
    private static final int[][] SAMPLINGS = {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {4, 1}};

    @Test
    void every_subsampling_grey_and_restart_markers_equal_the_whole_decode_then_crop() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        Random rnd = new Random(24);
        for (int[] f : SAMPLINGS) {
            for (int restart : new int[] {0, 3}) {
                byte[] jpeg = encode(picture(1203, 907, rnd, false), f[0], f[1], restart, false);
                assertRegionsExact(jpeg, "sampling " + f[0] + "x" + f[1] + " restart " + restart, rnd);
            }
        }
        assertRegionsExact(encode(picture(641, 479, rnd, true), 1, 1, 0, false), "grey", rnd);
        assertRegionsExact(encode(picture(641, 479, rnd, true), 1, 1, 5, false), "grey restart 5", rnd);
    }

    @Test
    void exif_orientations_map_the_displayed_rectangles_onto_the_stored_blocks() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        Random rnd = new Random(6);
        byte[] plain = encode(picture(803, 611, rnd, false), 2, 2, 0, false);
        for (int orientation = 1; orientation <= 8; orientation++) {
            assertRegionsExact(withOrientation(plain, orientation), "orientation " + orientation, rnd);
        }
    }

    @Test
    void an_embedded_icc_profile_is_applied_to_each_crop_as_to_the_whole_image() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        Random rnd = new Random(8);
        // linear RGB with Adobe RGB's red primary: not sRGB's colorants, so the decoder converts
        java.awt.color.ICC_Profile icc = java.awt.color.ICC_Profile.getInstance(
                java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_LINEAR_RGB).getData());
        byte[] red = icc.getData(java.awt.color.ICC_Profile.icSigRedColorantTag);
        ByteBuffer.wrap(red).putInt(8, (int) Math.round(0.6097 * 65536)).putInt(12, (int) Math.round(0.3111 * 65536))
                .putInt(16, (int) Math.round(0.0195 * 65536));
        icc.setData(java.awt.color.ICC_Profile.icSigRedColorantTag, red);
        byte[] jpeg = withIccProfile(encode(picture(611, 403, rnd, false), 2, 2, 0, false), icc.getData());
        RgbImage plain = decoder.decode(ByteBuffer.wrap(encode(picture(611, 403, new Random(8), false), 2, 2, 0, false)), 0).image();
        assertThat(decoder.decode(ByteBuffer.wrap(jpeg), 0).image().pixels()).as("the profile converts").isNotEqualTo(plain.pixels());
        assertRegionsExact(jpeg, "linear-RGB ICC profile", rnd);
    }

    @Test
    void real_photos_of_the_shared_sets_are_exact() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        Random rnd = new Random(7);
        List<Path> photos = PillowReference.photos(400);
        assertThat(photos).hasSizeGreaterThan(10);
        int checked = 0;
        for (Path p : photos) {
            byte[] jpeg = Files.readAllBytes(p);
            if (ImageFormat.sniff(ByteBuffer.wrap(jpeg)) == ImageFormat.JPEG && ImageDecoder.sequentialHuffman(ByteBuffer.wrap(jpeg))) {
                assertRegionsExact(jpeg, p.toString(), rnd);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(10);
    }

    @Test
    void progressive_files_are_left_to_the_whole_decode() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        byte[] jpeg = encode(picture(640, 480, new Random(1), false), 2, 2, 0, true);
        assertThat(ImageDecoder.sequentialHuffman(ByteBuffer.wrap(jpeg))).isFalse();
        assertThat(decoder.decodeCrops(ByteBuffer.wrap(jpeg), (w, h) -> List.of(new int[] {100, 100, 50, 50}), 1.0)).isNull();
    }

    @Test
    void rectangles_covering_more_than_the_allowed_share_and_truncated_files_are_declined() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        byte[] jpeg = encode(picture(640, 480, new Random(2), false), 2, 2, 0, false);
        ByteBuffer b = ByteBuffer.wrap(jpeg);
        assertThat(decoder.decodeCrops(b, (w, h) -> List.of(new int[] {0, 0, 400, 300}), 0.25)).isNull();
        assertThat(decoder.decodeCrops(b, (w, h) -> List.of(new int[] {0, 0, 200, 200}), 0.25)).isNotNull();
        ByteBuffer cut = ByteBuffer.wrap(java.util.Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        assertThat(decoder.decodeCrops(cut, (w, h) -> List.of(new int[] {0, 0, 64, 64}), 1.0))
                .as("a truncated file warns in libjpeg: the whole decode reports it").isNull();
    }

    @Test
    void grid_views_of_a_large_jpeg_decode_by_region_and_equal_the_whole_decode() throws IOException {
        assumeTrue(TurboJpeg.instance().isPresent(), "needs libturbojpeg.so.0");
        byte[] jpeg = encode(picture(2016, 1512, new Random(3), false), 2, 2, 0, false);
        PreprocessSpec spec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f}, PreprocessSpec.ColorOrder.RGB, List.of(View.GRID3));
        List<View> views = List.of(View.GRID3, View.GRID3_FLIP, View.CENTER);
        Preprocessor preprocessor = new Preprocessor();
        RgbImage whole = decoder.decode(ByteBuffer.wrap(jpeg), 0).image();
        var expected = preprocessor.pixelViews(whole, spec, List.of(View.GRID3, View.GRID3_FLIP));
        TensorWriter writer = new TensorWriter(spec);
        for (PreprocessMode mode : PreprocessMode.values()) {
            List<View> asked = mode == PreprocessMode.FAST ? views : views.subList(0, 2);
            PreprocessedImage got = preprocessor.preprocess(jpeg, spec, asked, mode);
            assertThat(got.width()).isEqualTo(2016);
            assertThat(got.height()).isEqualTo(1512);
            for (View v : List.of(View.GRID3, View.GRID3_FLIP)) {
                for (int i = 0; i < 9; i++) {
                    assertThat(got.views().get(v).get(i)).as(mode + " " + v + " " + i).isEqualTo(writer.normalise(expected.get(v).get(i)));
                }
            }
        }
        // the region path was the one taken: the grid's widened crops are ~20 % of this image
        assertThat(decoder.decodeCrops(ByteBuffer.wrap(jpeg), (w, h) -> List.of(new int[] {0, 0, 224, 224}),
                Preprocessor.REGION_MAX_AREA)).isNotNull();
    }

    /** Grid rectangles, image-edge rectangles and random ones: each equals the whole decode's crop. */
    private void assertRegionsExact(byte[] jpeg, String what, Random rnd) {
        ByteBuffer b = ByteBuffer.wrap(jpeg);
        RgbImage whole = decoder.decode(b, 0).image();
        int w = whole.width();
        int h = whole.height();
        List<int[]> rects = new ArrayList<>();
        int s = Math.min(224, Math.min(w, h));
        for (int gy = 0; gy < 3; gy++) {
            for (int gx = 0; gx < 3; gx++) {
                rects.add(new int[] {(w - s) * gx / 2, (h - s) * gy / 2, s, s});
            }
        }
        rects.add(new int[] {0, 0, w, h});
        rects.add(new int[] {w - 1, h - 1, 1, 1});
        rects.add(new int[] {16, 16, 16, 16});
        for (int i = 0; i < 12; i++) {
            int rw = 1 + rnd.nextInt(w);
            int rh = 1 + rnd.nextInt(h);
            rects.add(new int[] {rnd.nextInt(w - rw + 1), rnd.nextInt(h - rh + 1), rw, rh});
        }
        ImageDecoder.Crops crops = decoder.decodeCrops(b, (ow, oh) -> {
            assertThat(new int[] {ow, oh}).as(what + ": displayed size").containsExactly(w, h);
            return rects;
        }, 100.0);
        assertThat(crops).as(what + ": region decoding applies").isNotNull();
        assertThat(crops.fullWidth()).isEqualTo(w);
        assertThat(crops.fullHeight()).isEqualTo(h);
        for (int i = 0; i < rects.size(); i++) {
            int[] r = rects.get(i);
            RgbImage want = whole.crop(r[0], r[1], r[2], r[3]);
            RgbImage got = crops.crops().get(i);
            assertThat(got.width()).isEqualTo(r[2]);
            assertThat(got.height()).isEqualTo(r[3]);
            assertThat(got.pixels()).as(what + ": rectangle %s", java.util.Arrays.toString(r)).isEqualTo(want.pixels());
        }
    }

    /** Smooth colour gradients with strong noise: chroma changes from pixel to pixel, as upsampling must see. */
    private static BufferedImage picture(int w, int h, Random rnd, boolean grey) {
        BufferedImage img = new BufferedImage(w, h, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = clamp(128 + (int) (100 * Math.sin(x * 0.013 + y * 0.007)) + rnd.nextInt(61) - 30);
                int g = clamp(128 + (int) (100 * Math.cos(x * 0.011 - y * 0.017)) + rnd.nextInt(61) - 30);
                int bl = clamp((x * 255 / w + y * 255 / h) / 2 + rnd.nextInt(61) - 30);
                img.setRGB(x, y, (r << 16) | (g << 8) | bl);
            }
        }
        return img;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** JDK ImageIO's JPEG writer with the luma sampling factors (chroma 1×1), a restart interval and progressive. */
    static byte[] encode(BufferedImage img, int hs, int vs, int restartInterval, boolean progressive) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), param);
        String format = "javax_imageio_jpeg_image_1.0";
        Element root = (Element) meta.getAsTree(format);
        Element seq = (Element) root.getElementsByTagName("markerSequence").item(0);
        Element comp = (Element) seq.getElementsByTagName("componentSpec").item(0);
        comp.setAttribute("HsamplingFactor", Integer.toString(hs));
        comp.setAttribute("VsamplingFactor", Integer.toString(vs));
        for (int i = 1; i < seq.getElementsByTagName("componentSpec").getLength(); i++) {
            Element c = (Element) seq.getElementsByTagName("componentSpec").item(i);
            c.setAttribute("HsamplingFactor", "1");
            c.setAttribute("VsamplingFactor", "1");
        }
        if (restartInterval > 0) {
            Element dri = new javax.imageio.metadata.IIOMetadataNode("dri");
            dri.setAttribute("interval", Integer.toString(restartInterval));
            Node first = seq.getFirstChild();
            seq.insertBefore(dri, first);
        }
        meta.setFromTree(format, root);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, meta), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** The JPEG with {@code profile} in one APP2 ICC_PROFILE segment, right after SOI. */
    static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
        byte[] tag = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int len = 2 + tag.length + 2 + profile.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xff);
        out.write(0xe2);
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes(tag);
        out.write(1); // segment 1 of 1
        out.write(1);
        out.writeBytes(profile);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** The JPEG with an EXIF APP1 segment holding only the orientation tag, right after SOI. */
    static byte[] withOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0};
        byte[] exif = {'E', 'x', 'i', 'f', 0, 0};
        int len = 2 + exif.length + tiff.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xff);
        out.write(0xe1);
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes(exif);
        out.writeBytes(tiff);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
