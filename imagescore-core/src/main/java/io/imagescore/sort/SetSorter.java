package io.imagescore.sort;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.StageClock;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Orders a set of images. Every image is scored once, all together ({@link ScoringPipeline#score}: one batched
 * encoder pass for the set), and the ordering works on those scores only, so cost is linear in the set size, never
 * per pair. {@link #order} is the pure rule engine (no model), used by the service, the CLI and the batch tool.
 *
 * <p>Rules, in the order they apply: images that failed to score go last (IMAGE_ERROR); near-duplicates (embedding
 * cosine above the threshold) keep the best-scored image of each group in place and move the others to the end,
 * before the failed ones (NEAR_DUPLICATE); the rest are ordered by the spec. Equal keys always keep input order.
 */
public final class SetSorter {
    /** Probabilities are clamped here before −log, so a zero probability is a large finite cost. */
    private static final double MIN_PROBABILITY = 1e-12;
    /** Without min_confidence, leaving an image out of a free slot costs more than any −log p: slots get filled. */
    private static final double FILL_EVERY_SLOT_COST = 1e3;

    private final ScoringPipeline pipeline;

    public SetSorter(ScoringPipeline pipeline) {
        this.pipeline = pipeline;
    }

    /** Scores the images (one encoder pass for the set) and orders them. */
    public SortResult sort(ModelPack pack, List<ImageInput> images, SortSpec spec, PreprocessMode mode, Instant deadline) {
        return sortRead(pack, images.stream().map(i -> Outcome.ok(i.id(), i)).toList(), spec, mode, deadline);
    }

    /**
     * As {@link #sort}, for inputs some of which failed before scoring (e.g. a file that could not be read, in the
     * batch tool): those keep their error and input position and are ordered like images that failed to decode.
     */
    public SortResult sortRead(ModelPack pack, List<Outcome<ImageInput>> inputs, SortSpec spec, PreprocessMode mode, Instant deadline) {
        List<ScoringPipeline.Selection> selections = ScoringPipeline.select(pack, spec.scoreNames());
        Map<String, ScoreSpec> specs = new LinkedHashMap<>();
        selections.forEach(s -> specs.put(s.name(), s.head().spec()));
        check(spec, specs); // before any image is decoded
        List<ImageInput> readable = inputs.stream().filter(Outcome::isOk).map(Outcome::value).toList();
        Iterator<Outcome<ScoredImage>> scored = (readable.isEmpty() ? List.<Outcome<ScoredImage>>of()
                : pipeline.score(pack, readable, selections, spec.needsEmbedding(), mode, deadline)).iterator();
        List<Outcome<ScoredImage>> all = new ArrayList<>(inputs.size());
        for (Outcome<ImageInput> in : inputs) {
            all.add(in.isOk() ? scored.next() : Outcome.failed(in.id(), in.error()));
        }
        try (StageClock.Timing ignored = pipeline.clock().begin("sort")) {
            return order(all, spec, specs);
        }
    }

    /** Validates the spec against the scores' metadata: kinds, and regulation classes against the classifier's. */
    public static void check(SortSpec spec, Map<String, ScoreSpec> specs) {
        switch (spec.ordering()) {
            case SortSpec.ByScore s -> s.terms().forEach(t -> scalar(specs, t.score()));
            case SortSpec.ByPreference p -> scalar(specs, p.score());
            case SortSpec.ByRegulation r -> {
                Regulation reg = r.regulation();
                ScoreSpec classifier = spec(specs, reg.classifier());
                if (classifier.kind() != ScoreSpec.Kind.CLASSES) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "classifier '" + classifier.name()
                            + "' is a scalar score; a regulation needs a class distribution (a CLASSES score)");
                }
                reg.checkClassesOf(classifier.classes());
                if (reg.withinClassScore() != null) {
                    scalar(specs, reg.withinClassScore());
                }
            }
        }
    }

    /** Orders scored images (input order = original positions) by the spec; specs holds each used score's metadata. */
    public static SortResult order(List<Outcome<ScoredImage>> images, SortSpec spec, Map<String, ScoreSpec> specs) {
        check(spec, specs);
        List<Item> items = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            items.add(new Item(i, images.get(i)));
        }
        List<Item> ok = items.stream().filter(it -> it.image != null).toList();
        List<Item> failed = items.stream().filter(it -> it.image == null).toList();
        failed.forEach(it -> it.reasons.add(SortReason.IMAGE_ERROR));
        List<SortResult.Finding> findings = new ArrayList<>();

        Comparator<Item> best = switch (spec.ordering()) {
            case SortSpec.ByScore s -> {
                ok.forEach(it -> it.scoreBy(s.terms(), specs));
                yield BY_VALUE;
            }
            case SortSpec.ByPreference p -> {
                ok.forEach(it -> it.scoreBy(List.of(new SortSpec.Term(p.score(), 1)), specs));
                yield BY_VALUE;
            }
            case SortSpec.ByRegulation r -> {
                ok.forEach(it -> it.classify(r.regulation(), specs));
                yield WITHIN_CLASS;
            }
        };

        List<Item> kept = spec.needsEmbedding() ? dropDuplicates(ok, best, spec.duplicateThreshold(), findings) : ok;
        List<Item> duplicates = ok.stream().filter(it -> it.duplicateOf != null).toList();

        List<Item> main = switch (spec.ordering()) {
            case SortSpec.ByScore s -> byValue(kept, SortReason.SCORE_ORDER);
            case SortSpec.ByPreference p -> byValue(kept, SortReason.PREFERENCE_ORDER);
            case SortSpec.ByRegulation r -> byRegulation(kept, r.regulation(), findings);
        };

        List<Item> all = new ArrayList<>(main);
        all.addAll(duplicates);
        all.addAll(failed);
        if (!main.isEmpty()) {
            main.getFirst().reasons.addFirst(SortReason.HERO);
        }
        if (!failed.isEmpty()) {
            findings.add(new SortResult.Finding(SortResult.FindingCode.FAILED_IMAGES, failed.size()
                    + " image(s) could not be scored and are placed last", failed.stream().map(it -> it.id).toList(), null));
        }
        List<SortResult.Placed> placed = new ArrayList<>(all.size());
        for (int rank = 0; rank < all.size(); rank++) {
            placed.add(all.get(rank).placed(rank));
        }
        return new SortResult(placed, findings);
    }

    private static final Comparator<Item> BY_POSITION = Comparator.comparingInt(it -> it.position);
    /** Higher combined value first, then input order. */
    private static final Comparator<Item> BY_VALUE = Comparator.<Item>comparingDouble(it -> -it.sortValue).thenComparing(BY_POSITION);
    /** Better within-class score first (already direction-adjusted), then higher confidence, then input order. */
    private static final Comparator<Item> WITHIN_CLASS = Comparator.<Item>comparingDouble(it -> -it.withinKey)
            .thenComparingDouble(it -> -it.confidence).thenComparing(BY_POSITION);

    private static List<Item> byValue(List<Item> items, SortReason reason) {
        List<Item> out = new ArrayList<>(items);
        out.sort(BY_VALUE);
        out.forEach(it -> it.reasons.add(reason));
        return out;
    }

    private static List<Item> byRegulation(List<Item> items, Regulation reg, List<SortResult.Finding> findings) {
        Map<String, Integer> rank = new HashMap<>();
        for (int i = 0; i < reg.classes().size(); i++) {
            rank.put(reg.classes().get(i), i);
        }
        List<Item> regulated = new ArrayList<>();
        List<Item> unregulated = new ArrayList<>();
        List<Item> candidates = new ArrayList<>();
        for (Item it : items) {
            double inDomain = it.distribution.inDomain();
            if (!Double.isNaN(inDomain) && inDomain < reg.minInDomain()) {
                it.reasons.add(SortReason.OUT_OF_DOMAIN);
                unregulated.add(it);
            } else {
                candidates.add(it);
            }
        }
        items = candidates;
        if (reg.slots()) {
            double[][] cost = new double[items.size()][reg.classes().size()];
            for (int i = 0; i < items.size(); i++) {
                for (int j = 0; j < reg.classes().size(); j++) {
                    cost[i][j] = -Math.log(Math.max(MIN_PROBABILITY, items.get(i).probabilityOf(reg.classes().get(j))));
                }
            }
            double noSlot = reg.minConfidence() > 0 ? -Math.log(reg.minConfidence()) : FILL_EVERY_SLOT_COST;
            int[] slot = SlotAssignment.solve(cost, noSlot);
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                String cls = slot[i] < 0 ? null : reg.classes().get(slot[i]);
                if (cls != null && it.probabilityOf(cls) >= reg.minConfidence()) {
                    it.placeAs(cls);
                    it.classRank = slot[i];
                    it.reasons.add(SortReason.SLOT_ASSIGNED);
                    regulated.add(it);
                } else {
                    it.reasons.add(SortReason.NO_SLOT);
                    unregulated.add(it);
                }
            }
        } else {
            for (Item it : items) {
                Integer r = rank.get(it.topLabel);
                if (r == null) {
                    it.reasons.add(SortReason.CLASS_NOT_IN_REGULATION);
                    unregulated.add(it);
                } else if (it.confidence < reg.minConfidence()) {
                    it.reasons.add(SortReason.LOW_CONFIDENCE);
                    unregulated.add(it);
                } else {
                    it.classRank = r;
                    it.reasons.add(SortReason.REGULATED_CLASS);
                    regulated.add(it);
                }
            }
        }
        regulated.sort(Comparator.<Item>comparingInt(it -> it.classRank).thenComparing(WITHIN_CLASS));
        unregulated.sort(BY_POSITION);

        List<Item> review = new ArrayList<>();
        for (Item it : items) {
            if (reg.reviewMargin() > 0 && it.margin < reg.reviewMargin()) {
                it.needsReview = true;
                it.reasons.add(SortReason.NEEDS_REVIEW);
                review.add(it);
            }
        }
        List<Item> out = new ArrayList<>(items.size());
        if (reg.unregulatedPlacement() == Regulation.Placement.BEFORE) {
            out.addAll(unregulated);
            out.addAll(regulated);
        } else {
            out.addAll(regulated);
            out.addAll(unregulated);
        }

        for (String required : reg.requiredClasses()) {
            if (regulated.stream().noneMatch(it -> required.equals(it.classLabel))) {
                findings.add(new SortResult.Finding(SortResult.FindingCode.MISSING_REQUIRED_CLASS,
                        "no image of required class '" + required + "'", List.of(), required));
            }
        }
        if (!unregulated.isEmpty()) {
            findings.add(new SortResult.Finding(SortResult.FindingCode.UNREGULATED_IMAGES, unregulated.size()
                    + " image(s) fit no regulation class and are placed " + (reg.unregulatedPlacement() == Regulation.Placement.BEFORE
                    ? "first" : "after the regulated ones"), unregulated.stream().sorted(BY_POSITION).map(it -> it.id).toList(), null));
        }
        if (!review.isEmpty()) {
            findings.add(new SortResult.Finding(SortResult.FindingCode.NEEDS_REVIEW, review.size()
                    + " image(s) have a top-2 class margin below " + reg.reviewMargin(),
                    review.stream().sorted(BY_POSITION).map(it -> it.id).toList(), null));
        }
        return out;
    }

    /**
     * Greedy grouping in best-first order: each image not yet claimed keeps its place and claims every later image
     * whose cosine with it exceeds the threshold. Best-first makes "keep the best-scored" hold by construction and,
     * unlike connected components, never chains dissimilar images through a middle one.
     */
    private static List<Item> dropDuplicates(List<Item> items, Comparator<Item> best, double threshold,
                                             List<SortResult.Finding> findings) {
        List<Item> ranked = new ArrayList<>(items);
        ranked.sort(best);
        List<Item> kept = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            Item keeper = ranked.get(i);
            if (keeper.duplicateOf != null) {
                continue;
            }
            kept.add(keeper);
            List<String> group = new ArrayList<>();
            for (int j = i + 1; j < ranked.size(); j++) {
                Item other = ranked.get(j);
                if (other.duplicateOf == null && cosine(keeper.unitEmbedding(), other.unitEmbedding()) > threshold) {
                    other.duplicateOf = keeper.id;
                    other.reasons.add(SortReason.NEAR_DUPLICATE);
                    group.add(other.id);
                }
            }
            if (!group.isEmpty()) {
                List<String> ids = new ArrayList<>();
                ids.add(keeper.id);
                ids.addAll(group);
                findings.add(new SortResult.Finding(SortResult.FindingCode.NEAR_DUPLICATES, "'" + keeper.id
                        + "' is kept; " + group.size() + " near-duplicate(s) moved to the end", ids, null));
            }
        }
        kept.sort(BY_POSITION);
        return kept;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot;
    }

    private static ScoreSpec spec(Map<String, ScoreSpec> specs, String score) {
        ScoreSpec s = specs.get(SortSpec.baseName(score));
        if (s == null) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_SCORE, "unknown score '" + SortSpec.baseName(score)
                    + "'; available: " + specs.keySet(), Map.of("score", SortSpec.baseName(score)), null);
        }
        return s;
    }

    private static ScoreSpec scalar(Map<String, ScoreSpec> specs, String score) {
        ScoreSpec s = spec(specs, score);
        if (s.kind() != ScoreSpec.Kind.SCALAR) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score '" + s.name()
                    + "' is a class distribution; ordering by value needs a scalar score");
        }
        return s;
    }

    /** Mutable working state of one image while the rules run. */
    private static final class Item {
        final int position;
        final String id;
        final ScoredImage image;
        final ImageScoreException error;
        final List<SortReason> reasons = new ArrayList<>();
        final Map<String, Double> scores = new LinkedHashMap<>();
        double sortValue = Double.NaN;
        double withinKey;
        ScoredImage.Classes distribution;
        String topLabel;
        String classLabel;
        double confidence = Double.NaN;
        double margin = Double.NaN;
        int classRank = Integer.MAX_VALUE;
        boolean needsReview;
        String duplicateOf;
        private float[] unit;

        Item(int position, Outcome<ScoredImage> outcome) {
            this.position = position;
            this.id = outcome.id();
            this.image = outcome.isOk() ? outcome.value() : null;
            this.error = outcome.error();
        }

        double scalar(String score) {
            String name = SortSpec.baseName(score);
            for (ScoredImage.Scalar s : image.scalars()) {
                if (s.name().equals(name)) {
                    scores.put(name, s.value());
                    return s.value();
                }
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "image '" + id + "' has no score '" + name + "'");
        }

        /** Σ weight · (value mapped to [0, 1] by the score's range, turned around where lower is better). */
        void scoreBy(List<SortSpec.Term> terms, Map<String, ScoreSpec> specs) {
            double sum = 0;
            for (SortSpec.Term t : terms) {
                ScoreSpec s = spec(specs, t.score());
                double unit = (scalar(t.score()) - s.rangeMin()) / (s.rangeMax() - s.rangeMin());
                sum += t.weight() * (s.higherIsBetter() ? unit : 1 - unit);
            }
            sortValue = sum;
        }

        void classify(Regulation reg, Map<String, ScoreSpec> specs) {
            String name = SortSpec.baseName(reg.classifier());
            distribution = image.classes().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() ->
                    new ImageScoreException(ErrorCode.INTERNAL, "image '" + id + "' has no class distribution '" + name + "'"));
            int[] top = distribution.topK(2);
            float[] p = distribution.probabilities();
            topLabel = distribution.labels().get(top[0]);
            margin = top.length > 1 ? p[top[0]] - p[top[1]] : p[top[0]];
            placeAs(topLabel);
            if (reg.withinClassScore() != null) {
                ScoreSpec s = spec(specs, reg.withinClassScore());
                double v = scalar(reg.withinClassScore());
                withinKey = s.higherIsBetter() ? v : -v;
            }
        }

        void placeAs(String label) {
            classLabel = label;
            confidence = probabilityOf(label);
        }

        double probabilityOf(String label) {
            int i = distribution.labels().indexOf(label);
            return i < 0 ? 0 : distribution.probabilities()[i];
        }

        float[] unitEmbedding() {
            if (unit == null) {
                float[] e = image.embedding();
                if (e == null) {
                    throw new ImageScoreException(ErrorCode.INTERNAL, "image '" + id + "' has no embedding for duplicate detection");
                }
                double norm = 0;
                for (float f : e) {
                    norm += (double) f * f;
                }
                norm = Math.sqrt(norm);
                unit = new float[e.length];
                for (int i = 0; i < e.length; i++) {
                    unit[i] = norm == 0 ? 0 : (float) (e[i] / norm);
                }
            }
            return unit;
        }

        SortResult.Placed placed(int rank) {
            return new SortResult.Placed(id, position, rank, classLabel, confidence, margin, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scores)), sortValue,
                    List.copyOf(reasons), needsReview, duplicateOf, error);
        }
    }
}
