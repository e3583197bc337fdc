package io.imagescore.fit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CvChoiceTest {
    private static final int[] Y = {0, 1, 1, 0};

    @Test
    void the_most_accurate_candidate_wins_then_the_lower_log_loss_then_the_earlier() {
        double[][] halfRight = {{1, 0}, {1, 0}, {0, 1}, {0, 1}};
        double[][] allRightUnsure = {{0.2, 0}, {0, 0.2}, {0, 0.2}, {0.2, 0}};
        double[][] allRightSure = {{5, 0}, {0, 5}, {0, 5}, {5, 0}};
        CvChoice c = CvChoice.of(List.of(halfRight, allRightUnsure, allRightSure, allRightSure), Y);
        assertThat(c.best()).isEqualTo(2);
        assertThat(c.accuracy()).containsExactly(0.5, 1.0, 1.0, 1.0);
        assertThat(c.logLoss()[2]).isLessThan(c.logLoss()[1]);
        assertThat(CvChoice.of(List.of(halfRight, allRightUnsure), Y).best()).isEqualTo(1);
    }

    @Test
    void folds_run_in_parallel_return_in_fold_order_and_pass_on_a_fold_failure() {
        int[] fold = Folds.kFold(10, 5, 0);
        List<int[]> held = Folds.inParallel(fold, 5, (train, h) -> h);
        for (int f = 0; f < 5; f++) {
            assertThat(held.get(f)).containsExactly(Folds.members(fold, f, true));
        }
        assertThatThrownBy(() -> Folds.inParallel(fold, 5, (train, h) -> {
            throw new IllegalArgumentException("fold with " + train.length + " training rows");
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("fold with 8 training rows");
    }
}
