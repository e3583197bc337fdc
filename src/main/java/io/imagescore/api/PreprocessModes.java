package io.imagescore.api;

import io.imagescore.image.PreprocessMode;

/** The preprocessing mode between the public API (proto) and the pixel pipeline, both ways: server and clients. */
public final class PreprocessModes {
    private PreprocessModes() {
    }

    /** Unset (and any value a newer client may send) means exact. */
    public static PreprocessMode fromProto(io.imagescore.api.v1.PreprocessMode mode) {
        return mode == io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST ? PreprocessMode.FAST : PreprocessMode.EXACT;
    }

    public static io.imagescore.api.v1.PreprocessMode toProto(PreprocessMode mode) {
        return mode == PreprocessMode.FAST ? io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST
                : io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_EXACT;
    }
}
