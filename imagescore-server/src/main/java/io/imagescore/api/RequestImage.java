package io.imagescore.api;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ImageInput;

import java.nio.ByteBuffer;
import java.util.regex.Pattern;

/**
 * One image of a scoring request: its bytes, or only the content hash of an image scored before
 * ({@code ImageInput.content_sha256}), which the score store answers. The bytes are the parsed request's, read in
 * place (never copied).
 */
record RequestImage(String id, ByteBuffer data, String contentSha256) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    static RequestImage of(io.imagescore.api.v1.ImageInput i) {
        String hash = i.getContentSha256();
        if (hash.isEmpty()) {
            return new RequestImage(i.getId(), i.getData().asReadOnlyByteBuffer(), null);
        }
        if (!i.getData().isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + i.getId() + "' has both data and content_sha256; send one");
        }
        if (!SHA256.matcher(hash).matches()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + i.getId()
                    + "': content_sha256 must be 64 lower-case hex digits");
        }
        return new RequestImage(i.getId(), null, hash);
    }

    boolean hashOnly() {
        return data == null;
    }

    ImageInput input() {
        return new ImageInput(id, data);
    }

    /** The bytes with their sha256, computed by the caller from exactly these bytes (the pipeline then skips hashing). */
    ImageInput input(String sha256) {
        return new ImageInput(id, data, sha256);
    }

    /** The bytes this image holds in memory (0 for a hash-only image). */
    int size() {
        return data == null ? 0 : data.remaining();
    }
}
