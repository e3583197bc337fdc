package io.imagescore.image;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Embedded ICC profiles are applied like Pillow + ImageCms.profileToProfile(im, embedded, sRGB) (default, perceptual
 * intent), in every format that carries one: JPEG APP2, PNG iCCP, WebP ICCP. Adobe RGB (1998) and Display P3 profiles
 * are made here (the JDK's sRGB profile with other colorants and, for Adobe RGB, a 563/256 gamma), Pillow writes a
 * saturated test picture with each, and Pillow's LittleCMS gives the reference pixels. Before: the profile was ignored
 * (max difference to the reference ~50 levels on the saturated patches).
 */
class IccProfilesTest {
    @TempDir
    static Path tmp;
    static byte[] adobe;
    static byte[] p3;

    static byte[] xyz(double x, double y, double z) {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.put("XYZ ".getBytes()).putInt(0);
        for (double v : new double[]{x, y, z}) {
            b.putInt((int) Math.round(v * 65536));
        }
        return b.array();
    }

    static byte[] profile(double[] colorants, Optional<Integer> gamma8dot8) {
        ICC_Profile p = ICC_Profile.getInstance(ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData());
        p.setData(ICC_Profile.icSigRedColorantTag, xyz(colorants[0], colorants[1], colorants[2]));
        p.setData(ICC_Profile.icSigGreenColorantTag, xyz(colorants[3], colorants[4], colorants[5]));
        p.setData(ICC_Profile.icSigBlueColorantTag, xyz(colorants[6], colorants[7], colorants[8]));
        gamma8dot8.ifPresent(g -> {
            byte[] curv = ByteBuffer.allocate(14).put("curv".getBytes()).putInt(0).putInt(1).putShort((short) (int) g).array();
            for (int tag : new int[]{ICC_Profile.icSigRedTRCTag, ICC_Profile.icSigGreenTRCTag, ICC_Profile.icSigBlueTRCTag}) {
                p.setData(tag, curv);
            }
        });
        return p.getData();
    }

    @BeforeAll
    static void profiles() {
        adobe = profile(new double[]{0.60974, 0.31111, 0.01947, 0.20528, 0.62567, 0.06087, 0.14919, 0.06322, 0.74457}, Optional.of(563));
        p3 = profile(new double[]{0.515121, 0.241196, -0.001053, 0.291977, 0.692245, 0.041885, 0.157104, 0.066574, 0.784073}, Optional.empty());
    }

    /** Pillow writes {@code picture.<ext>} with the profile and {@code reference.rgb}: its decode converted to sRGB. */
    static Path pillow(String name, byte[] icc, String format) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name + "-" + format));
        Files.write(dir.resolve("profile.icc"), icc);
        String script = """
                import io, sys
                import numpy as np
                from PIL import Image, ImageCms
                d, fmt = sys.argv[1], sys.argv[2]
                y, x = np.mgrid[0:96, 0:128]
                a = np.zeros((96, 128, 3), np.uint8)
                a[..., 0] = (x * 2) % 256; a[..., 1] = (y * 255 // 95); a[..., 2] = 255 - (x * 2) % 256
                a[:32, :32] = (255, 0, 0); a[:32, 32:64] = (0, 255, 0); a[:32, 64:96] = (0, 0, 255); a[:32, 96:] = (250, 220, 40)
                icc = open(d + '/profile.icc', 'rb').read()
                kw = {'quality': 95, 'subsampling': 0} if fmt == 'jpeg' else {'lossless': True} if fmt == 'webp' else {}
                Image.fromarray(a).save(d + '/picture.' + fmt, icc_profile=icc, **kw)
                im = Image.open(d + '/picture.' + fmt).convert('RGB')
                out = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile('sRGB'))
                open(d + '/reference.rgb', 'wb').write(out.tobytes())
                open(d + '/plain.rgb', 'wb').write(im.tobytes())
                """;
        Process p = new ProcessBuilder(List.of("/usr/bin/python3", "-c", script, dir.toString(), format)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return dir;
    }

    static int maxDiff(byte[] a, byte[] b) {
        assertThat(a).hasSameSizeAs(b);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return max;
    }

    void check(String name, byte[] icc, String format) throws Exception {
        Path dir = pillow(name, icc, format);
        byte[] encoded = Files.readAllBytes(dir.resolve("picture." + format));
        assertThat(IccProfiles.embedded(encoded, ImageFormat.sniff(encoded))).as("profile found in " + format).isEqualTo(icc);
        RgbImage decoded = new ImageDecoder(ImageLimits.DEFAULT, TurboJpeg.instance()).decode(encoded, 0).image();
        byte[] reference = Files.readAllBytes(dir.resolve("reference.rgb"));
        byte[] plain = Files.readAllBytes(dir.resolve("plain.rgb"));
        int converted = maxDiff(decoded.pixels(), reference);
        System.out.printf("ICC %s in %s: max |Java - Pillow/LittleCMS| = %d (unconverted: %d)%n", name, format, converted,
                maxDiff(plain, reference));
        assertThat(maxDiff(plain, reference)).as("the profile matters for this picture").isGreaterThan(20);
        assertThat(converted).as("%s %s against Pillow + ImageCms", name, format).isLessThanOrEqualTo(2);
    }

    @Test
    void adobe_rgb_and_display_p3_in_jpeg_png_and_webp_convert_like_pillow_imagecms() throws Exception {
        for (String format : List.of("jpeg", "png", "webp")) {
            check("adobe-rgb", adobe, format);
            check("display-p3", p3, format);
        }
    }

    @Test
    void an_srgb_profile_leaves_the_pixels_untouched() {
        byte[] srgb = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
        RgbImage img = new RgbImage(2, 1, new byte[]{(byte) 250, 10, 20, 30, (byte) 200, 40});
        assertThat(IccProfiles.toSrgb(img, srgb)).isSameAs(img);
        assertThat(IccProfiles.toSrgb(img, adobe).pixels()).isNotEqualTo(img.pixels());
    }
}
