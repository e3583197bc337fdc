package io.imagescore.image;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;

import java.util.Map;

/** The preprocessing mode between the public API (proto) and the pixel pipeline, both ways: server and clients. */
public final class PreprocessModes {
    private PreprocessModes() {
    }

    /**
     * The mode of a request's {@code preprocess_mode} wire value (pass {@code getPreprocessModeValue()}): unset means
     * exact; a number the proto does not define is INVALID_REQUEST, never silently exact.
     */
    public static PreprocessMode fromProto(int value) {
        var mode = io.imagescore.api.v1.PreprocessMode.forNumber(value);
        if (mode == null) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "preprocess_mode " + value + " is not a known mode; "
                    + "use PREPROCESS_MODE_EXACT, PREPROCESS_MODE_FAST or leave it unset",
                    Map.of("field", "preprocess_mode", "rule", "enum"), null);
        }
        return mode == io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST ? PreprocessMode.FAST : PreprocessMode.EXACT;
    }

    public static io.imagescore.api.v1.PreprocessMode toProto(PreprocessMode mode) {
        return mode == PreprocessMode.FAST ? io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST
                : io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_EXACT;
    }
}
