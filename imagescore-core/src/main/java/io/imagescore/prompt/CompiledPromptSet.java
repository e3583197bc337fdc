package io.imagescore.prompt;

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
                        double[] levelCos = new double[l.levels().length];
                        for (int i = 0; i < levelCos.length; i++) {
                            levelCos[i] = cos[l.levels()[i]];
                        }
                        double[] p = PromptMath.softmax(logitScale, levelCos);
                        double expected = 0;
                        for (int i = 0; i < p.length; i++) {
                            expected += p[i] * l.values()[i];
                        }
                        scalars.add(new ScoredImage.Scalar(l.attribute().name(), version, calibrate(l.attribute(), expected)));
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

    private static double calibrate(PromptSet.Attribute a, double raw) {
        return a.calibration() == null ? raw : a.calibration().apply(raw);
    }
}
