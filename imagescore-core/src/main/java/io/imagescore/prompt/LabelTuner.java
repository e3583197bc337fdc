package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.stat.regression.SimpleRegression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Chooses, for one rated viewpoint, the antonym pair (or small ensemble of pairs) whose prompt score agrees best with
 * people's ratings, and says whether that choice is reliable. Pure arithmetic on precomputed pair scores, so the
 * service and the CLI share it and tests can plant answers.
 *
 * <p>Per candidate, on all images: SRCC, KRCC, PLCC (Pearson of score and rating: a linear fit does not change it
 * except for the sign, which is kept so an inverted pair shows up negative) and MAE after calibrating the score to
 * the rating scale by least squares. The choice is greedy forward selection (add the pair that raises the ensemble's
 * SRCC most; stop at {@code maxPairs} or when the gain is below {@code minGain}). Its quality is estimated by running
 * the same selection inside k-fold cross-validation: each fold selects and calibrates on the other folds and predicts
 * its held-out images; the pooled out-of-fold predictions give CV SRCC/KRCC/PLCC/MAE. A lucky pair on few images
 * does not survive this, and pure noise gives CV SRCC near zero: the result is called reliable only if the CV SRCC
 * is at least {@code minCvSrcc} and significantly above zero (one-sided t-test, {@code alpha}).
 */
public final class LabelTuner {

    public record Options(int folds, int maxPairs, long seed, double scaleMin, double scaleMax, double minGain,
                          double minCvSrcc, double alpha) {
        public static Options defaults(long seed) {
            return new Options(5, 3, seed, 1, 4, 0.005, 0.1, 0.01);
        }

        public Options {
            if (folds < 2) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "folds must be ≥ 2, got " + folds);
            }
            if (maxPairs < 1) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "max_pairs must be ≥ 1, got " + maxPairs);
            }
            if (!(scaleMin < scaleMax)) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the rating scale needs min < max, got [" + scaleMin + ", " + scaleMax + "]");
            }
        }
    }

    /** A candidate pair and where it came from ("user" or "template"). */
    public record Candidate(PromptSet.Pair pair, String source) {
    }

    public record Metrics(double srcc, double krcc, double plcc, double mae) {
    }

    public record CandidateResult(int index, Candidate candidate, Metrics metrics, int foldsChosen) {
    }

    public record Fold(int fold, int trainImages, int testImages, List<Integer> chosen, double trainSrcc, double testSrcc) {
    }

    /**
     * @param candidates  every candidate with its metrics on all images, best SRCC first
     * @param folds       what each CV fold chose and how it did on its held-out images
     * @param cv          metrics of the pooled out-of-fold predictions (the honest estimate)
     * @param cvPValue    one-sided p-value of CV SRCC > 0
     * @param chosen      indices (into the candidate list as given) chosen on all images
     * @param calibration maps the chosen ensemble's mean P(positive) onto the rating scale
     */
    public record Result(String viewpoint, int images, List<CandidateResult> candidates, List<Fold> folds, Metrics cv,
                         double cvPValue, List<Integer> chosen, Metrics chosenInSample, PromptSet.Calibration calibration,
                         boolean reliable, String verdict) {
    }

    private final Options options;

    public LabelTuner(Options options) {
        this.options = options;
    }

    /**
     * @param scores  [candidate][image] P(positive) of each candidate on each image
     * @param ratings mean rating per image
     */
    public Result tune(String viewpoint, List<Candidate> candidates, double[][] scores, double[] ratings) {
        int n = ratings.length;
        if (candidates.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "viewpoint '" + viewpoint + "' has no candidate pairs");
        }
        if (n < 2 * options.folds() || n < 8) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "viewpoint '" + viewpoint + "' has " + n
                    + " rated images; " + Math.max(8, 2 * options.folds()) + " or more are needed for " + options.folds() + "-fold cross-validation");
        }
        if (Arrays.stream(ratings).distinct().count() < 2) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "viewpoint '" + viewpoint
                    + "': every image has the same rating, so no wording can be told apart");
        }
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);

        // Cross-validation of the whole selection procedure.
        int[] foldOf = foldAssignment(n);
        double[] oof = new double[n];
        int[] chosenCount = new int[candidates.size()];
        List<Fold> folds = new ArrayList<>();
        for (int f = 0; f < options.folds(); f++) {
            int ff = f;
            int[] train = Arrays.stream(all).filter(i -> foldOf[i] != ff).toArray();
            int[] test = Arrays.stream(all).filter(i -> foldOf[i] == ff).toArray();
            List<Integer> chosen = select(scores, ratings, train);
            chosen.forEach(c -> chosenCount[c]++);
            double[] ens = ensemble(scores, chosen);
            PromptSet.Calibration cal = calibration(pick(ens, train), pick(ratings, train));
            for (int i : test) {
                oof[i] = cal.apply(ens[i]);
            }
            folds.add(new Fold(f, train.length, test.length, List.copyOf(chosen),
                    srcc(pick(ens, train), pick(ratings, train)), srcc(pick(ens, test), pick(ratings, test))));
        }
        Metrics cv = new Metrics(srcc(oof, ratings), krcc(oof, ratings), plcc(oof, ratings), io.imagescore.eval.Metrics.mae(oof, ratings));
        double p = pValue(cv.srcc(), n);

        // The choice itself, on all images.
        List<Integer> chosen = select(scores, ratings, all);
        double[] ens = ensemble(scores, chosen);
        PromptSet.Calibration cal = calibration(ens, ratings);

        List<CandidateResult> table = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            table.add(new CandidateResult(c, candidates.get(c), metrics(scores[c], ratings), chosenCount[c]));
        }
        table.sort((a, b) -> a.metrics().srcc() != b.metrics().srcc()
                ? Double.compare(b.metrics().srcc(), a.metrics().srcc()) : Integer.compare(a.index(), b.index()));

        boolean reliable = cv.srcc() >= options.minCvSrcc() && p <= options.alpha() && cal.slope() > 0;
        String verdict = reliable
                ? String.format("reliable: cross-validated SRCC %.3f (p=%.2g, %d images); chosen %d pair(s)", cv.srcc(), p, n, chosen.size())
                : String.format("no reliable pair: cross-validated SRCC %.3f (p=%.2g, %d images) is below %.2f or not significant at %.2g;"
                        + " the best in-sample pair would be a lucky pick. Collect more or more consistent ratings, or other candidates",
                        cv.srcc(), p, n, options.minCvSrcc(), options.alpha());
        return new Result(viewpoint, n, table, folds, cv, p, chosen, metrics(ens, ratings), cal, reliable, verdict);
    }

    /** Greedy forward selection on the given images; ties go to the lower candidate index (determinism). */
    List<Integer> select(double[][] scores, double[] ratings, int[] idx) {
        List<Integer> chosen = new ArrayList<>();
        double[] y = pick(ratings, idx);
        double[] sum = new double[idx.length];
        double best = Double.NEGATIVE_INFINITY;
        while (chosen.size() < options.maxPairs()) {
            int bestC = -1;
            double bestSrcc = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < scores.length; c++) {
                if (chosen.contains(c)) {
                    continue;
                }
                double[] trial = new double[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    trial[i] = (sum[i] + scores[c][idx[i]]) / (chosen.size() + 1);
                }
                double s = srcc(trial, y);
                if (s > bestSrcc) {
                    bestSrcc = s;
                    bestC = c;
                }
            }
            if (bestC < 0 || (!chosen.isEmpty() && bestSrcc - best < options.minGain())) {
                break;
            }
            chosen.add(bestC);
            best = bestSrcc;
            for (int i = 0; i < idx.length; i++) {
                sum[i] += scores[bestC][idx[i]];
            }
        }
        return chosen;
    }

    /** Folds of (nearly) equal size from a seeded shuffle: the same seed and n give the same folds. */
    int[] foldAssignment(int n) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(options.seed()));
        int[] fold = new int[n];
        for (int k = 0; k < n; k++) {
            fold[order.get(k)] = k % options.folds();
        }
        return fold;
    }

    static double[] ensemble(double[][] scores, List<Integer> chosen) {
        double[] e = new double[scores[0].length];
        for (int c : chosen) {
            for (int i = 0; i < e.length; i++) {
                e[i] += scores[c][i] / chosen.size();
            }
        }
        return e;
    }

    /** Least-squares rating ≈ intercept + slope·score, clamped to the scale; constant scores map to the mean rating. */
    PromptSet.Calibration calibration(double[] score, double[] rating) {
        SimpleRegression r = new SimpleRegression();
        for (int i = 0; i < score.length; i++) {
            r.addData(score[i], rating[i]);
        }
        double slope = r.getSlope();
        double intercept = r.getIntercept();
        if (!Double.isFinite(slope) || !Double.isFinite(intercept)) {
            slope = 0;
            intercept = Arrays.stream(rating).average().orElse((options.scaleMin() + options.scaleMax()) / 2);
        }
        return new PromptSet.Calibration(slope, intercept, options.scaleMin(), options.scaleMax());
    }

    Metrics metrics(double[] score, double[] ratings) {
        PromptSet.Calibration cal = calibration(score, ratings);
        double[] calibrated = Arrays.stream(score).map(cal::apply).toArray();
        return new Metrics(srcc(score, ratings), krcc(score, ratings), plcc(score, ratings), io.imagescore.eval.Metrics.mae(calibrated, ratings));
    }

    /** Correlations of a constant vector are undefined; they count as 0 (no agreement). */
    static double srcc(double[] x, double[] y) {
        return finiteOrZero(io.imagescore.eval.Metrics.srcc(x, y));
    }

    static double krcc(double[] x, double[] y) {
        return finiteOrZero(io.imagescore.eval.Metrics.kendallTauB(x, y));
    }

    static double plcc(double[] x, double[] y) {
        return finiteOrZero(io.imagescore.eval.Metrics.plcc(x, y));
    }

    /** One-sided p-value of a rank correlation r > 0 over n pairs (t approximation with n-2 degrees of freedom). */
    static double pValue(double r, int n) {
        if (r >= 1) {
            return 0;
        }
        double t = r * Math.sqrt((n - 2) / (1 - r * r));
        return 1 - new TDistribution(n - 2).cumulativeProbability(t);
    }

    private static double finiteOrZero(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    static double[] pick(double[] v, int[] idx) {
        double[] out = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }

    /** P(positive) of every candidate on every image: [candidate][image], from unit embeddings. */
    public static double[][] pairScores(float[][] unitImages, float[][] unitPositive, float[][] unitNegative, double logitScale) {
        double[][] s = new double[unitPositive.length][unitImages.length];
        for (int c = 0; c < unitPositive.length; c++) {
            for (int i = 0; i < unitImages.length; i++) {
                s[c][i] = PromptMath.pairProbability(logitScale, PromptMath.dot(unitImages[i], unitPositive[c]),
                        PromptMath.dot(unitImages[i], unitNegative[c]));
            }
        }
        return s;
    }
}
