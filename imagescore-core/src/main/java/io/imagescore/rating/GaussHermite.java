package io.imagescore.rating;

import org.hipparchus.analysis.integration.gauss.GaussIntegrator;
import org.hipparchus.analysis.integration.gauss.GaussIntegratorFactory;

/**
 * Expectations under a normal distribution by Gauss–Hermite quadrature: E[f(X)], X ~ N(m, v), is
 * Σ weight(k)·f(m + √v·node(k)) with the rule's nodes rescaled to a standard normal and weights summing to 1.
 */
final class GaussHermite {
    /** Accurate enough for the moments of a logistic-tilted normal with sd up to ~10 logits (error < 1e-6). */
    static final GaussHermite UPDATE = new GaussHermite(48);
    /** Cheaper rule for ranking candidate pairs by information, where only the order of the values matters. */
    static final GaussHermite SELECT = new GaussHermite(16);

    private final double[] nodes;
    private final double[] weights;

    private GaussHermite(int points) {
        GaussIntegrator rule = new GaussIntegratorFactory().hermite(points);
        nodes = new double[points];
        weights = new double[points];
        for (int k = 0; k < points; k++) {
            // The rule integrates against exp(-x²): x = z/√2 for a standard normal z, weight/√π.
            nodes[k] = rule.getPoint(k) * Math.sqrt(2);
            weights[k] = rule.getWeight(k) / Math.sqrt(Math.PI);
        }
    }

    int size() {
        return nodes.length;
    }

    double node(int k) {
        return nodes[k];
    }

    double weight(int k) {
        return weights[k];
    }
}
