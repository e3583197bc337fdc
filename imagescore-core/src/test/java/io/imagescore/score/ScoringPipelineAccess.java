package io.imagescore.score;

/** Test access to the pipeline's content hash, so tests compare against the same definition. */
public final class ScoringPipelineAccess {
    private ScoringPipelineAccess() {
    }

    public static String sha256(byte[] data) {
        return ScoringPipeline.sha256(data);
    }
}
