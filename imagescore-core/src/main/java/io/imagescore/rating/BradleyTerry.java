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

    /**
     * log P(outcome | d) and its first two derivatives in d, written to {@code out} as {value, gradient, curvature}.
     * The curvature is ≤ 0 for every outcome (each is the probability that a logistic variable falls in an interval,
     * a log-concave function of d), so a sum of these with a Gaussian prior has one maximum. The forms are the stable
     * ones for large |d|; a tie uses P(TIE | d) = sinh ε / (cosh d + cosh ε).
     */
    static void logLikelihood(PairOutcome outcome, double d, double tieMargin, double[] out) {
        switch (outcome) {
            case FIRST -> logSigmoid(d - tieMargin, 1, out);
            case SECOND -> logSigmoid(-d - tieMargin, -1, out);
            case TIE -> {
                double ad = Math.abs(d);
                double e1 = Math.exp(-ad);
                double e2 = e1 * e1;
                double ce = Math.cosh(tieMargin);
                double den = 1 + e2 + 2 * ce * e1;
                out[0] = Math.log(Math.sinh(tieMargin)) - ad - Math.log(den / 2);
                out[1] = -Math.signum(d) * (1 - e2) / den;
                out[2] = -2 * e1 * (2 * e1 + ce * (1 + e2)) / (den * den);
            }
        }
    }

    /** log σ(x) with x = sign·d + const: value, d/dd = sign·σ(−x), d²/dd² = −σ(x)σ(−x). */
    private static void logSigmoid(double x, int sign, double[] out) {
        out[0] = x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
        double minus = sigmoid(-x);
        out[1] = sign * minus;
        out[2] = -sigmoid(x) * minus;
    }

    /** H(p) in nats, with 0·ln 0 = 0. */
    static double entropy(double pFirst, double pSecond, double pTie) {
        return plogp(pFirst) + plogp(pSecond) + plogp(pTie);
    }

    private static double plogp(double p) {
        return p > 0 ? -p * Math.log(p) : 0;
    }
}
