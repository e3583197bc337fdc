package io.imagescore.fit;

/**
 * An image of a labelled set: the caller's id and either its encoded bytes or the sha256 of bytes sent before
 * (whose embeddings are in the {@link EmbeddingCache}).
 */
public record ImageRef(String id, byte[] data, String sha256) {

    public static ImageRef ofBytes(String id, byte[] data) {
        return new ImageRef(id, data, null);
    }

    public static ImageRef ofHash(String id, String sha256) {
        return new ImageRef(id, null, sha256);
    }
}
