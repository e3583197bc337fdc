package io.imagescore.error;

import java.util.Map;

/** The one domain exception: a stable {@link ErrorCode}, a message a person can act on, and optional metadata. */
public class ImageScoreException extends RuntimeException {
    private final ErrorCode code;
    private final Map<String, String> metadata;

    public ImageScoreException(ErrorCode code, String message) {
        this(code, message, Map.of(), null);
    }

    public ImageScoreException(ErrorCode code, String message, Throwable cause) {
        this(code, message, Map.of(), cause);
    }

    public ImageScoreException(ErrorCode code, String message, Map<String, String> metadata, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.metadata = Map.copyOf(metadata);
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, String> metadata() {
        return metadata;
    }
}
