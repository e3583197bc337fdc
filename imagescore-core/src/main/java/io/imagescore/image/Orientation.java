package io.imagescore.image;

import com.twelvemonkeys.imageio.metadata.CompoundDirectory;
import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;

import javax.imageio.stream.ImageInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * EXIF orientation (TIFF tag 274): finding it in JPEG APP1, PNG eXIf, WebP EXIF chunks and TIFF files, and applying
 * it the way Pillow's {@code ImageOps.exif_transpose} does. Malformed metadata means "no rotation", never an error:
 * the pixels are still fine.
 */
final class Orientation {
    static final int NORMAL = 1;

    private Orientation() {
    }

    /** Orientation of an encoded image of any supported format; 1 when absent or unreadable. */
    static int of(ByteBuffer b, ImageFormat format) {
        try {
            return switch (format) {
                case JPEG -> fromJpeg(b);
                case TIFF -> fromTiff(b, 0, b.limit());
                case PNG -> fromPng(b);
                case WEBP -> fromWebp(b);
                default -> NORMAL;
            };
        } catch (RuntimeException e) {
            return NORMAL;
        }
    }

    private static int fromJpeg(ByteBuffer b) {
        int p = 2;
        while (p + 4 <= b.limit()) {
            if ((b.get(p) & 0xff) != 0xff) {
                return NORMAL;
            }
            int marker = b.get(p + 1) & 0xff;
            if (marker == 0xff) { // fill byte
                p++;
                continue;
            }
            if (marker == 0xda || marker == 0xd9) { // start of scan / end of image: no more metadata
                return NORMAL;
            }
            int len = u16be(b, p + 2);
            if (marker == 0xe1 && len >= 8 && p + 4 + 6 <= b.limit() && b.get(p + 4) == 'E' && b.get(p + 5) == 'x'
                    && b.get(p + 6) == 'i' && b.get(p + 7) == 'f' && b.get(p + 8) == 0 && b.get(p + 9) == 0) {
                return fromTiff(b, p + 10, Math.min(b.limit(), p + 2 + len));
            }
            p += 2 + len;
        }
        return NORMAL;
    }

    private static int fromPng(ByteBuffer b) {
        int p = 8;
        while (p + 12 <= b.limit()) {
            int len = (int) Math.min(u32be(b, p), Integer.MAX_VALUE);
            String type = java.nio.charset.StandardCharsets.ISO_8859_1.decode(b.slice(p + 4, 4)).toString();
            if (type.equals("eXIf")) {
                return fromTiff(b, p + 8, Math.min(b.limit(), p + 8 + len));
            }
            if (type.equals("IDAT") || type.equals("IEND")) {
                return NORMAL;
            }
            p += 12 + len;
        }
        return NORMAL;
    }

    private static int fromWebp(ByteBuffer b) {
        int p = 12;
        while (p + 8 <= b.limit()) {
            int len = (int) Math.min(u32le(b, p + 4), Integer.MAX_VALUE);
            if (b.get(p) == 'E' && b.get(p + 1) == 'X' && b.get(p + 2) == 'I' && b.get(p + 3) == 'F') {
                int start = p + 8;
                // some writers keep the JPEG "Exif\0\0" prefix
                if (start + 6 <= b.limit() && b.get(start) == 'E' && b.get(start + 1) == 'x') {
                    start += 6;
                }
                return fromTiff(b, start, Math.min(b.limit(), p + 8 + len));
            }
            p += 8 + len + (len & 1);
        }
        return NORMAL;
    }

    /**
     * Reads tag 274 from IFD0 of the TIFF structure in b[start, end), through TwelveMonkeys' maintained TIFF/EXIF
     * reader (the containers above are only walked to find that structure). Malformed or missing: {@link #NORMAL}.
     */
    static int fromTiff(ByteBuffer b, int start, int end) {
        if (end - start < 8) {
            return NORMAL;
        }
        try (ImageInputStream in = new ByteBufferImageInputStream(b.slice(start, end - start))) {
            Directory ifds = new TIFFReader().read(in);
            Directory ifd0 = ifds instanceof CompoundDirectory c ? c.getDirectory(0) : ifds;
            Entry entry = ifd0 == null ? null : ifd0.getEntryById(TIFF.TAG_ORIENTATION);
            if (entry != null && entry.getValue() instanceof Number n && n.intValue() >= 1 && n.intValue() <= 8) {
                return n.intValue();
            }
            return NORMAL;
        } catch (IOException | RuntimeException e) {
            return NORMAL;
        }
    }

    /**
     * The image as displayed: 2 mirror, 3 rotate 180, 4 flip vertically, 5 transpose, 6 rotate 90° clockwise,
     * 7 transverse, 8 rotate 90° counter-clockwise.
     */
    static RgbImage apply(RgbImage img, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = img.pixels();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            int o = y * ow * 3;
            for (int x = 0; x < ow; x++, o += 3) {
                long at = source(x, y, orientation, w, h);
                int s = ((int) at * w + (int) (at >>> 32)) * 3;
                dst[o] = src[s];
                dst[o + 1] = src[s + 1];
                dst[o + 2] = src[s + 2];
            }
        }
        return new RgbImage(ow, oh, dst);
    }

    /**
     * The pixel of the stored w×h image that {@code orientation} displays at (x, y), packed as
     * {@code (long) sx << 32 | sy} (no allocation in the per-pixel loop).
     */
    static long source(int x, int y, int orientation, int w, int h) {
        int sx;
        int sy;
        switch (orientation) {
            case 2 -> { sx = w - 1 - x; sy = y; }
            case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
            case 4 -> { sx = x; sy = h - 1 - y; }
            case 5 -> { sx = y; sy = x; }
            case 6 -> { sx = y; sy = h - 1 - x; }
            case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
            case 8 -> { sx = w - 1 - y; sy = x; }
            default -> { sx = x; sy = y; }
        }
        return (long) sx << 32 | sy;
    }

    private static int u16be(ByteBuffer b, int p) {
        return ((b.get(p) & 0xff) << 8) | (b.get(p + 1) & 0xff);
    }

    private static int u16le(ByteBuffer b, int p) {
        return ((b.get(p + 1) & 0xff) << 8) | (b.get(p) & 0xff);
    }

    private static long u32be(ByteBuffer b, int p) {
        return ((long) u16be(b, p) << 16) | u16be(b, p + 2);
    }

    private static long u32le(ByteBuffer b, int p) {
        return ((long) u16le(b, p + 2) << 16) | u16le(b, p);
    }
}
