package io.imagescore.score;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ScoredImage.Classes#topK}: the selection gives exactly what sorting every class gave (the order replies use). */
class ClassesTopKTest {

    /** The order Score replies had before the selection: all classes sorted, ties by lower index. */
    static int[] sortedReference(float[] p, int k) {
        Integer[] idx = new Integer[p.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> p[a] != p[b] ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
        return Arrays.stream(idx).limit(Math.min(k, p.length)).mapToInt(Integer::intValue).toArray();
    }

    static ScoredImage.Classes classes(float[] p) {
        return new ScoredImage.Classes("c", "1", Collections.nCopies(p.length, "x"), p);
    }

    @Test
    void equals_the_full_sort_for_every_k_with_ties_signed_zeros_and_nan() {
        Random r = new Random(24);
        // few distinct values (an int8 model's softmax has many exact ties), signed zeros, NaN, and smooth values
        float[] palette = {0.5f, 0.25f, 0.25f, 1e-3f, 0f, -0f, Float.NaN, 1f, 0.125f};
        int[] ks = {0, 1, 2, 5, 10, 63, 64, 65, 200, 999, 1000, 1001, Integer.MAX_VALUE};
        for (int trial = 0; trial < 60; trial++) {
            int n = trial % 10 == 0 ? 1 + r.nextInt(8) : 1000;
            float[] p = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = trial % 3 == 0 ? r.nextFloat() : palette[r.nextInt(trial % 2 == 0 ? 4 : palette.length)];
            }
            ScoredImage.Classes c = classes(p);
            for (int k : ks) {
                assertThat(c.topK(k)).as("trial %d, %d classes, k=%d", trial, n, k).containsExactly(sortedReference(p, k));
            }
        }
    }

    @Test
    void most_probable_first_and_ties_by_lower_index() {
        ScoredImage.Classes c = classes(new float[] {0.1f, 0.3f, 0.3f, 0.05f, 0.3f, 0.25f});
        assertThat(c.topK(4)).containsExactly(1, 2, 4, 5);
        assertThat(c.topK(0)).isEmpty();
        assertThat(c.topK(-1)).isEmpty();
        assertThat(c.topK(100)).containsExactly(1, 2, 4, 5, 0, 3);
    }
}
