package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Label tuning on synthetic CLIP-like data: unit text embeddings for 40 candidate pairs, image embeddings built so
 * that exactly one pair's direction tracks the (three-rater mean) ratings and everything else is noise.
 */
class LabelTunerTest {
    static final int D = 64;
    static final int CANDIDATES = 40;
    static final int PLANTED = 23;
    static final double SCALE = 100;

    record Data(List<LabelTuner.Candidate> candidates, double[][] scores, double[] ratings) {
    }

    static float[] gaussianUnit(Random r) {
        float[] v = new float[D];
        for (int d = 0; d < D; d++) {
            v[d] = (float) r.nextGaussian();
        }
        return PromptMath.unit(v);
    }

    /** @param planted whether the ratings follow the planted pair (else they are pure noise) */
    static Data data(boolean planted, int images, long seed) {
        Random r = new Random(seed);
        float[][] pos = new float[CANDIDATES][];
        float[][] neg = new float[CANDIDATES][];
        List<LabelTuner.Candidate> candidates = new ArrayList<>();
        for (int c = 0; c < CANDIDATES; c++) {
            pos[c] = gaussianUnit(r);
            neg[c] = gaussianUnit(r);
            candidates.add(new LabelTuner.Candidate(new PromptSet.Pair("positive " + c + ".", "negative " + c + "."), c < 5 ? "user" : "template"));
        }
        double[] ratings = new double[images];
        float[][] img = new float[images][D];
        for (int i = 0; i < images; i++) {
            double quality = 1 + 3 * r.nextDouble();
            double mean = 0;
            for (int rater = 0; rater < 3; rater++) {
                mean += Math.clamp(Math.round(quality + r.nextGaussian() * 0.5), 1, 4);
            }
            ratings[i] = planted ? mean / 3 : 1 + r.nextInt(4);
            float[] noise = gaussianUnit(r);
            for (int d = 0; d < D; d++) {
                // the image leans towards the planted positive pole in proportion to its true quality
                img[i][d] = (float) (noise[d] + 0.15 * (quality - 2.5) * (pos[PLANTED][d] - neg[PLANTED][d]));
            }
            img[i] = PromptMath.unit(img[i]);
        }
        return new Data(candidates, LabelTuner.pairScores(img, pos, neg, SCALE), ratings);
    }

    @Test
    void recovers_the_planted_pair_and_calls_it_reliable() {
        Data d = data(true, 150, 1);
        LabelTuner.Result r = new LabelTuner(LabelTuner.Options.defaults(42)).tune("brightness", d.candidates(), d.scores(), d.ratings());
        assertThat(r.chosen().getFirst()).isEqualTo(PLANTED);
        assertThat(r.candidates().getFirst().index()).isEqualTo(PLANTED);
        assertThat(r.candidates().getFirst().foldsChosen()).as("every fold picks it first").isEqualTo(5);
        assertThat(r.candidates().getFirst().metrics().srcc()).isGreaterThan(0.7);
        assertThat(r.cv().srcc()).isGreaterThan(0.6);
        assertThat(r.cvPValue()).isLessThan(1e-6);
        assertThat(r.reliable()).isTrue();
        assertThat(r.calibration().slope()).isPositive();
        assertThat(r.cv().mae()).isLessThan(0.7);
        assertThat(r.folds()).hasSize(5).allSatisfy(f -> assertThat(f.chosen().getFirst()).isEqualTo(PLANTED));
        // every other candidate is far behind
        assertThat(r.candidates().get(1).metrics().srcc()).isLessThan(r.candidates().getFirst().metrics().srcc() - 0.3);
    }

    @Test
    void pure_noise_ratings_give_no_reliable_pair() {
        Data d = data(false, 150, 2);
        LabelTuner.Result r = new LabelTuner(LabelTuner.Options.defaults(42)).tune("brightness", d.candidates(), d.scores(), d.ratings());
        assertThat(r.reliable()).isFalse();
        assertThat(r.verdict()).startsWith("no reliable pair");
        assertThat(Math.abs(r.cv().srcc())).as("cross-validated agreement near zero").isLessThan(0.2);
        // in-sample, the best of 40 noise candidates looks better than it is: that is what CV guards against
        assertThat(r.candidates().getFirst().metrics().srcc()).isGreaterThan(r.cv().srcc());
    }

    @Test
    void same_seed_same_result_and_the_seed_only_moves_the_folds() {
        Data d = data(true, 80, 3);
        LabelTuner.Result a = new LabelTuner(LabelTuner.Options.defaults(7)).tune("v", d.candidates(), d.scores(), d.ratings());
        LabelTuner.Result b = new LabelTuner(LabelTuner.Options.defaults(7)).tune("v", d.candidates(), d.scores(), d.ratings());
        assertThat(b).isEqualTo(a);
        LabelTuner.Result c = new LabelTuner(LabelTuner.Options.defaults(8)).tune("v", d.candidates(), d.scores(), d.ratings());
        assertThat(c.chosen()).isEqualTo(a.chosen());
        assertThat(c.folds()).isNotEqualTo(a.folds());
    }

    @Test
    void too_few_or_constant_ratings_are_refused() {
        Data d = data(true, 6, 4);
        ImageScoreException few = catchThrowableOfType(ImageScoreException.class,
                () -> new LabelTuner(LabelTuner.Options.defaults(1)).tune("v", d.candidates(), d.scores(), d.ratings()));
        assertThat(few.code()).isEqualTo(ErrorCode.INSUFFICIENT_LABELS);
        assertThat(few.getMessage()).isEqualTo("viewpoint 'v' has 6 rated images; 10 or more are needed for 5-fold cross-validation");
        Data e = data(true, 20, 4);
        ImageScoreException constant = catchThrowableOfType(ImageScoreException.class,
                () -> new LabelTuner(LabelTuner.Options.defaults(1)).tune("v", e.candidates(), e.scores(), new double[20]));
        assertThat(constant.getMessage()).contains("every image has the same rating");
    }
}
