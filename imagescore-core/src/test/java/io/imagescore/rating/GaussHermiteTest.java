package io.imagescore.rating;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class GaussHermiteTest {

    /** An n-point rule integrates polynomials up to degree 2n − 1 exactly: E[z^(2k)] = (2k − 1)!! for z ~ N(0, 1). */
    @Test
    void rules_reproduce_standard_normal_moments_and_a_smooth_expectation() {
        for (GaussHermite rule : new GaussHermite[] {GaussHermite.SELECT, GaussHermite.UPDATE}) {
            double[] moment = new double[9];
            double logistic = 0;
            for (int k = 0; k < rule.size(); k++) {
                for (int p = 0; p < moment.length; p++) {
                    moment[p] += rule.weight(k) * Math.pow(rule.node(k), p);
                }
                logistic += rule.weight(k) / (1 + Math.exp(-(0.3 + 2 * rule.node(k))));
            }
            assertThat(moment[0]).isEqualTo(1, within(1e-12));
            assertThat(moment[1]).isEqualTo(0, within(1e-12));
            assertThat(moment[2]).isEqualTo(1, within(1e-10));
            assertThat(moment[4]).isEqualTo(3, within(1e-9));
            assertThat(moment[8]).isEqualTo(105, within(1e-6));
            // E[σ(0.3 + 2z)] by the trapezoid rule on ±12 sd
            double direct = 0;
            double h = 1e-3;
            for (double z = -12; z <= 12; z += h) {
                direct += h * Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI) / (1 + Math.exp(-(0.3 + 2 * z)));
            }
            assertThat(logistic).isEqualTo(direct, within(rule == GaussHermite.UPDATE ? 1e-7 : 1e-3));
        }
    }
}
