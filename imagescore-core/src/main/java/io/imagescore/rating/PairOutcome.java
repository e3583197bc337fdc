package io.imagescore.rating;

/** A rater's answer to "which of the two is better": the first shown, the second shown, or "can't tell". */
public enum PairOutcome {
    FIRST, SECOND, TIE
}
