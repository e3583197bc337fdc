package io.imagescore.fit;

import io.imagescore.head.ScoreSpec;
import io.imagescore.pack.HeadVersion;

/** What the labels are: numeric targets (ridge), class labels (logistic) or comparisons (RankNet). */
public enum FitKind {
    REGRESSION, CLASSES, PAIRWISE;

    /** The kind an existing head version was fitted as (from its score kind and its training method). */
    public static FitKind of(HeadVersion version) {
        if (version.spec().kind() == ScoreSpec.Kind.CLASSES) {
            return CLASSES;
        }
        String method = version.training() == null ? "" : version.training().path("method").asText("");
        return method.startsWith("RankNet") ? PAIRWISE : REGRESSION;
    }
}
