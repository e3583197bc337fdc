package io.imagescore.rating;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AgreementTest {
    @Test
    void ratings_exact_adjacent_and_krippendorffs_alpha() {
        // three items, two raters: identical on item 0, one apart on 1, three apart on 2
        List<Judgement> answers = List.of(Judgement.rate("a", 0, 4), Judgement.rate("b", 0, 4),
                Judgement.rate("a", 1, 2), Judgement.rate("b", 1, 3), Judgement.rate("a", 2, 1), Judgement.rate("b", 2, 4),
                Judgement.rate("a", 3, 2)); // item 3 has one rating: not pairable
        Agreement g = Agreement.of(Campaign.Task.RATING, answers);
        assertThat(g.units()).isEqualTo(3);
        assertThat(g.raters()).isEqualTo(2);
        assertThat(g.exact()).isCloseTo(1 / 3.0, within(1e-12));
        assertThat(g.adjacent()).isCloseTo(2 / 3.0, within(1e-12));
        // by hand: values 4,4,2,3,1,4 (n = 6); D_o = (0 + 2·1 + 2·9) / 6 = 20/6; D_e = Σ_{i≠j} (v_i − v_j)² / (n(n−1)) = 2·48/30
        assertThat(g.alpha()).isCloseTo(1 - (20 / 6.0) / (96 / 30.0), within(1e-12));

        Agreement perfect = Agreement.of(Campaign.Task.RATING, List.of(Judgement.rate("a", 0, 1), Judgement.rate("b", 0, 1),
                Judgement.rate("a", 1, 4), Judgement.rate("b", 1, 4)));
        assertThat(perfect.alpha()).isEqualTo(1.0);
        assertThat(perfect.exact()).isEqualTo(1.0);
    }

    @Test
    void pairs_agreement_in_either_order_and_intransitive_triples() {
        List<Judgement> answers = List.of(
                // a and b agree on 0 ≻ 1, shown in opposite orders
                Judgement.pair("a", 0, 1, PairOutcome.FIRST), Judgement.pair("b", 1, 0, PairOutcome.SECOND),
                // they disagree on 1 vs 2
                Judgement.pair("a", 1, 2, PairOutcome.FIRST), Judgement.pair("b", 1, 2, PairOutcome.TIE),
                // 2 ≻ 0 closes the cycle 0 ≻ 1 ≻ 2 ≻ 0
                Judgement.pair("a", 2, 0, PairOutcome.FIRST),
                // 3 ≻ 0, 3 ≻ 1: no cycle through 3
                Judgement.pair("a", 3, 0, PairOutcome.FIRST), Judgement.pair("a", 1, 3, PairOutcome.SECOND));
        Agreement g = Agreement.of(Campaign.Task.PAIRWISE, answers);
        assertThat(g.units()).isEqualTo(2);
        assertThat(g.exact()).isEqualTo(0.5);
        assertThat(g.intransitive()).isEqualTo(1);
        assertThat(Double.isNaN(g.alpha())).isTrue();
    }
}
