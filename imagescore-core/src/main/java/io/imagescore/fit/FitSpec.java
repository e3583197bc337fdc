package io.imagescore.fit;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.View;

import java.util.List;

/**
 * How to fit a head.
 *
 * @param name        head (score) name, e.g. "quality"
 * @param views       views whose embeddings are averaged (the head declares them; scoring uses the same)
 * @param folds       k of the k-fold CV that picks λ (and measures the head)
 * @param classes     for CLASSES: the expected label set in output order; empty = the sorted labels found
 * @param hidden      for PAIRWISE: hidden ReLU units, 0 = linear
 * @param tieMargin   for PAIRWISE from ratings: |Δ| ≤ margin is a tie
 * @param calibration for REGRESSION: an optional map onto the targets' scale, fitted on out-of-fold predictions
 * @param classifier  for CLASSES: logistic regression (small linear head) or RBF kernel ridge (stores its support
 *                    vectors; more accurate where classes are not linearly separable)
 */
public record FitSpec(String name, FitKind kind, List<View> views, long seed, int folds, List<String> classes,
                      Calibrate.Method calibration, int hidden, double tieMargin, String description, String unit,
                      boolean higherIsBetter, PreprocessMode mode, Classifier classifier) {

    public enum Classifier { LOGISTIC, KERNEL }

    public FitSpec {
        views = List.copyOf(views);
        classes = List.copyOf(classes);
    }

    public static FitSpec of(String name, FitKind kind, List<View> views) {
        return new FitSpec(name, kind, views, 0, 5, List.of(), Calibrate.Method.NONE, 0, 0, "", "", true, PreprocessMode.EXACT, Classifier.LOGISTIC);
    }

    public FitSpec withSeed(long s) {
        return new FitSpec(name, kind, views, s, folds, classes, calibration, hidden, tieMargin, description, unit, higherIsBetter, mode, classifier);
    }

    public FitSpec withFolds(int f) {
        return new FitSpec(name, kind, views, seed, f, classes, calibration, hidden, tieMargin, description, unit, higherIsBetter, mode, classifier);
    }

    public FitSpec withClasses(List<String> c) {
        return new FitSpec(name, kind, views, seed, folds, c, calibration, hidden, tieMargin, description, unit, higherIsBetter, mode, classifier);
    }

    public FitSpec withCalibration(Calibrate.Method c) {
        return new FitSpec(name, kind, views, seed, folds, classes, c, hidden, tieMargin, description, unit, higherIsBetter, mode, classifier);
    }

    public FitSpec withHidden(int h) {
        return new FitSpec(name, kind, views, seed, folds, classes, calibration, h, tieMargin, description, unit, higherIsBetter, mode, classifier);
    }

    public FitSpec withDescription(String d, String u) {
        return new FitSpec(name, kind, views, seed, folds, classes, calibration, hidden, tieMargin, d, u, higherIsBetter, mode, classifier);
    }

    public FitSpec withMode(PreprocessMode m) {
        return new FitSpec(name, kind, views, seed, folds, classes, calibration, hidden, tieMargin, description, unit, higherIsBetter, m, classifier);
    }

    public FitSpec withClassifier(Classifier c) {
        return new FitSpec(name, kind, views, seed, folds, classes, calibration, hidden, tieMargin, description, unit, higherIsBetter, mode, c);
    }
}
