package io.imagescore.batch;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Worker {@code index} of {@code count}: owns the ids whose stable hash falls in its bucket. The hash is the first
 * 8 bytes of SHA-256 over the UTF-8 id, read big-endian as an unsigned number, modulo {@code count}: the same in every
 * JVM and easy to reproduce elsewhere (Python: int.from_bytes(sha256(id).digest()[:8], 'big') % n).
 */
public record Shard(int index, int count) {
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "shard must be i/n with 0 ≤ i < n, got " + index + "/" + count);
        }
    }

    /** Parses "i/n". */
    public static Shard parse(String text) {
        int slash = text.indexOf('/');
        try {
            return new Shard(Integer.parseInt(text.substring(0, slash).strip()), Integer.parseInt(text.substring(slash + 1).strip()));
        } catch (RuntimeException e) {
            if (e instanceof ImageScoreException ise) {
                throw ise;
            }
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "shard must look like i/n (e.g. 0/4), got '" + text + "'");
        }
    }

    public boolean owns(String id) {
        return count == 1 || Long.remainderUnsigned(hash(id), count) == index;
    }

    public static long hash(String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(d, 0, 8).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
