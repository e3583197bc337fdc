package io.imagescore.image;

/** Container format recognised from the first bytes (never from a file name or a client's claim). */
enum ImageFormat {
    JPEG, PNG, GIF, BMP, TIFF, WEBP,
    /** Recognised but not decodable here; the message names it. */
    HEIF, AVIF, JPEG2000, JPEGXL, PDF, SVG,
    UNKNOWN;

    boolean decodable() {
        return ordinal() <= WEBP.ordinal();
    }

    static ImageFormat sniff(byte[] b) {
        if (startsWith(b, 0, 0xff, 0xd8, 0xff)) {
            return JPEG;
        }
        if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a)) {
            return PNG;
        }
        if (startsWith(b, 0, 'G', 'I', 'F', '8')) {
            return GIF;
        }
        if (startsWith(b, 0, 'B', 'M')) {
            return BMP;
        }
        if (startsWith(b, 0, 'I', 'I', 42, 0) || startsWith(b, 0, 'M', 'M', 0, 42)) {
            return TIFF;
        }
        if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
            return WEBP;
        }
        if (startsWith(b, 4, 'f', 't', 'y', 'p')) {
            return startsWith(b, 8, 'a', 'v', 'i', 'f') || startsWith(b, 8, 'a', 'v', 'i', 's') ? AVIF : HEIF;
        }
        if (startsWith(b, 0, 0, 0, 0, 0x0c, 'j', 'P', ' ', ' ') || startsWith(b, 0, 0xff, 0x4f, 0xff, 0x51)) {
            return JPEG2000;
        }
        if (startsWith(b, 0, 0xff, 0x0a) || startsWith(b, 0, 0, 0, 0, 0x0c, 'J', 'X', 'L', ' ')) {
            return JPEGXL;
        }
        if (startsWith(b, 0, '%', 'P', 'D', 'F')) {
            return PDF;
        }
        String head = new String(b, 0, Math.min(b.length, 256), java.nio.charset.StandardCharsets.ISO_8859_1);
        if (head.contains("<svg")) {
            return SVG;
        }
        return UNKNOWN;
    }

    private static boolean startsWith(byte[] b, int offset, int... magic) {
        if (b.length < offset + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[offset + i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
