package io.imagescore.rating;

import java.util.Objects;

/** One pairwise answer: {@code first} and {@code second} are item indexes in the order they were shown. */
public record PairJudgement(int first, int second, PairOutcome outcome) {
    public PairJudgement {
        if (first < 0 || second < 0 || first == second) {
            throw new IllegalArgumentException("a judgement compares two different items, got " + first + " and " + second);
        }
        Objects.requireNonNull(outcome, "outcome");
    }
}
