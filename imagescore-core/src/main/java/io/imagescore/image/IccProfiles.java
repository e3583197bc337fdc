package io.imagescore.image;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.ColorConvertOp;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Embedded ICC profiles: found in JPEG APP2, PNG iCCP and WebP ICCP chunks, and applied by converting the decoded
 * pixels to sRGB through the JDK's LittleCMS ({@link ColorConvertOp}) — what Pillow + ImageCms.profileToProfile(im,
 * embedded, sRGB) does with its default (perceptual) intent. The decoder applies it to libjpeg-turbo JPEGs and PNGs;
 * the TIFF, WebP (TwelveMonkeys) and CMYK JPEG readers convert by themselves. How close this is to LittleCMS through
 * Pillow (IccProfilesTest): at most 2 levels on saturated Adobe RGB and Display P3 pictures in JPEG, PNG and WebP.
 * <p>
 * Profiles with sRGB's colorants are left alone (no conversion, no rounding): they describe the pixels as they are,
 * and converting sRGB to sRGB through a LUT would move values by ±1 for nothing.
 */
final class IccProfiles {
    private static final String JPEG_ICC = "ICC_PROFILE\0";
    /** sRGB's D50-adapted colorants (rXYZ, gXYZ, bXYZ), as in every sRGB IEC61966-2.1 profile. */
    private static final double[] SRGB_COLORANTS = {0.4361, 0.2225, 0.0139, 0.3851, 0.7169, 0.0971, 0.1431, 0.0606, 0.7141};

    private IccProfiles() {
    }

    /** The embedded profile of a JPEG, PNG or WebP, or null (none, or malformed: then the pixels are used as they are). */
    static byte[] embedded(byte[] b, ImageFormat format) {
        try {
            return switch (format) {
                case JPEG -> fromJpeg(b);
                case PNG -> fromPng(b);
                case WEBP -> fromWebp(b);
                default -> null;
            };
        } catch (RuntimeException | DataFormatException e) {
            return null;
        }
    }

    /** {@code img} converted from {@code profile} to sRGB; {@code img} itself when there is nothing to convert. */
    static RgbImage toSrgb(RgbImage img, byte[] profile) {
        if (profile == null) {
            return img;
        }
        ICC_Profile icc;
        try {
            icc = ICC_Profile.getInstance(profile);
        } catch (IllegalArgumentException e) {
            return img; // unreadable profile: Pillow then also keeps the pixels
        }
        if (icc.getColorSpaceType() != ColorSpace.TYPE_RGB || icc.getProfileClass() == ICC_Profile.CLASS_ABSTRACT || isSrgb(icc)) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        WritableRaster src = Raster.createInterleavedRaster(new DataBufferByte(img.pixels(), img.pixels().length), w, h,
                w * 3, 3, new int[]{0, 1, 2}, null);
        byte[] out = new byte[img.pixels().length];
        WritableRaster dst = Raster.createInterleavedRaster(new DataBufferByte(out, out.length), w, h, w * 3, 3,
                new int[]{0, 1, 2}, null);
        new ColorConvertOp(new ICC_ColorSpace(icc), ColorSpace.getInstance(ColorSpace.CS_sRGB), null).filter(src, dst);
        return new RgbImage(w, h, out);
    }

    private static boolean isSrgb(ICC_Profile icc) {
        int[] tags = {ICC_Profile.icSigRedColorantTag, ICC_Profile.icSigGreenColorantTag, ICC_Profile.icSigBlueColorantTag};
        for (int t = 0; t < 3; t++) {
            byte[] xyz = icc.getData(tags[t]);
            if (xyz == null || xyz.length < 20) {
                return false;
            }
            for (int c = 0; c < 3; c++) {
                int v = ((xyz[8 + 4 * c] & 0xff) << 24) | ((xyz[9 + 4 * c] & 0xff) << 16) | ((xyz[10 + 4 * c] & 0xff) << 8) | (xyz[11 + 4 * c] & 0xff);
                if (Math.abs(v / 65536.0 - SRGB_COLORANTS[3 * t + c]) > 0.002) {
                    return false;
                }
            }
        }
        return true;
    }

    /** APP2 "ICC_PROFILE\0" segments, each with its sequence number and count, concatenated in order. */
    private static byte[] fromJpeg(byte[] b) {
        byte[][] chunks = null;
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xff) == 0xff) {
            int marker = b[p + 1] & 0xff;
            if (marker == 0xff) {
                p++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) {
                break;
            }
            int len = ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
            if (marker == 0xe2 && len > 16 && p + 2 + len <= b.length
                    && new String(b, p + 4, 12, StandardCharsets.ISO_8859_1).equals(JPEG_ICC)) {
                int seq = b[p + 16] & 0xff;
                int count = b[p + 17] & 0xff;
                if (chunks == null) {
                    chunks = new byte[count][];
                }
                if (seq >= 1 && seq <= chunks.length) {
                    chunks[seq - 1] = java.util.Arrays.copyOfRange(b, p + 18, p + 2 + len);
                }
            }
            p += 2 + len;
        }
        if (chunks == null) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] c : chunks) {
            if (c == null) {
                return null; // a missing part: no usable profile
            }
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    /** iCCP: profile name, NUL, compression method 0, zlib data. */
    private static byte[] fromPng(byte[] b) throws DataFormatException {
        int p = 8;
        while (p + 12 <= b.length) {
            int len = ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (len < 0 || p + 12 + len > b.length || type.equals("IDAT")) {
                return null; // iCCP must precede the image data
            }
            if (type.equals("iCCP")) {
                int nul = p + 8;
                while (nul < p + 8 + len && b[nul] != 0) {
                    nul++;
                }
                return inflate(b, nul + 2, p + 8 + len - (nul + 2));
            }
            p += 12 + len;
        }
        return null;
    }

    /** RIFF/WEBP with a VP8X header: the ICCP chunk holds the raw profile. */
    private static byte[] fromWebp(byte[] b) {
        int p = 12;
        while (p + 8 <= b.length) {
            int len = (b[p + 4] & 0xff) | ((b[p + 5] & 0xff) << 8) | ((b[p + 6] & 0xff) << 16) | ((b[p + 7] & 0xff) << 24);
            String type = new String(b, p, 4, StandardCharsets.ISO_8859_1);
            if (len < 0 || p + 8 + len > b.length) {
                return null;
            }
            if (type.equals("ICCP")) {
                return java.util.Arrays.copyOfRange(b, p + 8, p + 8 + len);
            }
            p += 8 + len + (len & 1);
        }
        return null;
    }

    private static byte[] inflate(byte[] b, int off, int len) throws DataFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(b, off, len);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
                if (out.size() > 16 << 20) {
                    return null; // no real profile is that big
                }
            }
            return out.toByteArray();
        } finally {
            inf.end();
        }
    }
}
