package io.imagescore.eval;

import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OrderMetricsTest {

    static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    @Test
    void a_gold_consistent_order_scores_perfectly_even_when_tied_items_are_swapped() {
        // gold groups: k1,k2 = 0; b = 1; c = 2
        var r = OrderMetrics.evaluate(List.of("k2", "k1", "b", "c"), List.of("k1", "k2", "b", "c"), List.of(0, 0, 1, 2), 0);
        // 5 concordant pairs, 1 tied in gold: tau-b = 5 / sqrt(6 * 5), which is also the ceiling
        assertThat(r.kendallTauB()).isCloseTo(5 / Math.sqrt(30), within(1e-12));
        assertThat(r.kendallTauBMax()).isCloseTo(r.kendallTauB(), within(1e-12));
        assertThat(r.manualMoves()).isZero();
        assertThat(r.maxMoves()).isEqualTo(5);
        assertThat(r.ndcgAtK()).isCloseTo(1.0, within(1e-12));
        assertThat(r.top1Hit()).isTrue();
    }

    @Test
    void reversed_order_needs_every_move() {
        var r = OrderMetrics.evaluate(List.of("d", "c", "b", "a"), List.of("a", "b", "c", "d"), List.of(), 0);
        assertThat(r.kendallTauB()).isCloseTo(-1.0, within(1e-12));
        assertThat(r.kendallTauBMax()).isCloseTo(1.0, within(1e-12));
        assertThat(r.manualMoves()).isEqualTo(6).isEqualTo(r.maxMoves());
        assertThat(r.top1Hit()).isFalse();
    }

    @Test
    void hand_computed_example_with_ties() {
        // predicted order's gold groups [0, 1, 0, 2]: concordant 4, discordant 1, one pair tied in gold.
        var r = OrderMetrics.evaluate(new int[] {0, 1, 0, 2}, 0);
        assertThat(r.kendallTauB()).isCloseTo(3 / Math.sqrt(6 * 5), within(1e-12));
        assertThat(r.manualMoves()).isEqualTo(1);   // one adjacent swap (positions 1,2) fixes it
        assertThat(r.maxMoves()).isEqualTo(5);
        double dcg = 3 + 2 / log2(3) + 3 / log2(4) + 1 / log2(5);
        double idcg = 3 + 3 / log2(3) + 2 / log2(4) + 1 / log2(5);
        assertThat(r.ndcgAtK()).isCloseTo(dcg / idcg, within(1e-12));
        var at2 = OrderMetrics.evaluate(new int[] {0, 1, 0, 2}, 2);
        assertThat(at2.k()).isEqualTo(2);
        assertThat(at2.ndcgAtK()).isCloseTo((3 + 2 / log2(3)) / (3 + 3 / log2(3)), within(1e-12));
    }

    @Test
    void manual_moves_equal_the_adjacent_swaps_bubble_sort_makes() {
        java.util.Random random = new java.util.Random(3);
        for (int t = 0; t < 100; t++) {
            int[] g = new int[2 + random.nextInt(10)];
            for (int i = 0; i < g.length; i++) {
                g[i] = random.nextInt(4);
            }
            long swaps = 0;
            int[] a = g.clone();
            for (boolean changed = true; changed; ) {
                changed = false;
                for (int i = 0; i + 1 < a.length; i++) {
                    if (a[i] > a[i + 1]) {
                        int x = a[i];
                        a[i] = a[i + 1];
                        a[i + 1] = x;
                        swaps++;
                        changed = true;
                    }
                }
            }
            assertThat(OrderMetrics.evaluate(g, 0).manualMoves()).isEqualTo(swaps);
        }
    }

    @Test
    void a_single_gold_group_has_no_tau() {
        assertThat(OrderMetrics.evaluate(new int[] {3, 3, 3}, 0).kendallTauB()).isNaN();
    }

    @Test
    void mismatched_ids_are_rejected() {
        assertThatThrownBy(() -> OrderMetrics.evaluate(List.of("a", "b"), List.of("a", "c"), List.of(), 0))
                .isInstanceOf(ImageScoreException.class).hasMessageContaining("same ids");
        assertThatThrownBy(() -> OrderMetrics.evaluate(List.of("a", "a"), List.of("a", "a"), List.of(), 0))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> OrderMetrics.evaluate(List.of("a"), List.of("a"), List.of(1, 2), 0))
                .hasMessageContaining("gold_groups");
    }
}
