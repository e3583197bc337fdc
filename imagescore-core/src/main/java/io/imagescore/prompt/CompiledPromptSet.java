package io.imagescore.prompt;

import io.imagescore.explain.Explainer;
import io.imagescore.explain.Explanation;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.ScoredImage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A prompt-set version bound to one pack: every prompt's unit text embedding computed once, and per score the indices
 * into them. Scoring an image is then a few dot products on its (already computed) image embedding. Immutable.
 */
public final class CompiledPromptSet {

    private sealed interface Compiled permits PairScore, LevelScore, ClassScore {
    }

    private record PairScore(PromptSet.Attribute attribute, int[] positive, int[] negative) implements Compiled {
    }

    private record LevelScore(PromptSet.Attribute attribute, int[] levels, double[] values) implements Compiled {
    }

    private record ClassScore(PromptSet.Classifier classifier, float[][] classEmbeddings) implements Compiled {
    }

    private final PromptSetRef ref;
    private final PromptSet spec;
    private final String packName;
    private final String packHash;
    private final double logitScale;
    private final float[][] prompts;
    private final List<Compiled> scores = new ArrayList<>();

    /** Encodes every prompt of {@code spec} with the pack's text encoder (cached per prompt in the embedder). */
    public static CompiledPromptSet compile(PromptSetRef ref, PromptSet spec, ModelPack pack, TextEmbedder embedder,
                                            Instant deadline) {
        List<String> texts = spec.prompts();
        return new CompiledPromptSet(ref, spec, pack, texts, embedder.embed(pack, texts, deadline));
    }

    /** From prompt embeddings already computed ({@code unitPrompts[i]} is the unit embedding of {@code spec.prompts().get(i)}). */
    CompiledPromptSet(PromptSetRef ref, PromptSet spec, ModelPack pack, List<String> texts, float[][] unitPrompts) {
        this.ref = ref;
        this.spec = spec;
        this.packName = pack.name();
        this.packHash = pack.contentHash();
        this.logitScale = TextEmbedder.textEncoder(pack).logitScale();
        this.prompts = unitPrompts;
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            index.put(texts.get(i), i);
        }
        for (PromptSet.Attribute a : spec.attributes()) {
            if (a.hasLevels()) {
                scores.add(new LevelScore(a, a.levels().stream().mapToInt(index::get).toArray(),
                        a.effectiveLevelValues().stream().mapToDouble(Double::doubleValue).toArray()));
            } else {
                scores.add(new PairScore(a, a.pairs().stream().mapToInt(p -> index.get(p.positive())).toArray(),
                        a.pairs().stream().mapToInt(p -> index.get(p.negative())).toArray()));
            }
        }
        for (PromptSet.Classifier c : spec.classifiers()) {
            float[][] classes = new float[c.classes().size()][];
            for (int k = 0; k < classes.length; k++) {
                List<String> ps = c.promptsOf(c.classes().get(k));
                float[][] vs = new float[ps.size()][];
                for (int j = 0; j < vs.length; j++) {
                    vs[j] = prompts[index.get(ps.get(j))];
                }
                classes[k] = PromptMath.unitMean(vs);
            }
            scores.add(new ClassScore(c, classes));
        }
    }

    public PromptSetRef ref() {
        return ref;
    }

    public PromptSet spec() {
        return spec;
    }

    public String packName() {
        return packName;
    }

    public String packHash() {
        return packHash;
    }

    public double logitScale() {
        return logitScale;
    }

    /** Scalars and class distributions of one image. */
    public record Scores(List<ScoredImage.Scalar> scalars, List<ScoredImage.Classes> classes) {
    }

    /**
     * Every score of the set (or only {@code wanted} names, if not null) for an image embedding (the pack's image
     * embedding, not necessarily normalised).
     */
    public Scores score(float[] imageEmbedding, java.util.Set<String> wanted) {
        float[] img = PromptMath.unit(imageEmbedding);
        double[] cos = PromptMath.cosines(img, prompts);
        List<ScoredImage.Scalar> scalars = new ArrayList<>();
        List<ScoredImage.Classes> classes = new ArrayList<>();
        String version = ref.version();
        for (Compiled c : scores) {
            switch (c) {
                case PairScore p -> {
                    if (wanted == null || wanted.contains(p.attribute().name())) {
                        double sum = 0;
                        for (int i = 0; i < p.positive().length; i++) {
                            sum += PromptMath.pairProbability(logitScale, cos[p.positive()[i]], cos[p.negative()[i]]);
                        }
                        scalars.add(new ScoredImage.Scalar(p.attribute().name(), version,
                                calibrate(p.attribute(), sum / p.positive().length)));
                    }
                }
                case LevelScore l -> {
                    if (wanted == null || wanted.contains(l.attribute().name())) {
                        double[] p = levelProbabilities(l, cos);
                        scalars.add(new ScoredImage.Scalar(l.attribute().name(), version,
                                calibrate(l.attribute(), expected(p, l.values()))));
                    }
                }
                case ClassScore k -> {
                    if (wanted == null || wanted.contains(k.classifier().name())) {
                        double[] p = PromptMath.softmax(logitScale, PromptMath.cosines(img, k.classEmbeddings()));
                        float[] pf = new float[p.length];
                        for (int i = 0; i < p.length; i++) {
                            pf[i] = (float) p[i];
                        }
                        classes.add(new ScoredImage.Classes(k.classifier().name(), version, k.classifier().classes(), pf));
                    }
                }
            }
        }
        return new Scores(scalars, classes);
    }

    /**
     * One explanation per score of the set (or only {@code wanted}), in {@link #score}'s order, from the image's
     * embedding and the spatial maps of its views ({@code maps}: patch tokens in the image embedding's space). Each
     * score is linearised at the image: with x̂ the unit image embedding, tᵢ the unit prompt embeddings and s the
     * logit scale, the explained {@code value} (before calibration, which is monotone) has the direction d = ∂value/∂x̂
     * through the cosines, and each patch contributes ẑ·d ({@link Explainer#explainDirection}):
     * <ul>
     *   <li>antonym pairs: value = mean over pairs of σ(s(cos₊ − cos₋)), d = mean of s·σ(1 − σ)·(t₊ − t₋) (the
     *   softmax difference, linearised: with one pair, the positive-minus-negative direction scaled by s·σ(1 − σ));</li>
     *   <li>levels: value = Σ pₗ vₗ under p = softmax(s·cos), d = Σ s·pₗ(vₗ − value)·tₗ;</li>
     *   <li>classifiers: the most probable class k's centred logit s(cos_k − mean cos), exactly linear in x̂:
     *   d = s(c_k − mean c) over the class embeddings c.</li>
     * </ul>
     */
    public List<Explanation> explain(float[] imageEmbedding, java.util.Set<String> wanted, Explainer.Spatial maps) {
        float[] img = PromptMath.unit(imageEmbedding);
        double[] cos = PromptMath.cosines(img, prompts);
        String version = ref.version();
        List<Explanation> out = new ArrayList<>();
        for (Compiled c : scores) {
            switch (c) {
                case PairScore p -> {
                    if (wanted == null || wanted.contains(p.attribute().name())) {
                        double[] d = new double[img.length];
                        double value = 0;
                        int n = p.positive().length;
                        for (int i = 0; i < n; i++) {
                            double sigma = PromptMath.pairProbability(logitScale, cos[p.positive()[i]], cos[p.negative()[i]]);
                            value += sigma / n;
                            addScaled(d, prompts[p.positive()[i]], logitScale * sigma * (1 - sigma) / n);
                            addScaled(d, prompts[p.negative()[i]], -logitScale * sigma * (1 - sigma) / n);
                        }
                        out.add(Explainer.explainDirection(p.attribute().name(), version, "", value, d, maps));
                    }
                }
                case LevelScore l -> {
                    if (wanted == null || wanted.contains(l.attribute().name())) {
                        double[] p = levelProbabilities(l, cos);
                        double value = expected(p, l.values());
                        double[] d = new double[img.length];
                        for (int i = 0; i < p.length; i++) {
                            addScaled(d, prompts[l.levels()[i]], logitScale * p[i] * (l.values()[i] - value));
                        }
                        out.add(Explainer.explainDirection(l.attribute().name(), version, "", value, d, maps));
                    }
                }
                case ClassScore k -> {
                    if (wanted == null || wanted.contains(k.classifier().name())) {
                        float[][] classes = k.classEmbeddings();
                        double[] classCos = PromptMath.cosines(img, classes);
                        int top = 0;
                        double meanCos = 0;
                        for (int j = 0; j < classCos.length; j++) {
                            top = classCos[j] > classCos[top] ? j : top;
                            meanCos += classCos[j] / classCos.length;
                        }
                        double[] d = new double[img.length];
                        for (int j = 0; j < classes.length; j++) {
                            addScaled(d, classes[j], logitScale * ((j == top ? 1.0 : 0.0) - 1.0 / classes.length));
                        }
                        out.add(Explainer.explainDirection(k.classifier().name(), version,
                                k.classifier().classes().get(top), logitScale * (classCos[top] - meanCos), d, maps));
                    }
                }
            }
        }
        return out;
    }

    /** softmax(s·cos) over the level prompts of {@code l}. */
    private double[] levelProbabilities(LevelScore l, double[] cos) {
        double[] levelCos = new double[l.levels().length];
        for (int i = 0; i < levelCos.length; i++) {
            levelCos[i] = cos[l.levels()[i]];
        }
        return PromptMath.softmax(logitScale, levelCos);
    }

    private static double expected(double[] p, double[] values) {
        double e = 0;
        for (int i = 0; i < p.length; i++) {
            e += p[i] * values[i];
        }
        return e;
    }

    private static void addScaled(double[] acc, float[] v, double scale) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += scale * v[i];
        }
    }

    private static double calibrate(PromptSet.Attribute a, double raw) {
        return a.calibration() == null ? raw : a.calibration().apply(raw);
    }
}
