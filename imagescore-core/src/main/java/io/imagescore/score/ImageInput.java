package io.imagescore.score;

import java.nio.ByteBuffer;

/**
 * One image of a request: the caller's id and the encoded bytes, a read-only view from index 0 (a request's buffer
 * is read in place, never copied: {@code ByteString.asReadOnlyByteBuffer()} wraps the parsed message's array).
 */
public record ImageInput(String id, ByteBuffer data) {

    public ImageInput {
        data = data == null ? ByteBuffer.allocate(0).asReadOnlyBuffer() : data.slice().asReadOnlyBuffer(); // null: EMPTY_IMAGE
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
