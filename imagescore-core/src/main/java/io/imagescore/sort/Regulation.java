package io.imagescore.sort;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A tenant's ordering rules: the classes of a classifier in display order, and how to treat what does not fit.
 *
 * @param classifier            CLASSES score ("room_type", "apparel", a CLIP zero-shot classifier), optionally "name@version"
 * @param classes               display order; each a class of the classifier
 * @param requiredClasses       classes the set must show (a subset of {@code classes})
 * @param withinClassScore      scalar score ordering images of one class (direction from its metadata); null = none
 * @param minConfidence         class probability below this → unregulated; 0 = off
 * @param reviewMargin          top-1 minus top-2 probability below this → needs review; 0 = off
 * @param unregulatedPlacement  where unregulated images go (in their original order)
 * @param slots                 at most one image per class, solved as an assignment on −log p
 * @param minInDomain           the classifier's in_domain (out-of-domain detection) below this → unregulated with reason
 *                              OUT_OF_DOMAIN, whatever its class; 0 = off; ignored for classifiers without a detector
 */
public record Regulation(String classifier, List<String> classes, List<String> requiredClasses, String withinClassScore,
                         double minConfidence, double reviewMargin, Placement unregulatedPlacement, boolean slots,
                         double minInDomain) {

    public enum Placement { AFTER, BEFORE }

    /** Default {@code minInDomain}: about 5 % of the classifier's own training photos fall below it. */
    public static final double DEFAULT_MIN_IN_DOMAIN = 0.05;

    public Regulation(String classifier, List<String> classes, List<String> requiredClasses, String withinClassScore,
                      double minConfidence, double reviewMargin, Placement unregulatedPlacement, boolean slots) {
        this(classifier, classes, requiredClasses, withinClassScore, minConfidence, reviewMargin, unregulatedPlacement,
                slots, DEFAULT_MIN_IN_DOMAIN);
    }

    public Regulation {
        classes = classes == null ? List.of() : List.copyOf(classes);
        requiredClasses = requiredClasses == null ? List.of() : List.copyOf(requiredClasses);
        withinClassScore = withinClassScore == null || withinClassScore.isBlank() ? null : withinClassScore;
        unregulatedPlacement = unregulatedPlacement == null ? Placement.AFTER : unregulatedPlacement;
    }

    /** The rules alone, no classifier metadata needed: a bad regulation is INVALID_REQUEST naming the problem. */
    public Regulation validated() {
        if (classifier == null || classifier.isBlank()) {
            throw invalid("a regulation needs a classifier (a CLASSES score such as room_type)");
        }
        io.imagescore.score.ScoreRef.parse(classifier);
        if (withinClassScore != null && !withinClassScore.isEmpty()) {
            io.imagescore.score.ScoreRef.parse(withinClassScore);
        }
        if (classes.isEmpty()) {
            throw invalid("a regulation needs at least one class");
        }
        Set<String> seen = new HashSet<>();
        for (String c : classes) {
            if (!seen.add(c)) {
                throw invalid("class '" + c + "' appears twice in the regulation");
            }
        }
        for (String r : requiredClasses) {
            if (!seen.contains(r)) {
                throw invalid("required class '" + r + "' is not among the regulation's classes " + classes);
            }
        }
        if (!(minInDomain >= 0 && minInDomain <= 1)) {
            throw invalid("min_in_domain must be in [0, 1], got " + minInDomain);
        }
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw invalid("min_confidence must be in [0, 1], got " + minConfidence);
        }
        if (!(reviewMargin >= 0 && reviewMargin <= 1)) {
            throw invalid("review_margin must be in [0, 1], got " + reviewMargin);
        }
        return this;
    }

    /** Checks the classes against the classifier's labels: unknown classes are INVALID_REQUEST listing the valid ones. */
    void checkClassesOf(List<String> labels) {
        List<String> unknown = classes.stream().filter(c -> !labels.contains(c)).toList();
        if (!unknown.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "regulation classes " + unknown + " are not classes of "
                    + classifier + (labels.size() <= 50 ? "; it has " + labels : " (" + labels.size() + " classes)"),
                    java.util.Map.of("classifier", classifier, "unknown_classes", String.join(",", unknown)), null);
        }
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
