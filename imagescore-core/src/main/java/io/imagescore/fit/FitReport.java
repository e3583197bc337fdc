package io.imagescore.fit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.OptionalDouble;

/**
 * What fitting a head found, typed: the "training" block of the head.json {@link HeadFitter} writes, read in this one
 * place. A metric the fitter could not define (e.g. a correlation of constant predictions; JSON null) is NaN.
 *
 * @param method       the estimator, e.g. "ridge" or "RankNet, linear"
 * @param lambda       the chosen regularisation
 * @param temperature  the fitted softmax temperature (classifiers)
 * @param cv           the cross-validated metrics (exactly one of its sections is set, by the head's kind)
 * @param cvCalibrated regression metrics after the calibration map, or null when no calibration was fitted
 */
public record FitReport(String method, double lambda, OptionalDouble temperature, int examples, String trainingSetSha256,
                        CrossValidation cv, CrossValidation cvCalibrated) {

    /**
     * @param protocol how the metrics were obtained (folds, what was chosen where)
     */
    public record CrossValidation(String protocol, Evaluation.Regression regression,
                                  Evaluation.Classification classification, Evaluation.Ranking ranking) {
    }

    /** The report of a fitted head (its training block); {@code classes}: the head's classes, for a classifier. */
    public static FitReport of(JsonNode training, List<String> classes) {
        JsonNode calibrated = training.path("cv_calibrated");
        return new FitReport(training.path("method").asText(), number(training, "lambda"),
                training.hasNonNull("temperature") ? OptionalDouble.of(number(training, "temperature")) : OptionalDouble.empty(),
                training.path("examples").asInt(), training.path("training_set_sha256").asText(),
                crossValidation(training.path("cv"), training.path("pairs").asInt(), classes),
                calibrated.isObject() ? crossValidation(calibrated, 0, classes) : null);
    }

    private static CrossValidation crossValidation(JsonNode cv, int pairs, List<String> classes) {
        Evaluation.Regression regression = cv.has("srcc") ? new Evaluation.Regression(number(cv, "srcc"),
                number(cv, "plcc"), number(cv, "krcc"), number(cv, "rmse")) : null;
        Evaluation.Classification classification = cv.has("accuracy") ? new Evaluation.Classification(
                number(cv, "accuracy"), number(cv, "macro_f1"), number(cv, "ece"), number(cv, "log_loss"),
                List.copyOf(classes), new int[0][]) : null;
        Evaluation.Ranking ranking = cv.has("pairwise_accuracy") ? new Evaluation.Ranking(pairs,
                number(cv, "pairwise_accuracy"), number(cv, "kendall_tau")) : null;
        return new CrossValidation(cv.path("protocol").asText(), regression, classification, ranking);
    }

    private static double number(JsonNode n, String key) {
        JsonNode v = n.path(key);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }
}
