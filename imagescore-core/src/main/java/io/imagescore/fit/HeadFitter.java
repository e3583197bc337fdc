package io.imagescore.fit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.eval.Metrics;
import io.imagescore.head.Calibration;
import io.imagescore.head.OodDetector;
import io.imagescore.head.Safetensors;
import io.imagescore.image.View;
import io.imagescore.score.ScoringPipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns labels + embeddings into a head: validation of the labelled set (before any encoding work), the fit with
 * its CV, and the head.json with score metadata and a training report (method, λ, training-set hash, CV metrics).
 * Pure computation: no I/O, no clock, so the same inputs give the same bytes.
 */
public final class HeadFitter {
    /** Fewest examples a regression or ranking fit accepts. */
    public static final int MIN_EXAMPLES = 10;
    /** Out-of-domain detector: variance shrinkage (× the mean within-class variance) and stored percentiles. */
    public static final double OOD_SHRINKAGE = 0.01;
    public static final int OOD_PERCENTILES = 100;
    public static final boolean OOD_SQRT = true;
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadFitter() {
    }

    /** Checks a labelled set for the fit kind; throws INVALID_REQUEST / INSUFFICIENT_LABELS naming the problem. */
    public static void validate(FitSpec spec, List<LabelledImage> images, List<Comparison> comparisons) {
        if (spec.name() == null || !spec.name().matches("[a-z0-9][a-z0-9_]*")) {
            throw invalid("head name '" + spec.name() + "' must be lowercase letters, digits and '_'");
        }
        if (spec.views().isEmpty()) {
            throw invalid("at least one view is required");
        }
        if (spec.folds() < 2) {
            throw invalid("folds must be ≥ 2, got " + spec.folds());
        }
        if (images.isEmpty()) {
            throw invalid("the labelled set has no images");
        }
        Set<String> ids = new HashSet<>();
        for (LabelledImage li : images) {
            ImageRef r = li.image();
            if (r.id() == null || r.id().isEmpty()) {
                throw invalid("every image needs an id");
            }
            if (!ids.add(r.id())) {
                throw invalid("image id '" + r.id() + "' occurs twice");
            }
            if ((r.data() == null || r.data().length == 0) && (r.sha256() == null || r.sha256().isEmpty())) {
                throw invalid("image '" + r.id() + "' has neither bytes nor the sha256 of an image sent before");
            }
        }
        switch (spec.kind()) {
            case REGRESSION -> {
                for (LabelledImage li : images) {
                    if (!Double.isFinite(li.target())) {
                        throw invalid("image '" + li.image().id() + "' has target " + li.target() + "; regression needs a finite number for every image");
                    }
                }
                requireExamples(images.size(), Math.max(MIN_EXAMPLES, 2 * spec.folds()), "images with targets");
                if (images.stream().mapToDouble(LabelledImage::target).distinct().count() < 2) {
                    throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "every target is the same value; nothing to learn");
                }
            }
            case CLASSES -> {
                Map<String, Integer> counts = new TreeMap<>();
                for (LabelledImage li : images) {
                    if (li.label() == null || li.label().isBlank()) {
                        throw invalid("image '" + li.image().id() + "' has no class label");
                    }
                    counts.merge(li.label(), 1, Integer::sum);
                }
                if (!spec.classes().isEmpty()) {
                    Set<String> declared = new TreeSet<>(spec.classes());
                    if (declared.size() != spec.classes().size()) {
                        throw invalid("the declared classes " + spec.classes() + " contain a duplicate");
                    }
                    if (!declared.equals(counts.keySet())) {
                        Set<String> unknown = new TreeSet<>(counts.keySet());
                        unknown.removeAll(declared);
                        Set<String> missing = new TreeSet<>(declared);
                        missing.removeAll(counts.keySet());
                        throw invalid("label set mismatch: declared classes " + spec.classes() + "; labels not declared "
                                + unknown + "; declared classes without examples " + missing);
                    }
                }
                if (counts.size() < 2) {
                    throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "a classifier needs at least 2 classes, got " + counts.keySet());
                }
                if (spec.classifier() == FitSpec.Classifier.KERNEL && images.size() > KernelRidgeClassifier.MAX_EXAMPLES) {
                    throw invalid("the kernel classifier keeps n × n kernel matrices in memory and accepts at most "
                            + KernelRidgeClassifier.MAX_EXAMPLES + " images, got " + images.size() + "; use the logistic classifier");
                }
                int need = Math.max(2, spec.folds());
                Map<String, Integer> short_ = new TreeMap<>();
                counts.forEach((c, n) -> {
                    if (n < need) {
                        short_.put(c, n);
                    }
                });
                if (!short_.isEmpty()) {
                    throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "too few examples per class: " + short_
                            + "; each class needs at least " + need + " (one per CV fold)", Map.of("classes", String.join(",", short_.keySet())), null);
                }
            }
            case PAIRWISE -> {
                if (comparisons.isEmpty()) {
                    for (LabelledImage li : images) {
                        if (!Double.isFinite(li.target())) {
                            throw invalid("image '" + li.image().id() + "' has target " + li.target()
                                    + "; without explicit comparisons, pairs are derived from finite targets");
                        }
                    }
                    requireExamples(images.size(), MIN_EXAMPLES, "rated images");
                } else {
                    long decided = 0;
                    for (Comparison c : comparisons) {
                        for (String id : List.of(c.a(), c.b())) {
                            if (!ids.contains(id)) {
                                throw invalid("a comparison names image '" + id + "', which is not in the set");
                            }
                        }
                        if (c.a().equals(c.b())) {
                            throw invalid("a comparison compares image '" + c.a() + "' with itself");
                        }
                        if (!(c.target() == 0 || c.target() == 0.5 || c.target() == 1)) {
                            throw invalid("comparison " + c.a() + " vs " + c.b() + " has target " + c.target() + "; use 1 (a better), 0 (b better) or 0.5 (tie)");
                        }
                        decided += c.target() == 0.5 ? 0 : 1;
                    }
                    requireExamples((int) decided, MIN_EXAMPLES, "non-tied comparisons");
                }
            }
        }
    }

    /** Fits the head described by {@code spec} on embeddings {@code x} (rows in the order of {@code images}). */
    public static FittedHead fit(FitSpec spec, List<LabelledImage> images, List<Comparison> comparisons,
                                 EmbeddingSource.Embedded embedded, String input, String preprocessingId, String encoder) {
        validate(spec, images, comparisons);
        double[][] x = embedded.x();
        ObjectNode training = JSON.createObjectNode();
        ObjectNode manifest = JSON.createObjectNode();
        Map<String, Safetensors.F32> weights = new LinkedHashMap<>();
        int d = x[0].length;
        ObjectNode score = JSON.createObjectNode();
        switch (spec.kind()) {
            case REGRESSION -> {
                double[] y = images.stream().mapToDouble(LabelledImage::target).toArray();
                RidgeRegression.Selection sel = RidgeRegression.selectLambda(x, y, spec.folds(), spec.seed());
                RidgeRegression.Model m = RidgeRegression.fit(x, y, sel.lambda());
                double[] oof = RidgeRegression.nestedCvPredictions(x, y, spec.folds(), spec.seed());
                weights.put("weight", new Safetensors.F32(new long[] {1, d}, floats(m.weight())));
                weights.put("bias", new Safetensors.F32(new long[] {1}, new float[] {(float) m.bias()}));
                manifest.put("type", "linear");
                training.put("method", "ridge");
                training.put("lambda", sel.lambda());
                ObjectNode cv = regressionMetrics(y, oof);
                cv.put("protocol", "nested " + spec.folds() + "-fold CV (λ chosen inside each outer training part)");
                training.set("cv", cv);
                Calibration cal = Calibrate.fit(spec.calibration(), oof, y);
                if (cal != null) {
                    manifest.set("calibration", calibrationJson(cal));
                    double[] calibrated = new double[oof.length];
                    for (int i = 0; i < oof.length; i++) {
                        calibrated[i] = cal.apply(oof[i]);
                    }
                    ObjectNode ccv = regressionMetrics(y, calibrated);
                    ccv.put("protocol", "map fitted on the same out-of-fold predictions (optimistic)");
                    training.set("cv_calibrated", ccv);
                }
                double[] range = minMax(y);
                score.put("kind", "scalar");
                score.set("range", JSON.createArrayNode().add(range[0]).add(range[1]));
                score.put("range_approximate", true);
            }
            case CLASSES -> {
                List<String> classes = spec.classes().isEmpty()
                        ? List.copyOf(new TreeSet<>(images.stream().map(LabelledImage::label).toList())) : spec.classes();
                Map<String, Integer> index = new HashMap<>();
                for (int k = 0; k < classes.size(); k++) {
                    index.put(classes.get(k), k);
                }
                int[] y = images.stream().mapToInt(li -> index.get(li.label())).toArray();
                manifest.put("type", "softmax");
                String protocol;
                double[][] oof;
                if (spec.classifier() == FitSpec.Classifier.KERNEL) {
                    KernelRidgeClassifier.Selection sel = KernelRidgeClassifier.select(x, y, classes.size(), spec.folds(), spec.seed());
                    KernelRidgeClassifier.Model m = KernelRidgeClassifier.fit(x, y, classes.size(), sel.gamma(), sel.lambda(), sel.priorIntercept(), sel.temperature());
                    int n = m.support().length;
                    int p = m.projection().length;
                    weights.put("projection.weight", new Safetensors.F32(new long[] {p, d}, floats(m.projection())));
                    weights.put("projection.bias", new Safetensors.F32(new long[] {p}, floats(m.projectionBias())));
                    weights.put("support", new Safetensors.F32(new long[] {n, p}, floats(m.support())));
                    weights.put("support_mean", new Safetensors.F32(new long[] {n}, floats(m.supportMean())));
                    weights.put("coef", new Safetensors.F32(new long[] {n, classes.size()}, floats(m.coef())));
                    weights.put("bias", new Safetensors.F32(new long[] {classes.size()}, floats(m.bias())));
                    ObjectNode kernel = manifest.putObject("kernel");
                    kernel.put("type", "rbf");
                    kernel.put("gamma", m.gamma());
                    kernel.put("kernel_mean", m.kernelMean());
                    manifest.put("temperature", sel.temperature());
                    training.put("method", "RBF kernel ridge (one-vs-rest on centred one-hot targets) on the top "
                            + p + " principal components of the z-scored embedding + temperature scaling");
                    training.put("gamma", sel.gamma());
                    training.put("lambda", sel.lambda());
                    training.put("intercept", sel.priorIntercept() ? "class frequencies" : "none");
                    training.put("temperature", sel.temperature());
                    protocol = spec.folds() + "-fold stratified CV at the chosen (γ, λ) (chosen on the same folds), temperature fitted on these out-of-fold scores";
                    oof = sel.oofProbabilities();
                } else {
                    LogisticRegression.Selection sel = LogisticRegression.select(x, y, classes.size(), spec.folds(), spec.seed());
                    LogisticRegression.Model m = LogisticRegression.fit(x, y, classes.size(), sel.lambda());
                    weights.put("weight", new Safetensors.F32(new long[] {classes.size(), d}, floats(m.weight())));
                    weights.put("bias", new Safetensors.F32(new long[] {classes.size()}, floats(m.bias())));
                    manifest.put("temperature", sel.temperature());
                    training.put("method", "multinomial logistic regression (L2, L-BFGS) + temperature scaling");
                    training.put("lambda", sel.lambda());
                    training.put("temperature", sel.temperature());
                    protocol = spec.folds() + "-fold stratified CV at the chosen λ (λ chosen on the same folds), temperature fitted on these out-of-fold logits";
                    oof = sel.oofProbabilities();
                }
                ArrayNode cl = manifest.putArray("classes");
                classes.forEach(cl::add);
                OodDetector ood = OodDetector.fit(x, y, classes.size(), OOD_SHRINKAGE, OOD_PERCENTILES, OOD_SQRT);
                weights.put("ood.class_means", new Safetensors.F32(new long[] {classes.size(), d}, ood.classMeans()));
                weights.put("ood.weights", new Safetensors.F32(new long[] {d}, ood.weights()));
                manifest.set("ood", oodBlock(ood, x.length, OOD_SHRINKAGE));
                ObjectNode cv = classificationMetrics(y, oof, classes);
                cv.put("protocol", protocol);
                training.set("cv", cv);
                score.put("kind", "classes");
                score.set("range", JSON.createArrayNode().add(0).add(1));
            }
            case PAIRWISE -> {
                List<Metrics.Pair> pairs = pairs(images, comparisons, spec);
                RankNet.Options o = new RankNet.Options(spec.hidden(), 0, spec.seed(), 300);
                RankNet.Selection sel = RankNet.selectLambda(x, pairs, o, spec.folds());
                RankNet.Model m = RankNet.fit(x, pairs, new RankNet.Options(spec.hidden(), sel.lambda(), spec.seed(), 300));
                if (spec.hidden() == 0) {
                    RankNet.Layer l = m.layers().getFirst();
                    weights.put("weight", new Safetensors.F32(new long[] {1, d}, floats(l.weight())));
                    weights.put("bias", new Safetensors.F32(new long[] {1}, floats(l.bias())));
                    manifest.put("type", "linear");
                } else {
                    for (int i = 0; i < m.layers().size(); i++) {
                        RankNet.Layer l = m.layers().get(i);
                        weights.put("layers." + i + ".weight", new Safetensors.F32(new long[] {l.out(), l.in()}, floats(l.weight())));
                        weights.put("layers." + i + ".bias", new Safetensors.F32(new long[] {l.out()}, floats(l.bias())));
                    }
                    manifest.put("type", "mlp");
                    manifest.put("activation", "relu");
                }
                double[] s = new double[x.length];
                for (int i = 0; i < s.length; i++) {
                    s[i] = m.score(x[i]);
                }
                training.put("method", spec.hidden() == 0 ? "RankNet, linear" : "RankNet, one hidden ReLU layer of " + spec.hidden());
                training.put("lambda", sel.lambda());
                training.put("pairs", pairs.size());
                ObjectNode cv = JSON.createObjectNode();
                int best = java.util.Arrays.binarySearch(sel.lambdas(), sel.lambda());
                metric(cv, "pairwise_accuracy", sel.cvPairwiseAccuracy()[best]);
                metric(cv, "kendall_tau", 2 * sel.cvPairwiseAccuracy()[best] - 1);
                cv.put("protocol", spec.folds() + "-fold CV over images (pairs inside held-out images), λ chosen on the same folds");
                training.set("cv", cv);
                metric(training, "train_pairwise_accuracy", Metrics.pairwiseAccuracy(pairs, s));
                double[] range = minMax(s);
                score.put("kind", "scalar");
                score.set("range", JSON.createArrayNode().add(range[0]).add(range[1]));
                score.put("range_approximate", true);
            }
        }
        manifest.put("input", input);
        manifest.put("weights", HeadStore.WEIGHTS_FILE);
        score.put("higher_is_better", spec.higherIsBetter());
        if (!spec.unit().isEmpty()) {
            score.put("unit", spec.unit());
        } else if (spec.kind() == FitKind.CLASSES) {
            score.put("unit", "probability");
        }
        if (!spec.description().isEmpty()) {
            score.put("description", spec.description());
        }
        ArrayNode views = score.putArray("views");
        spec.views().forEach(v -> views.add(v.id()));
        manifest.set("score", score);
        training.put("examples", images.size());
        training.put("training_set_sha256", trainingSetHash(spec, images, comparisons, embedded.sha256()));
        training.put("preprocessing_id", preprocessingId);
        training.put("encoder", encoder);
        training.put("seed", spec.seed());
        training.put("folds", spec.folds());
        manifest.set("training", training);
        return new FittedHead(spec.name(), manifest, weights);
    }

    /** head.json's "ood" block (the tensors ood.class_means and ood.weights go to the head's or a named weights file). */
    public static ObjectNode oodBlock(OodDetector ood, int examples, double shrinkage) {
        ObjectNode n = JSON.createObjectNode();
        n.put("statistic", io.imagescore.pack.PackLoader.OOD_STATISTIC);
        n.put("transform", ood.sqrt() ? "sqrt" : "none");
        n.put("shrinkage", shrinkage);
        n.put("examples", examples);
        ArrayNode q = n.putArray("quantiles");
        for (double v : ood.quantiles()) {
            q.add(v);
        }
        return n;
    }

    static List<Metrics.Pair> pairs(List<LabelledImage> images, List<Comparison> comparisons, FitSpec spec) {
        if (comparisons.isEmpty()) {
            return RankNet.pairsFromRatings(images.stream().mapToDouble(LabelledImage::target).toArray(), spec.tieMargin(), spec.seed());
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            index.put(images.get(i).image().id(), i);
        }
        List<Metrics.Pair> out = new ArrayList<>();
        for (Comparison c : comparisons) {
            out.add(new Metrics.Pair(index.get(c.a()), index.get(c.b()), c.target()));
        }
        return out;
    }

    public static ObjectNode regressionMetrics(double[] y, double[] predicted) {
        ObjectNode n = JSON.createObjectNode();
        metric(n, "srcc", Metrics.srcc(y, predicted));
        metric(n, "plcc", Metrics.plcc(y, predicted));
        metric(n, "krcc", Metrics.kendallTauB(y, predicted));
        metric(n, "rmse", Metrics.rmse(y, predicted));
        return n;
    }

    public static ObjectNode classificationMetrics(int[] y, double[][] p, List<String> classes) {
        int[] predicted = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            predicted[i] = Metrics.argmax(p[i]);
        }
        int[][] confusion = Metrics.confusion(y, predicted, classes.size());
        ObjectNode n = JSON.createObjectNode();
        metric(n, "accuracy", Metrics.accuracy(confusion));
        metric(n, "macro_f1", Metrics.macroF1(confusion));
        metric(n, "ece", Metrics.expectedCalibrationError(p, y, 15));
        metric(n, "log_loss", Metrics.logLoss(p, y));
        return n;
    }

    /** JSON has no NaN: an undefined metric (e.g. a correlation with constant predictions) is written as null. */
    private static void metric(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, v);
        } else {
            n.putNull(key);
        }
    }

    static ObjectNode calibrationJson(Calibration c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", c.type());
        switch (c) {
            case Calibration.Linear l -> {
                n.put("scale", l.scale());
                n.put("offset", l.offset());
            }
            case Calibration.Isotonic iso -> {
                ArrayNode xs = n.putArray("x");
                ArrayNode ys = n.putArray("y");
                for (int i = 0; i < iso.x().length; i++) {
                    xs.add(iso.x()[i]);
                    ys.add(iso.y()[i]);
                }
            }
        }
        return n;
    }

    /** sha256 over the kind, views and each example's content hash and label, in order (order fixes the folds). */
    static String trainingSetHash(FitSpec spec, List<LabelledImage> images, List<Comparison> comparisons, String[] sha) {
        StringBuilder sb = new StringBuilder(spec.kind().name()).append('\n');
        sb.append(String.join(",", spec.views().stream().map(View::id).toList())).append('\n');
        for (int i = 0; i < images.size(); i++) {
            LabelledImage li = images.get(i);
            sb.append(sha[i]).append('\t').append(Double.isNaN(li.target()) ? "" : Double.toString(li.target()))
                    .append('\t').append(li.label() == null ? "" : li.label()).append('\n');
        }
        Map<String, String> shaById = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            shaById.put(images.get(i).image().id(), sha[i]);
        }
        for (Comparison c : comparisons) {
            sb.append(shaById.get(c.a())).append('>').append(shaById.get(c.b())).append('\t').append(c.target()).append('\n');
        }
        return ScoringPipeline.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void requireExamples(int have, int need, String what) {
        if (have < need) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "too few " + what + ": " + have + "; at least " + need + " are needed");
        }
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }

    /** Row-major flattening of a matrix given as rows. */
    private static float[] floats(double[][] rows) {
        float[] f = new float[rows.length * rows[0].length];
        for (int i = 0, o = 0; i < rows.length; i++) {
            for (double v : rows[i]) {
                f[o++] = (float) v;
            }
        }
        return f;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    private static double[] minMax(double[] v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return hi > lo ? new double[] {lo, hi} : new double[] {lo, lo + 1};
    }
}
