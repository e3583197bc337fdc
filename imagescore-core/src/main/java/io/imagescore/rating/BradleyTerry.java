package io.imagescore.rating;

/**
 * The Bradley–Terry likelihood with Rao–Kupper ties, as a function of the score difference d = s_first − s_second
 * (logit units): P(first) = σ(d − ε), P(second) = σ(−d − ε), P(tie) = σ(ε − d) − σ(−ε − d) = 1 − P(first) − P(second),
 * where ε ≥ 0 is the tie margin (ε = ln θ in Rao and Kupper's notation; ε = 0 is plain Bradley–Terry with no ties).
 */
final class BradleyTerry {
    private BradleyTerry() {
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** Likelihood of {@code outcome} given the difference {@code d}. */
    static double likelihood(PairOutcome outcome, double d, double tieMargin) {
        return switch (outcome) {
            case FIRST -> sigmoid(d - tieMargin);
            case SECOND -> sigmoid(-d - tieMargin);
            case TIE -> sigmoid(tieMargin - d) - sigmoid(-tieMargin - d);
        };
    }

    /** H(p) in nats, with 0·ln 0 = 0. */
    static double entropy(double pFirst, double pSecond, double pTie) {
        return plogp(pFirst) + plogp(pSecond) + plogp(pTie);
    }

    private static double plogp(double p) {
        return p > 0 ? -p * Math.log(p) : 0;
    }
}
