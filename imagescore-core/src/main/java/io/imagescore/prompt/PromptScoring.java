package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.explain.Explanation;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prompt scores inside a Score request: which of the wanted score names are prompt scores and which are heads, and
 * the prompt scores appended to each image's head scores, computed from the same image embedding.
 *
 * @param prompts the resolved prompt-set version
 * @param wanted  prompt scores to compute, by name (never null: "all of the set" is spelled out, so that every user of
 *                the record, such as the score store's key, sees what is computed)
 */
public record PromptScoring(CompiledPromptSet prompts, Set<String> wanted) {

    public PromptScoring {
        java.util.Objects.requireNonNull(wanted, "wanted");
    }

    /** Wanted names split into head names and prompt scores. */
    public record Split(List<String> heads, PromptScoring prompts) {
    }

    /**
     * Splits the request's score names: names of the prompt set's scores go to prompt scoring, the rest are heads. An
     * empty list means the pack's default heads ({@link ModelPack#defaultScoreNames}) and every prompt score of the set.
     * A prompt score may not shadow a head of the pack.
     */
    public static Split split(ModelPack pack, CompiledPromptSet prompts, List<String> wanted) {
        Set<String> names = new LinkedHashSet<>(prompts.spec().scoreNames());
        for (String n : names) {
            if (pack.heads().containsKey(n)) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "prompt set " + prompts.ref() + " defines score '" + n
                        + "', which pack " + pack.name() + " already has as a head; rename the attribute or classifier",
                        Map.of("score", n), null);
            }
        }
        if (wanted.isEmpty()) {
            return new Split(List.of(), new PromptScoring(prompts, Set.copyOf(names)));
        }
        List<String> heads = new ArrayList<>();
        Set<String> promptScores = new LinkedHashSet<>();
        for (String w : wanted) {
            if (names.contains(w)) {
                if (!promptScores.add(w)) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score '" + w + "' is requested twice");
                }
            } else {
                heads.add(w);
            }
        }
        return new Split(heads, promptScores.isEmpty() ? null : new PromptScoring(prompts, Set.copyOf(promptScores)));
    }

    /**
     * Adds the prompt scores to every scored image, and with {@code explain} their explanations (from the image's
     * {@link ScoredImage#embeddingMaps}; "none" where the pack's encoder has no spatial output); drops the embedding
     * again unless the client asked for it.
     */
    public List<Outcome<ScoredImage>> apply(List<Outcome<ScoredImage>> results, boolean keepEmbedding, boolean explain) {
        List<Outcome<ScoredImage>> out = new ArrayList<>(results.size());
        for (Outcome<ScoredImage> r : results) {
            if (!r.isOk()) {
                out.add(r);
                continue;
            }
            ScoredImage s = r.value();
            CompiledPromptSet.Scores p = prompts.score(s.embedding(), wanted);
            List<ScoredImage.Scalar> scalars = new ArrayList<>(s.scalars());
            scalars.addAll(p.scalars());
            List<ScoredImage.Classes> classes = new ArrayList<>(s.classes());
            classes.addAll(p.classes());
            List<Explanation> explanations = s.explanations();
            if (explain) {
                explanations = new ArrayList<>(explanations);
                if (s.embeddingMaps() != null) {
                    explanations.addAll(prompts.explain(s.embedding(), wanted, s.embeddingMaps()));
                } else {
                    for (ScoredImage.Scalar x : p.scalars()) {
                        explanations.add(Explanation.none(x.name(), x.version(), NO_MAPS, s.width(), s.height()));
                    }
                    for (ScoredImage.Classes x : p.classes()) {
                        explanations.add(Explanation.none(x.name(), x.version(), NO_MAPS, s.width(), s.height()));
                    }
                }
            }
            out.add(Outcome.ok(r.id(), new ScoredImage(s.sha256(), s.width(), s.height(), scalars, classes,
                    keepEmbedding ? s.embedding() : null, explanations)));
        }
        return out;
    }

    private static final String NO_MAPS = "the pack's encoder has no spatial output (patch tokens)";
}
