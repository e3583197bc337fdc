package io.imagescore.rating;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ActiveRatingsTest {

    @Test
    void picks_the_unrated_image_whatever_the_seed() {
        ActiveRatings model = ActiveRatings.seeded(new double[] {1, 2, 3, 4, 5});
        for (int i = 0; i < 5; i++) {
            if (i != 3) {
                model.record(i, 3);
            }
        }
        for (long seed = 0; seed < 10; seed++) {
            assertThat(model.next(new SplittableRandom(seed), Set.of())).hasValue(3);
        }
        assertThat(model.next(new SplittableRandom(0), Set.of(3))).isPresent().isNotEqualTo(3);
        assertThat(model.next(new SplittableRandom(0), Set.of(0, 1, 2, 3, 4))).isEmpty();
    }

    @Test
    void picks_the_image_raters_disagree_on() {
        ActiveRatings model = ActiveRatings.flat(4);
        int[][] ratings = {{2, 3}, {3, 3}, {1, 4}, {2, 2}};
        for (int i = 0; i < 4; i++) {
            for (int r : ratings[i]) {
                model.record(i, r);
            }
        }
        assertThat(model.next(new SplittableRandom(5), Set.of())).hasValue(2);
    }

    @Test
    void unrated_ties_are_random_but_reproducible() {
        ActiveRatings model = ActiveRatings.flat(50);
        int a = model.next(new SplittableRandom(1), Set.of()).orElseThrow();
        assertThat(model.next(new SplittableRandom(1), Set.of())).hasValue(a);
        Set<Integer> seen = new java.util.HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            seen.add(model.next(new SplittableRandom(seed), Set.of()).orElseThrow());
        }
        assertThat(seen).hasSizeGreaterThan(5);
    }

    /**
     * The closed-form Normal–Inverse-Gamma posterior equals the moments of the exact posterior of the image's mean
     * rating, integrated on a grid over (q, σ²) with the prior densities written out independently.
     */
    @Test
    void posterior_matches_numerical_integration() {
        ActiveRatings.Options o = ActiveRatings.Options.DEFAULT;
        ActiveRatings model = ActiveRatings.seeded(new double[] {0, 1}, o); // z = −1, +1
        int[] r = {1, 4, 3};
        for (int x : r) {
            model.record(1, x);
        }
        double mu0 = 2.5 + o.spread() * o.trust();
        double kappa0 = o.raterSd() * o.raterSd() / (o.spread() * o.spread() * (1 - o.trust() * o.trust()));
        double alpha0 = o.shape();
        double beta0 = o.raterSd() * o.raterSd() * (alpha0 - 1);
        double z = 0, m = 0, mm = 0;
        int nq = 3001, ns = 2000;
        for (int b = 1; b <= ns; b++) {
            double u = -9 + 19.0 * b / ns; // log σ², σ² from 1.2e-4 to 2.2e4: the Student-t tails carry variance
            double s2 = Math.exp(u);
            // IG(α0, β0) density in σ² times the Jacobian dσ²/du = σ², and the normalisers of the n + 1 normals
            double logScale = -(alpha0 + 1) * u - beta0 / s2 + u - 0.5 * (r.length + 1) * u;
            for (int a = 0; a < nq; a++) {
                double q = -20 + 45.0 * a / (nq - 1);
                double ss = kappa0 * (q - mu0) * (q - mu0);
                for (int x : r) {
                    ss += (x - q) * (x - q);
                }
                double w = Math.exp(logScale - 0.5 * ss / s2);
                z += w;
                m += w * q;
                mm += w * q * q;
            }
        }
        m /= z;
        assertThat(model.means()[1]).isEqualTo(m, within(1e-4));
        assertThat(model.variances()[1]).isEqualTo(mm / z - m * m, within(1e-4));
        assertThat(model.means()[0]).isEqualTo(2.5 - o.spread() * o.trust(), within(1e-12));
    }

    @Test
    void rejects_ratings_off_the_scale() {
        ActiveRatings model = ActiveRatings.flat(2);
        assertThatThrownBy(() -> model.record(0, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..4");
        assertThatThrownBy(() -> model.record(2, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
