package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.EncodedImage;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoringPipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Label tuning end to end, shared by the TuneLabels RPC and the {@code imagescore tune} command: encode every rated
 * image once (the pipeline's encode), encode every candidate prompt once (the text embedder), score each candidate
 * on each image, run {@link LabelTuner} per viewpoint, and build the new prompt-set version from the reliable
 * viewpoints.
 */
public final class LabelTuning {

    /** One rated aspect; its candidates are the user's pairs followed by the generated ones (duplicates dropped). */
    public record Viewpoint(String name, List<PromptSet.Pair> candidates, CandidateGenerator templates) {
        public Viewpoint {
            candidates = candidates == null ? List.of() : List.copyOf(candidates);
        }
    }

    /** An image and its ratings per viewpoint (one value per rater; they are averaged). */
    public record RatedImage(ImageInput image, Map<String, List<Double>> ratings) {
    }

    public record Request(ModelPack pack, List<Viewpoint> viewpoints, List<RatedImage> images, LabelTuner.Options options,
                          PreprocessMode mode) {
    }

    public record FailedImage(String id, String code, String message) {
    }

    /** The report: deterministic for the same data, pack and options (no timestamps). */
    public record Report(String pack, String packHash, LabelTuner.Options options, List<LabelTuner.Result> viewpoints,
                         List<FailedImage> failedImages) {
    }

    /** @param promptSet the tuned set (base set with the reliable viewpoints replaced); null if none was reliable */
    public record Result(Report report, PromptSet promptSet) {
    }

    private final ScoringPipeline pipeline;
    private final TextEmbedder embedder;

    public LabelTuning(ScoringPipeline pipeline, TextEmbedder embedder) {
        this.pipeline = pipeline;
        this.embedder = embedder;
    }

    public Result run(Request request, PromptSet base) {
        ModelPack pack = request.pack();
        double scale = TextEmbedder.textEncoder(pack).logitScale();
        if (request.viewpoints().isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "label tuning needs at least one viewpoint");
        }
        Set<String> names = new LinkedHashSet<>();
        for (Viewpoint v : request.viewpoints()) {
            if (v.name() == null || !PromptSet.NAME.matcher(v.name()).matches()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "viewpoint name '" + v.name()
                        + "' must be 1-64 lowercase letters, digits, '.', '_' or '-' (it becomes the score name)");
            }
            if (!names.add(v.name())) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "viewpoint '" + v.name() + "' is given twice");
            }
        }
        for (RatedImage img : request.images()) {
            for (Map.Entry<String, List<Double>> e : img.ratings().entrySet()) {
                if (!names.contains(e.getKey())) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + img.image().id() + "' is rated for unknown viewpoint '"
                            + e.getKey() + "'; the viewpoints are " + names);
                }
                for (double r : e.getValue()) {
                    if (!(r >= request.options().scaleMin() && r <= request.options().scaleMax())) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + img.image().id() + "': rating " + r + " for '"
                                + e.getKey() + "' is outside the scale [" + request.options().scaleMin() + ", " + request.options().scaleMax() + "]");
                    }
                }
            }
        }

        // One encoding per image, for every viewpoint and candidate.
        List<Outcome<EncodedImage>> encoded = pipeline.encode(pack, request.images().stream().map(RatedImage::image).toList(),
                pack.preprocessing().views(), Set.of(pack.embeddingOutput()), request.mode(), null);
        List<FailedImage> failed = new ArrayList<>();
        List<float[]> embeddings = new ArrayList<>();
        List<RatedImage> usable = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i++) {
            Outcome<EncodedImage> e = encoded.get(i);
            if (e.isOk()) {
                embeddings.add(PromptMath.unit(e.value().mean(pack.embeddingOutput(), pack.preprocessing().views())));
                usable.add(request.images().get(i));
            } else {
                failed.add(new FailedImage(e.id(), e.error().code().name(), e.error().getMessage()));
            }
        }

        LabelTuner tuner = new LabelTuner(request.options());
        List<LabelTuner.Result> results = new ArrayList<>();
        for (Viewpoint v : request.viewpoints()) {
            Set<PromptSet.Pair> pairs = new LinkedHashSet<>();
            List<LabelTuner.Candidate> candidates = new ArrayList<>();
            for (PromptSet.Pair p : v.candidates()) {
                if (p.positive() == null || p.positive().isBlank() || p.negative() == null || p.negative().isBlank()) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "viewpoint '" + v.name() + "': a candidate pair is empty");
                }
                if (pairs.add(p)) {
                    candidates.add(new LabelTuner.Candidate(p, "user"));
                }
            }
            if (v.templates() != null) {
                for (PromptSet.Pair p : v.templates().generate()) {
                    if (pairs.add(p)) {
                        candidates.add(new LabelTuner.Candidate(p, "template"));
                    }
                }
            }
            List<float[]> imgs = new ArrayList<>();
            List<Double> ratings = new ArrayList<>();
            for (int i = 0; i < usable.size(); i++) {
                List<Double> r = usable.get(i).ratings().get(v.name());
                if (r != null && !r.isEmpty()) {
                    imgs.add(embeddings.get(i));
                    ratings.add(r.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
                }
            }
            List<String> texts = new ArrayList<>(new LinkedHashSet<>(candidates.stream()
                    .flatMap(c -> java.util.stream.Stream.of(c.pair().positive(), c.pair().negative())).toList()));
            float[][] unit = embedder.embed(pack, texts, null);
            Map<String, float[]> byText = new LinkedHashMap<>();
            for (int i = 0; i < texts.size(); i++) {
                byText.put(texts.get(i), unit[i]);
            }
            float[][] pos = candidates.stream().map(c -> byText.get(c.pair().positive())).toArray(float[][]::new);
            float[][] neg = candidates.stream().map(c -> byText.get(c.pair().negative())).toArray(float[][]::new);
            double[][] scores = LabelTuner.pairScores(imgs.toArray(float[][]::new), pos, neg, scale);
            results.add(tuner.tune(v.name(), candidates, scores, ratings.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        Report report = new Report(pack.name(), pack.contentHash(), request.options(), results, failed);
        return new Result(report, promptSet(base, pack, results));
    }

    /** The base set with each reliable viewpoint as a calibrated pair attribute (replacing one of the same name). */
    static PromptSet promptSet(PromptSet base, ModelPack pack, List<LabelTuner.Result> results) {
        List<LabelTuner.Result> reliable = results.stream().filter(LabelTuner.Result::reliable).toList();
        if (reliable.isEmpty()) {
            return null;
        }
        Map<String, PromptSet.Attribute> attributes = new LinkedHashMap<>();
        if (base != null) {
            base.attributes().forEach(a -> attributes.put(a.name(), a));
        }
        for (LabelTuner.Result r : reliable) {
            List<PromptSet.Pair> pairs = r.chosen().stream().map(i -> r.candidates().stream().filter(c -> c.index() == i)
                    .findFirst().orElseThrow().candidate().pair()).toList();
            attributes.put(r.viewpoint(), new PromptSet.Attribute(r.viewpoint(), String.format(
                    "label-tuned on %d rated images: cross-validated SRCC %.3f, MAE %.3f", r.images(), r.cv().srcc(), r.cv().mae()),
                    pairs, null, null, r.calibration()));
        }
        return new PromptSet(base == null ? "label-tuned prompts" : base.description(), pack.name(),
                List.copyOf(attributes.values()), base == null ? List.of() : base.classifiers()).validate();
    }

    public static String json(Report report) {
        return new String(PromptSetStore.toJson(report), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The report for people: per viewpoint the verdict, the choice, CV metrics and the top candidates. */
    public static String table(Report report, int top) {
        StringBuilder b = new StringBuilder();
        LabelTuner.Options o = report.options();
        b.append(String.format("label tuning on pack %s (%s), %d-fold CV, seed %d, scale %s..%s, at most %d pair(s)%n",
                report.pack(), report.packHash().substring(0, 12), o.folds(), o.seed(), fmt(o.scaleMin()), fmt(o.scaleMax()), o.maxPairs()));
        for (FailedImage f : report.failedImages()) {
            b.append(String.format("  skipped image %s: %s %s%n", f.id(), f.code(), f.message()));
        }
        for (LabelTuner.Result r : report.viewpoints()) {
            b.append(String.format("%nviewpoint %s: %d images, %d candidates%n", r.viewpoint(), r.images(), r.candidates().size()));
            b.append("  ").append(r.verdict()).append('\n');
            for (int i : r.chosen()) {
                LabelTuner.CandidateResult c = r.candidates().stream().filter(x -> x.index() == i).findFirst().orElseThrow();
                b.append(String.format("  chosen: \"%s\" / \"%s\"%n", c.candidate().pair().positive(), c.candidate().pair().negative()));
            }
            b.append(String.format("  calibration: rating = %.4f + %.4f * P(positive), clamped to [%s, %s]%n",
                    r.calibration().intercept(), r.calibration().slope(), fmt(r.calibration().min()), fmt(r.calibration().max())));
            b.append(String.format("  chosen, in sample:        SRCC %6.3f  KRCC %6.3f  PLCC %6.3f  MAE %6.3f%n",
                    r.chosenInSample().srcc(), r.chosenInSample().krcc(), r.chosenInSample().plcc(), r.chosenInSample().mae()));
            b.append(String.format("  cross-validated (pooled): SRCC %6.3f  KRCC %6.3f  PLCC %6.3f  MAE %6.3f  p=%.2g%n",
                    r.cv().srcc(), r.cv().krcc(), r.cv().plcc(), r.cv().mae(), r.cvPValue()));
            for (LabelTuner.Fold f : r.folds()) {
                b.append(String.format("    fold %d: train %d / test %d images, chose %s, train SRCC %.3f, test SRCC %.3f%n",
                        f.fold(), f.trainImages(), f.testImages(), f.chosen(), f.trainSrcc(), f.testSrcc()));
            }
            b.append(String.format("  %4s %5s %7s %7s %7s %7s %5s  %-8s  %s%n", "rank", "cand", "SRCC", "KRCC", "PLCC", "MAE", "folds", "source", "positive / negative"));
            int rank = 0;
            for (LabelTuner.CandidateResult c : r.candidates()) {
                if (++rank > top) {
                    b.append(String.format("  … %d more in the JSON report%n", r.candidates().size() - top));
                    break;
                }
                LabelTuner.Metrics m = c.metrics();
                b.append(String.format("  %4d %5d %7.3f %7.3f %7.3f %7.3f %2d/%-2d  %-8s  \"%s\" / \"%s\"%n", rank, c.index(), m.srcc(), m.krcc(),
                        m.plcc(), m.mae(), c.foldsChosen(), r.folds().size(), c.candidate().source(),
                        c.candidate().pair().positive(), c.candidate().pair().negative()));
            }
        }
        return b.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
