package io.imagescore.score;

import java.nio.ByteBuffer;

/**
 * One image of a request: the caller's id and the encoded bytes, a read-only view from index 0 (a request's buffer
 * is read in place, never copied: {@code ByteString.asReadOnlyByteBuffer()} wraps the parsed message's array).
 * {@code sha256}: the bytes' hex sha256 when the server computed it already (the score store's key), so the pipeline
 * does not hash them again; null = not known yet. Never a client's claim: only server code that hashed these bytes sets it.
 */
public record ImageInput(String id, ByteBuffer data, String sha256) {

    public ImageInput {
        data = data == null ? ByteBuffer.allocate(0).asReadOnlyBuffer() : data.slice().asReadOnlyBuffer(); // null: EMPTY_IMAGE
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
    }

    public ImageInput(String id, ByteBuffer data) {
        this(id, data, null);
    }

    public ImageInput(String id, byte[] data) {
        this(id, ByteBuffer.wrap(data));
    }

    /** A request's image without a copy of its bytes. */
    public static ImageInput of(String id, com.google.protobuf.ByteString data) {
        return new ImageInput(id, data.asReadOnlyByteBuffer());
    }

    public int size() {
        return data.limit();
    }
}
