package io.imagescore.sort;

import io.imagescore.error.ImageScoreException;

import java.util.List;
import java.util.Map;

/** A sorted set: every input image once, in the new order, with reasons; plus set-level findings. */
public record SortResult(List<Placed> order, List<Finding> findings) {

    public SortResult {
        order = List.copyOf(order);
        findings = List.copyOf(findings);
    }

    /**
     * One image in the new order.
     *
     * @param position    0-based position in the input
     * @param rank        0-based position in the new order
     * @param classLabel  regulation orderings: the class it was placed as (null otherwise or when unscored)
     * @param confidence  probability of {@code classLabel} (NaN when none)
     * @param margin      top-1 minus top-2 probability (NaN when none)
     * @param scores      raw values of the scores the ordering read, by name
     * @param sortValue   score orderings: the combined value sorted on (NaN otherwise)
     * @param reasons     primary reason first
     * @param duplicateOf id of the kept image this one near-duplicates, or null
     * @param error       why the image could not be scored, or null
     */
    public record Placed(String id, int position, int rank, String classLabel, double confidence, double margin,
                         Map<String, Double> scores, double sortValue, List<SortReason> reasons, boolean needsReview,
                         String duplicateOf, ImageScoreException error) {
    }

    public enum FindingCode { MISSING_REQUIRED_CLASS, NEAR_DUPLICATES, UNREGULATED_IMAGES, NEEDS_REVIEW, FAILED_IMAGES }

    /** A fact about the whole set; {@code classLabel} is set for MISSING_REQUIRED_CLASS. */
    public record Finding(FindingCode code, String message, List<String> ids, String classLabel) {
        public Finding {
            ids = List.copyOf(ids);
        }
    }

    public List<String> ids() {
        return order.stream().map(Placed::id).toList();
    }

    public List<Finding> findings(FindingCode code) {
        return findings.stream().filter(f -> f.code() == code).toList();
    }
}
