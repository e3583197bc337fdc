package io.imagescore.image;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Encoded bytes → 8-bit sRGB {@link RgbImage} as displayed (EXIF orientation applied), with the size limits checked
 * from the header first. JPEG (YCbCr, grey) goes through libjpeg-turbo when it is present (Pillow's exact pixels,
 * optional DCT downscaling); CMYK/YCCK JPEGs and every other format go through ImageIO with the TwelveMonkeys plugins
 * (ICC profiles and CMYK converted to sRGB). Grey is expanded, alpha composited on white, 16-bit reduced to its high
 * byte (as Pillow and libpng do), and only the first frame/page is read.
 */
final class ImageDecoder {
    static {
        ImageIO.setUseCache(false); // no temp files per decode
    }

    /** The displayed image, its full-resolution displayed size, and which decoder produced it. */
    record Decoded(RgbImage image, int fullWidth, int fullHeight, int dctDenominator, String decoder) {
    }

    private final ImageLimits limits;
    private final Optional<TurboJpeg> turbo;

    ImageDecoder(ImageLimits limits, Optional<TurboJpeg> turbo) {
        this.limits = limits;
        this.turbo = turbo;
    }

    boolean usesTurboJpeg() {
        return turbo.isPresent();
    }

    /** Fails fast on empty, oversized and unrecognised input; returns the recognised format. */
    ImageFormat check(ByteBuffer encoded) {
        if (encoded == null || !encoded.hasRemaining()) {
            throw new ImageScoreException(ErrorCode.EMPTY_IMAGE, "image has no bytes");
        }
        if (encoded.limit() > limits.maxBytes()) {
            throw new ImageScoreException(ErrorCode.IMAGE_TOO_LARGE,
                    "image file is " + encoded.limit() + " bytes, the limit is " + limits.maxBytes());
        }
        ImageFormat format = ImageFormat.sniff(encoded);
        if (!format.decodable() && format != ImageFormat.UNKNOWN) {
            throw new ImageScoreException(ErrorCode.UNSUPPORTED_FORMAT, format.name() + " images are not supported;"
                    + " send JPEG, PNG, WebP, GIF, BMP or TIFF");
        }
        return format;
    }

    /**
     * Width × height from the header alone, with every limit checked (IMAGE_TOO_LARGE, CORRUPT_IMAGE,
     * UNSUPPORTED_FORMAT): the admission cost of an image, known before any raster is allocated. PNG is read from
     * IHDR, JPEG from libjpeg-turbo's header parser, other formats from their ImageIO reader's header.
     */
    long pixels(ByteBuffer encoded) {
        ImageFormat format = check(encoded);
        if (format == ImageFormat.PNG && encoded.limit() >= 24 && encoded.get(12) == 'I' && encoded.get(13) == 'H'
                && encoded.get(14) == 'D' && encoded.get(15) == 'R') {
            return checkSize(Integer.toUnsignedLong(encoded.getInt(16)), Integer.toUnsignedLong(encoded.getInt(20)));
        }
        if (format == ImageFormat.JPEG && turbo.isPresent()) {
            try {
                TurboJpeg.Header h = turbo.get().header(encoded);
                return checkSize(h.width(), h.height());
            } catch (TurboJpeg.DecodeException e) {
                // ImageIO decides below, as decode() does
            }
        }
        if (format == ImageFormat.BMP && encoded.limit() >= 26) {
            return checkBmp(encoded);
        }
        return withReader(encoded, format, reader -> checkSize(reader.getWidth(0), reader.getHeight(0)));
    }

    /**
     * Decodes; when {@code dctTargetShortSide > 0} and the JPEG allows, at the smallest power-of-two DCT scale
     * (1/2, 1/4, 1/8) whose short side stays ≥ the target — Pillow's {@code draft((S, S))} rule, so the pixels
     * equal Pillow's draft decode.
     */
    Decoded decode(ByteBuffer encoded, int dctTargetShortSide) {
        ImageFormat format = check(encoded);
        int orientation = Orientation.of(encoded, format);
        if (format == ImageFormat.JPEG && turbo.isPresent()) {
            Decoded d = decodeTurbo(turbo.get(), encoded, dctTargetShortSide, orientation);
            if (d != null) {
                return d;
            }
        }
        if (format == ImageFormat.BMP && encoded.limit() >= 26) {
            checkBmp(encoded);
        }
        // the PNG reader ignores an embedded profile (the TIFF, WebP and CMYK JPEG readers apply it themselves)
        RgbImage decoded = decodeImageIo(encoded, format);
        if (format == ImageFormat.PNG) {
            decoded = IccProfiles.toSrgb(decoded, IccProfiles.embedded(encoded, format));
        }
        RgbImage img = Orientation.apply(decoded, orientation);
        return new Decoded(img, img.width(), img.height(), 1, "imageio");
    }

    /** null when the JPEG needs ImageIO (CMYK/YCCK, or a JPEG variant libjpeg-turbo rejects in the header). */
    private Decoded decodeTurbo(TurboJpeg tj, ByteBuffer encoded, int dctTarget, int orientation) {
        TurboJpeg.Header header;
        try {
            header = tj.header(encoded);
        } catch (TurboJpeg.DecodeException e) {
            return null; // ImageIO decides: it reads some files libjpeg-turbo rejects, else reports them corrupt
        }
        if (header.colorspace() == TurboJpeg.CS_CMYK || header.colorspace() == TurboJpeg.CS_YCCK) {
            return null;
        }
        checkSize(header.width(), header.height());
        int denom = 1;
        if (dctTarget > 0) {
            int fit = Math.min(header.width(), header.height()) / dctTarget;
            denom = fit >= 8 ? 8 : fit >= 4 ? 4 : fit >= 2 ? 2 : 1;
        }
        int w = (header.width() + denom - 1) / denom;
        int h = (header.height() + denom - 1) / denom;
        byte[] pixels = new byte[w * h * 3];
        TurboJpeg.Result result;
        try {
            result = tj.decode(encoded, pixels, w, h);
        } catch (TurboJpeg.DecodeException e) {
            throw corrupt("JPEG", e.getMessage(), null);
        }
        if (result.warning() != null && (result.warning().startsWith("Premature end of JPEG file")
                || result.warning().contains("contains no image"))) {
            // libjpeg pads a truncated file with grey; Pillow refuses it ("image file is truncated"), and so do we
            throw corrupt("JPEG", "the file is truncated (" + result.warning() + ")", null);
        }
        RgbImage srgb = IccProfiles.toSrgb(new RgbImage(w, h, pixels), IccProfiles.embedded(encoded, ImageFormat.JPEG));
        RgbImage img = Orientation.apply(srgb, orientation);
        boolean swap = orientation >= 5;
        return new Decoded(img, swap ? header.height() : header.width(), swap ? header.width() : header.height(),
                denom, "turbojpeg");
    }

    /** Crops of the displayed image and its full displayed size. */
    record Crops(List<RgbImage> crops, int fullWidth, int fullHeight) {
    }

    /**
     * The rectangles {x, y, w, h} that {@code windows} asks of the displayed (EXIF-oriented) image, given its full
     * size, decoded from only the JPEG blocks under them (TurboJpeg.decodeCrops): pixel for pixel what {@link
     * #decode} at full scale followed by {@link RgbImage#crop} gives, for much less work when the rectangles cover a
     * small part of a large photo. Null, and the caller decodes the whole image, unless the input is a
     * sequential Huffman-coded YCbCr or grey JPEG that libjpeg-turbo reads without a warning, and the rectangles
     * (each widened by an iMCU, see below) cover at most {@code maxAreaFraction} of it.
     *
     * <p>Progressive files are left to the whole decode: libjpeg smooths the blocks of a progressive image whose
     * coefficients are not all refined (from the neighbouring blocks' DC values), which a baseline crop would not.
     */
    Crops decodeCrops(ByteBuffer encoded, java.util.function.BiFunction<Integer, Integer, List<int[]>> windows,
                      double maxAreaFraction) {
        if (turbo.isEmpty() || check(encoded) != ImageFormat.JPEG || !sequentialHuffman(encoded)) {
            return null;
        }
        TurboJpeg tj = turbo.get();
        TurboJpeg.Header header;
        try {
            header = tj.header(encoded);
        } catch (TurboJpeg.DecodeException e) {
            return null;
        }
        if ((header.colorspace() != TurboJpeg.CS_YCBCR && header.colorspace() != TurboJpeg.CS_GRAY)
                || header.mcuWidth() == 0) {
            return null;
        }
        int w = header.width();
        int h = header.height();
        checkSize(w, h);
        int orientation = Orientation.of(encoded, ImageFormat.JPEG);
        boolean swap = orientation >= 5 && orientation <= 8;
        List<int[]> wanted = windows.apply(swap ? h : w, swap ? w : h);
        int mw = header.mcuWidth();
        int mh = header.mcuHeight();
        List<int[]> raw = new ArrayList<>(wanted.size());
        List<int[]> widened = new ArrayList<>(wanted.size());
        double area = 0;
        for (int[] r : wanted) {
            int[] u = unoriented(r, orientation, w, h);
            // one iMCU more on every side that is not an image edge, so that fancy upsampling sees the same
            // neighbours as in the whole decode; the left and top edges on iMCU boundaries, as tjTransform requires
            int x0 = Math.max(0, (u[0] / mw - 1) * mw);
            int y0 = Math.max(0, (u[1] / mh - 1) * mh);
            int x1 = Math.min(w, u[0] + u[2] + mw);
            int y1 = Math.min(h, u[1] + u[3] + mh);
            raw.add(u);
            widened.add(new int[] {x0, y0, x1 - x0, y1 - y0});
            area += (double) (x1 - x0) * (y1 - y0);
        }
        if (area > maxAreaFraction * w * h) {
            return null;
        }
        List<RgbImage> decoded = tj.decodeCrops(encoded, widened);
        if (decoded == null) {
            return null;
        }
        byte[] profile = IccProfiles.embedded(encoded, ImageFormat.JPEG);
        List<RgbImage> out = new ArrayList<>(decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            int[] u = raw.get(i);
            int[] c = widened.get(i);
            RgbImage kept = decoded.get(i).crop(u[0] - c[0], u[1] - c[1], u[2], u[3]);
            // the ICC conversion is per pixel, so converting the crop equals cropping the converted image
            out.add(Orientation.apply(IccProfiles.toSrgb(kept, profile), orientation));
        }
        return new Crops(out, swap ? h : w, swap ? w : h);
    }

    /** The rectangle {x, y, w, h} of the stored (unoriented) w×h image that orientation shows as {@code r}. */
    static int[] unoriented(int[] r, int orientation, int w, int h) {
        long a = Orientation.source(r[0], r[1], orientation, w, h);
        long b = Orientation.source(r[0] + r[2] - 1, r[1] + r[3] - 1, orientation, w, h);
        int ax = (int) (a >>> 32);
        int bx = (int) (b >>> 32);
        int x = Math.min(ax, bx);
        int y = Math.min((int) a, (int) b);
        return new int[] {x, y, Math.max(ax, bx) - x + 1, Math.max((int) a, (int) b) - y + 1};
    }

    /** Whether the JPEG's frame is baseline or extended sequential with Huffman coding (SOF0 / SOF1). */
    static boolean sequentialHuffman(ByteBuffer b) {
        int p = 2;
        int end = b.limit();
        while (p + 4 <= end) {
            if ((b.get(p) & 0xff) != 0xff) {
                return false;
            }
            int m = b.get(p + 1) & 0xff;
            if (m == 0xff) {
                p++; // fill byte
                continue;
            }
            if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {
                p += 2; // no length
                continue;
            }
            if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
                return m == 0xc0 || m == 0xc1;
            }
            if (m == 0xda || m == 0xd9) {
                return false; // scan or end before a frame header
            }
            p += 2 + (((b.get(p + 2) & 0xff) << 8) | (b.get(p + 3) & 0xff));
        }
        return false;
    }

    /** The JDK's BMP reader validates the declared size against the data before it reports the size. */
    private long checkBmp(ByteBuffer encoded) {
        ByteBuffer header = encoded.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        boolean os2 = header.getInt(14) == 12; // BITMAPCOREHEADER: 16-bit sizes
        return checkSize(os2 ? header.getShort(18) & 0xffff : Math.abs((long) header.getInt(18)),
                os2 ? header.getShort(20) & 0xffff : Math.abs((long) header.getInt(22)));
    }

    /** Returns w × h when within the limits. */
    private long checkSize(long w, long h) {
        if (w <= 0 || h <= 0) {
            throw new ImageScoreException(ErrorCode.CORRUPT_IMAGE, "image header declares an empty " + w + "x" + h + " image");
        }
        if (w > limits.maxSide() || h > limits.maxSide() || w * h > limits.maxPixels()) {
            throw new ImageScoreException(ErrorCode.IMAGE_TOO_LARGE, "image is " + w + "x" + h + " pixels; the limits are "
                    + limits.maxSide() + " px per side and " + limits.maxPixels() + " pixels",
                    java.util.Map.of("width", Long.toString(w), "height", Long.toString(h),
                            "max_pixels", Long.toString(limits.maxPixels())), null);
        }
        return w * h;
    }

    private RgbImage decodeImageIo(ByteBuffer encoded, ImageFormat format) {
        return withReader(encoded, format, reader -> {
            checkSize(reader.getWidth(0), reader.getHeight(0));
            return toRgb(reader.read(0));
        });
    }

    private interface ReaderWork<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs {@code work} with the ImageIO reader for {@code encoded}; every failure becomes the image's error. */
    private <T> T withReader(ByteBuffer encoded, ImageFormat format, ReaderWork<T> work) {
        String name = format == ImageFormat.UNKNOWN ? "image" : format.name();
        ImageReader reader = null;
        try (ImageInputStream in = new ByteBufferImageInputStream(encoded)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageScoreException(ErrorCode.UNSUPPORTED_FORMAT, "not a recognised image format ("
                        + encoded.limit() + " bytes starting " + hex(encoded) + "); send JPEG, PNG, WebP, GIF, BMP or TIFF");
            }
            reader = readers.next();
            reader.setInput(in, true, false);
            return work.apply(reader);
        } catch (ImageScoreException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new ImageScoreException(ErrorCode.IMAGE_TOO_LARGE, name + " needs more memory to decode than is available", e);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw corrupt(name, String.valueOf(e.getMessage()), e);
        } finally {
            if (reader != null) {
                reader.dispose();
            }
        }
    }

    private static ImageScoreException corrupt(String format, String detail, Throwable cause) {
        return new ImageScoreException(ErrorCode.CORRUPT_IMAGE, format + " data could not be decoded: " + detail, cause);
    }

    private static String hex(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.limit()); i++) {
            s.append(String.format(Locale.ROOT, "%02x", b.get(i) & 0xff));
        }
        return s.toString();
    }

    /** Any ImageIO image → sRGB bytes, row by row through one reused sample buffer. */
    static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        ColorSpace cs = cm.getColorSpace();
        int transfer = img.getRaster().getTransferType();
        boolean integral = transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT
                || transfer == DataBuffer.TYPE_INT || transfer == DataBuffer.TYPE_SHORT;
        if (!(cm instanceof IndexColorModel) && (!integral
                || (cs.getType() != ColorSpace.TYPE_GRAY && !cs.isCS_sRGB()))) {
            // another colour space (embedded ICC profile, CMYK) or float samples: let LCMS convert to sRGB
            BufferedImage srgb = new BufferedImage(w, h, cm.hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
            new ColorConvertOp(null).filter(img, srgb);
            img = srgb;
            cm = img.getColorModel();
        }
        WritableRaster raster = img.getRaster();
        byte[] out = new byte[w * h * 3];
        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            byte[] r = new byte[size];
            byte[] g = new byte[size];
            byte[] b = new byte[size];
            byte[] a = new byte[size];
            icm.getReds(r);
            icm.getGreens(g);
            icm.getBlues(b);
            icm.getAlphas(a);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                int o = y * w * 3;
                for (int x = 0; x < w; x++, o += 3) {
                    int i = Math.min(row[x], size - 1);
                    int alpha = a[i] & 0xff;
                    out[o] = onWhite(r[i] & 0xff, alpha);
                    out[o + 1] = onWhite(g[i] & 0xff, alpha);
                    out[o + 2] = onWhite(b[i] & 0xff, alpha);
                }
            }
            return new RgbImage(w, h, out);
        }
        int bands = raster.getNumBands();
        boolean grey = cm.getNumColorComponents() == 1;
        boolean alpha = cm.hasAlpha();
        boolean premultiplied = cm.isAlphaPremultiplied();
        int[] bits = cm.getComponentSize();
        int[] row = new int[w * bands];
        int alphaBand = bands - 1;
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0, p = 0; x < w; x++, p += bands, o += 3) {
                int a = alpha ? to8(row[p + alphaBand], bits[alphaBand]) : 255;
                if (grey) {
                    byte v = composite(to8(row[p], bits[0]), a, premultiplied);
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                } else {
                    out[o] = composite(to8(row[p], bits[0]), a, premultiplied);
                    out[o + 1] = composite(to8(row[p + 1], bits[1]), a, premultiplied);
                    out[o + 2] = composite(to8(row[p + 2], bits[2]), a, premultiplied);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** n-bit sample → 8 bits: 16-bit keeps the high byte (Pillow/libpng), other depths scale with rounding. */
    private static int to8(int v, int bits) {
        if (bits == 8) {
            return v & 0xff;
        }
        if (bits == 16) {
            return (v >> 8) & 0xff;
        }
        if (bits > 8) {
            return (v >>> (bits - 8)) & 0xff;
        }
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    private static byte composite(int c, int a, boolean premultiplied) {
        if (a == 255) {
            return (byte) c;
        }
        return premultiplied ? (byte) Math.min(255, c + 255 - a) : onWhite(c, a);
    }

    private static byte onWhite(int c, int a) {
        return (byte) ((c * a + 255 * (255 - a) + 127) / 255);
    }
}
