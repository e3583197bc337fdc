package io.imagescore.sort;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SlotAssignmentTest {

    @Test
    void matches_exhaustive_search_on_random_problems() {
        Random random = new Random(42);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + random.nextInt(6);
            int m = 1 + random.nextInt(5);
            double[][] cost = new double[n][m];
            for (double[] row : cost) {
                for (int j = 0; j < m; j++) {
                    row[j] = -Math.log(1e-3 + random.nextDouble());
                }
            }
            double noSlot = random.nextBoolean() ? 1e3 : -Math.log(0.05 + 0.5 * random.nextDouble());
            int[] got = SlotAssignment.solve(cost, noSlot);
            boolean[] used = new boolean[m];
            double total = 0;
            for (int i = 0; i < n; i++) {
                if (got[i] >= 0) {
                    assertThat(used[got[i]]).as("slot used twice").isFalse();
                    used[got[i]] = true;
                    total += cost[i][got[i]];
                } else {
                    total += noSlot;
                }
            }
            assertThat(total).isCloseTo(best(cost, noSlot, 0, new boolean[m]), within(1e-9));
        }
    }

    @Test
    void every_image_without_a_slot_when_none_is_cheaper_than_leaving_it_out() {
        assertThat(SlotAssignment.solve(new double[][] {{5, 6}, {7, 8}}, 1)).containsExactly(-1, -1);
        assertThat(SlotAssignment.solve(new double[0][0], 1)).isEmpty();
    }

    private static double best(double[][] cost, double noSlot, int i, boolean[] used) {
        if (i == cost.length) {
            return 0;
        }
        double b = noSlot + best(cost, noSlot, i + 1, used);
        for (int j = 0; j < used.length; j++) {
            if (!used[j]) {
                used[j] = true;
                b = Math.min(b, cost[i][j] + best(cost, noSlot, i + 1, used));
                used[j] = false;
            }
        }
        return b;
    }
}
