package io.imagescore.sort;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How to order a set: one {@link Ordering} plus the near-duplicate threshold (cosine of embeddings; 0 = off).
 */
public record SortSpec(Ordering ordering, double duplicateThreshold) {

    public sealed interface Ordering permits ByScore, ByPreference, ByRegulation {
    }

    /** One weighted scalar score ("quality" or "quality@2"). */
    public record Term(String score, double weight) {
    }

    /** Weighted combination of range-normalised, direction-aware scalar scores; higher first. */
    public record ByScore(List<Term> terms) implements Ordering {
        public ByScore {
            terms = List.copyOf(terms);
        }
    }

    /** A learned preference head (RankNet): a scalar score, higher first. */
    public record ByPreference(String score) implements Ordering {
    }

    public record ByRegulation(Regulation regulation) implements Ordering {
    }

    public SortSpec {
        if (ordering == null) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "an ordering is required (by score, by regulation or by preference)");
        }
        if (!(duplicateThreshold == 0 || (duplicateThreshold > 0 && duplicateThreshold <= 1))) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "duplicate_threshold must be 0 (off) or in (0, 1], got " + duplicateThreshold);
        }
        switch (ordering) {
            case ByScore s -> {
                if (s.terms().isEmpty()) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "a score ordering needs at least one score");
                }
                Set<String> names = new LinkedHashSet<>();
                for (Term t : s.terms()) {
                    if (!(t.weight() > 0) || Double.isInfinite(t.weight())) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "weight of '" + t.score()
                                + "' must be a positive number (direction comes from the score's metadata), got " + t.weight());
                    }
                    if (!names.add(baseName(t.score()))) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score '" + baseName(t.score()) + "' is named twice");
                    }
                }
            }
            case ByPreference p -> {
                if (p.score() == null || p.score().isBlank()) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "a preference ordering needs a score");
                }
            }
            case ByRegulation r -> r.regulation().validated();
        }
    }

    public boolean needsEmbedding() {
        return duplicateThreshold > 0;
    }

    /** Score names to request from the pipeline ("name" or "name@version"), each once. */
    public List<String> scoreNames() {
        List<String> out = new ArrayList<>();
        switch (ordering) {
            case ByScore s -> s.terms().forEach(t -> out.add(t.score()));
            case ByPreference p -> out.add(p.score());
            case ByRegulation r -> {
                out.add(r.regulation().classifier());
                if (r.regulation().withinClassScore() != null
                        && !baseName(r.regulation().withinClassScore()).equals(baseName(r.regulation().classifier()))) {
                    out.add(r.regulation().withinClassScore());
                }
            }
        }
        return out;
    }

    /** "quality@2" → "quality": the name results carry. */
    static String baseName(String score) {
        return io.imagescore.score.ScoreRef.parse(score).name();
    }
}
