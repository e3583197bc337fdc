package io.imagescore.fit;

import io.imagescore.eval.Metrics;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RankNetTest {

    static final double[] TRUE_W = {1.5, -2.0, 0.5, 0, 0, 1.0, 0, 0, -0.7, 0.3};

    @Test
    void linear_ranknet_recovers_the_order_of_a_known_linear_scorer() {
        double[][] train = SyntheticData.gaussian(150, TRUE_W.length, 1);
        double[][] test = SyntheticData.gaussian(200, TRUE_W.length, 2);
        List<Metrics.Pair> pairs = RankNet.pairsFromRatings(SyntheticData.linear(train, TRUE_W), 0, 0);
        RankNet.Model m = RankNet.fit(train, pairs, new RankNet.Options(0, 1e-4, 0, 300));

        double[] truth = SyntheticData.linear(test, TRUE_W);
        double[] s = Arrays.stream(test).mapToDouble(m::score).toArray();
        assertThat(Metrics.kendallTauB(truth, s)).isGreaterThan(0.9);
        assertThat(Metrics.pairwiseAccuracy(RankNet.pairsFromRatings(truth, 0, 0), s)).isGreaterThan(0.95);
    }

    @Test
    void hidden_layer_ranknet_learns_a_non_linear_scorer_a_linear_one_cannot() {
        // score = x0² + x1²: symmetric, so no linear function orders it
        double[][] train = SyntheticData.gaussian(300, 4, 3);
        double[][] test = SyntheticData.gaussian(200, 4, 4);
        double[] yTrain = Arrays.stream(train).mapToDouble(r -> r[0] * r[0] + r[1] * r[1]).toArray();
        double[] yTest = Arrays.stream(test).mapToDouble(r -> r[0] * r[0] + r[1] * r[1]).toArray();
        List<Metrics.Pair> pairs = RankNet.pairsFromRatings(yTrain, 0, 0);
        RankNet.Model mlp = RankNet.fit(train, pairs, new RankNet.Options(16, 1e-4, 7, 400));
        RankNet.Model lin = RankNet.fit(train, pairs, new RankNet.Options(0, 1e-4, 7, 400));
        double mlpTau = Metrics.kendallTauB(yTest, Arrays.stream(test).mapToDouble(mlp::score).toArray());
        double linTau = Metrics.kendallTauB(yTest, Arrays.stream(test).mapToDouble(lin::score).toArray());
        assertThat(mlpTau).isGreaterThan(0.7);
        assertThat(linTau).isLessThan(0.3);
    }

    @Test
    void ties_pull_scores_together() {
        double[][] x = {{1, 0}, {0, 1}, {1, 1}, {0, 0}};
        List<Metrics.Pair> tie = List.of(new Metrics.Pair(0, 1, 0.5), new Metrics.Pair(2, 3, 1));
        RankNet.Model m = RankNet.fit(x, tie, new RankNet.Options(0, 1e-3, 0, 200));
        assertThat(Math.abs(m.score(x[0]) - m.score(x[1]))).isLessThan(0.05);
        assertThat(m.score(x[2])).isGreaterThan(m.score(x[3]) + 1);
    }

    @Test
    void same_data_and_seed_give_identical_weights_and_another_seed_other_weights() {
        double[][] x = SyntheticData.gaussian(80, 6, 5);
        List<Metrics.Pair> pairs = RankNet.pairsFromRatings(SyntheticData.linear(x, new double[] {1, 2, 3, 0, 0, -1}), 0.5, 0);
        RankNet.Model a = RankNet.fit(x, pairs, new RankNet.Options(8, 1e-3, 42, 200));
        RankNet.Model b = RankNet.fit(x, pairs, new RankNet.Options(8, 1e-3, 42, 200));
        RankNet.Model c = RankNet.fit(x, pairs, new RankNet.Options(8, 1e-3, 43, 200));
        for (int i = 0; i < 2; i++) {
            assertThat(b.layers().get(i).weight()).isEqualTo(a.layers().get(i).weight());
            assertThat(b.layers().get(i).bias()).isEqualTo(a.layers().get(i).bias());
        }
        assertThat(c.layers().getFirst().weight()).isNotEqualTo(a.layers().getFirst().weight());
    }
}
