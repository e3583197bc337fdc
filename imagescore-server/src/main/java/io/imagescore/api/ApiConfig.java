package io.imagescore.api;

import io.smallrye.config.WithDefault;

public interface ApiConfig {

    /** Most images one Score request may carry; the inbound message limit must fit them. */
    @WithDefault("64")
    int maxImagesPerRequest();

    /**
     * Most images in flight on one ScoreStream (read but not yet answered); their bytes are also kept under
     * {@code imagescore.limits.max-request-bytes} (plus one message).
     */
    @WithDefault("64")
    int streamWindow();

    /** Images scored together from one stream (one encoder pass). */
    @WithDefault("32")
    int streamBatch();

    /** Default number of top classes per distribution. */
    @WithDefault("5")
    int topK();

    /** Images one CompareVariants call may score (each under both variants). */
    @WithDefault("1000")
    int maxCompareImages();
}
