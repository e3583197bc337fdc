package io.imagescore.fit;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * An image of a labelled set: the caller's id and either its encoded bytes or the sha256 of bytes sent before
 * (whose embeddings are in the {@link EmbeddingCache}). A sha256 given by a caller is exactly 64 lowercase hex
 * characters ({@link #isSha256}), because the cache uses it in a file name.
 */
public record ImageRef(String id, byte[] data, String sha256) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public static ImageRef ofBytes(String id, byte[] data) {
        return new ImageRef(id, data, null);
    }

    /** Refuses (INVALID_REQUEST) anything but 64 lowercase hex characters. */
    public static ImageRef ofHash(String id, String sha256) {
        if (!isSha256(sha256)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the sha256 of image " + io.imagescore.tenant.TenantNames.quote(id)
                    + " must be exactly 64 lowercase hex characters (0-9, a-f), got "
                    + (sha256 == null ? "none" : sha256.length() + " characters"), Map.of("field", "sha256", "rule", "sha256"), null);
        }
        return new ImageRef(id, null, sha256);
    }

    /** The one rule for a content hash that may become part of a file name: 64 lowercase hex characters. */
    public static boolean isSha256(String s) {
        return s != null && SHA256.matcher(s).matches();
    }
}
