package io.imagescore.experiment;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AssignmentTest {

    @Test
    void units_spread_over_variants_by_weight_and_keep_their_variant() {
        List<Double> weights = List.of(1.0, 2.0, 1.0);
        int n = 200_000;
        int[] counts = new int[3];
        for (int i = 0; i < n; i++) {
            counts[Assignment.assign("user-" + i, "hero-2026", weights)]++;
        }
        // chi-square with 2 degrees of freedom against 1:2:1; 13.8 is the 0.1% critical value
        double[] expected = {n / 4.0, n / 2.0, n / 4.0};
        double chi2 = 0;
        for (int k = 0; k < 3; k++) {
            chi2 += Math.pow(counts[k] - expected[k], 2) / expected[k];
        }
        assertThat(chi2).as("counts %s", java.util.Arrays.toString(counts)).isLessThan(13.8);
        // stable: the same unit and salt give the same variant; a new salt reshuffles about 1 − Σp² = 62.5% of them
        int moved = 0;
        for (int i = 0; i < 10_000; i++) {
            int v = Assignment.assign("user-" + i, "hero-2026", weights);
            assertThat(Assignment.assign("user-" + i, "hero-2026", weights)).isEqualTo(v);
            moved += Assignment.assign("user-" + i, "other-salt", weights) != v ? 1 : 0;
        }
        assertThat(moved / 10_000.0).isBetween(0.60, 0.65);
    }

    @Test
    void the_draw_is_the_documented_hash() throws Exception {
        // u = first 8 bytes of sha256("salt" 0x00 "unit") >>> 11, scaled by 2^-53: recomputed here from the definition
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        byte[] d = sha.digest("salt\0unit".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (d[i] & 0xff);
        }
        assertThat(Assignment.unit("unit", "salt")).isEqualTo((bits >>> 11) / Math.pow(2, 53));
    }
}
