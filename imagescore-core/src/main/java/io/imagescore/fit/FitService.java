package io.imagescore.fit;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.eval.Metrics;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.ScoringPipeline;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Fit and evaluate, the one implementation behind the HeadFitting RPCs and the {@code fit} / {@code evaluate}
 * commands: validate the labels, embed the images (cached), then fit or measure.
 */
public final class FitService {
    private final EmbeddingSource embeddings;
    private final ScoringPipeline pipeline;

    public FitService(ScoringPipeline pipeline, EmbeddingCache cache) {
        this(pipeline, new EmbeddingSource(pipeline, cache));
    }

    private FitService(ScoringPipeline pipeline, EmbeddingSource embeddings) {
        this.pipeline = pipeline;
        this.embeddings = embeddings;
    }

    /** This service for one tenant: the shared, bounded embedding cache with the tenant in every key. */
    public FitService scoped(String tenant) {
        return new FitService(pipeline, embeddings.scoped(tenant));
    }

    /** The head input embeddings of {@code images} (cached), averaged over {@code views} as the head reads them. */
    public EmbeddingSource.Embedded embed(ModelPack pack, List<ImageRef> images, List<io.imagescore.image.View> views,
                                          String output, PreprocessMode mode, IntConsumer progress) {
        return embeddings.embed(pack, images, views, output, mode, null, progress);
    }

    public EmbeddingCache cache() {
        return embeddings.cache();
    }

    public FittedHead fit(ModelPack pack, FitSpec spec, List<LabelledImage> images, List<Comparison> comparisons,
                          Instant deadline, IntConsumer progress) {
        HeadFitter.validate(spec, images, comparisons);
        String input = pack.embeddingOutput();
        EmbeddingSource.Embedded e = embeddings.embed(pack, images.stream().map(LabelledImage::image).toList(),
                spec.views(), input, spec.mode(), deadline, progress);
        return HeadFitter.fit(spec, images, comparisons, e, input, pipeline.preprocessingId(pack, spec.mode()),
                pack.encoder().file() == null ? pack.encoder().tritonName() : pack.encoder().file().getFileName().toString());
    }

    /** Measures the head named by {@code scoreRef} ("quality" or "quality@2") on a labelled set. */
    public Evaluation evaluate(ModelPack pack, String scoreRef, List<LabelledImage> images, List<Comparison> comparisons,
                               PreprocessMode mode, Instant deadline, IntConsumer progress) {
        HeadVersion hv = ScoringPipeline.select(pack, List.of(scoreRef)).getFirst().head();
        ScoreSpec spec = hv.spec();
        if (images.size() < 3) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "an evaluation needs at least 3 labelled images, got " + images.size());
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            if (index.put(images.get(i).image().id(), i) != null) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image id '" + images.get(i).image().id() + "' occurs twice");
            }
        }
        boolean classes = spec.kind() == ScoreSpec.Kind.CLASSES;
        if (classes) {
            for (LabelledImage li : images) {
                if (li.label() == null || li.label().isBlank()) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + li.image().id() + "' has no class label; "
                            + spec.name() + " is a classifier");
                }
                if (!spec.classes().contains(li.label())) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "label set mismatch: image '" + li.image().id()
                            + "' is labelled '" + li.label() + "', which is not one of " + spec.name() + "'s classes " + spec.classes());
                }
            }
        } else if (comparisons.isEmpty()) {
            for (LabelledImage li : images) {
                if (!Double.isFinite(li.target())) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + li.image().id() + "' has target "
                            + li.target() + "; evaluating scalar score " + spec.name() + " needs a finite target per image (or comparisons)");
                }
            }
        }
        for (Comparison c : comparisons) {
            if (!index.containsKey(c.a()) || !index.containsKey(c.b())) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "comparison " + c.a() + " vs " + c.b() + " names an image not in the set");
            }
        }
        EmbeddingSource.Embedded e = embeddings.embed(pack, images.stream().map(LabelledImage::image).toList(),
                spec.views(), hv.input(), mode, deadline, progress);
        double[][] out = new double[images.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] x = new float[e.x()[i].length];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) e.x()[i][j];
            }
            float[] y = hv.head().apply(x);
            out[i] = new double[y.length];
            for (int k = 0; k < y.length; k++) {
                out[i][k] = y[k];
            }
        }
        Evaluation.Regression regression = null;
        Evaluation.Classification classification = null;
        Evaluation.Ranking ranking = null;
        if (classes) {
            int[] truth = images.stream().mapToInt(li -> spec.classes().indexOf(li.label())).toArray();
            int[] predicted = new int[truth.length];
            for (int i = 0; i < truth.length; i++) {
                predicted[i] = Metrics.argmax(out[i]);
            }
            int[][] confusion = Metrics.confusion(truth, predicted, spec.classes().size());
            classification = new Evaluation.Classification(Metrics.accuracy(confusion), Metrics.macroF1(confusion),
                    Metrics.expectedCalibrationError(out, truth, 15), Metrics.logLoss(out, truth), spec.classes(), confusion);
        } else {
            double[] s = new double[out.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = out[i][0];
            }
            if (comparisons.isEmpty()) {
                double[] y = images.stream().mapToDouble(LabelledImage::target).toArray();
                regression = new Evaluation.Regression(Metrics.srcc(y, s), Metrics.plcc(y, s), Metrics.kendallTauB(y, s), Metrics.rmse(y, s));
                List<Metrics.Pair> pairs = RankNet.pairsFromRatings(y, 0, 0);
                ranking = new Evaluation.Ranking(pairs.size(), Metrics.pairwiseAccuracy(pairs, s), regression.krcc());
            } else {
                List<Metrics.Pair> pairs = new ArrayList<>();
                for (Comparison c : comparisons) {
                    pairs.add(new Metrics.Pair(index.get(c.a()), index.get(c.b()), c.target()));
                }
                double acc = Metrics.pairwiseAccuracy(pairs, s);
                ranking = new Evaluation.Ranking(pairs.size(), acc, 2 * acc - 1);
            }
        }
        return new Evaluation(pack.name(), spec.name(), hv.version(), images.size(), regression, classification, ranking);
    }
}
