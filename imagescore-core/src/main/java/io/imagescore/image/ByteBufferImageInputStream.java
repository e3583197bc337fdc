package io.imagescore.image;

import javax.imageio.stream.ImageInputStreamImpl;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An ImageIO stream reading a buffer in place (a request's bytes are not copied: ImageIO's own stream over an
 * InputStream would cache every byte read, and a byte[] input needs a copy of the request's buffer first).
 */
final class ByteBufferImageInputStream extends ImageInputStreamImpl {
    private final ByteBuffer data;

    /** Reads {@code data} from index 0 to its limit; the buffer's position is not used or changed. */
    ByteBufferImageInputStream(ByteBuffer data) {
        this.data = data;
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        return streamPos < data.limit() ? data.get((int) streamPos++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        int left = data.limit() - (int) Math.min(streamPos, data.limit());
        if (left == 0) {
            return -1;
        }
        int n = Math.min(len, left);
        data.get((int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return data.limit();
    }
}
