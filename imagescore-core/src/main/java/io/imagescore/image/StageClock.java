package io.imagescore.image;

/**
 * Times (and traces) the stages of the scoring path. Lives here so that the preprocessor can report its two stages
 * (decode, preprocess) without depending on the scoring package; {@code score/ScoreMetrics} implements it.
 */
public interface StageClock {
    /** For callers that time nothing (tests, tools). */
    StageClock NONE = stage -> () -> {
    };

    /** Starts {@code stage}; closing the result ends it. */
    Timing begin(String stage);

    /** An open stage. */
    interface Timing extends AutoCloseable {
        @Override
        void close();
    }
}
