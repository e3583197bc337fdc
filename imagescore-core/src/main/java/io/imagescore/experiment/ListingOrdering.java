package io.imagescore.experiment;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.ScoreSpec;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.RegulationStore;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one variant orders each listing of a comparison: by a stored regulation version, exactly as Sort orders by it,
 * or (no regulation) by the variant's first scalar score, highest first, ties in listing order.
 *
 * <p>Which regulation: the variant's own (pinned in a stored experiment variant, or named in a spelled-out one) — that
 * is what its users would see; else the one named for the whole comparison; else none. A comparison-wide regulation
 * that differs from a variant's own (another name or version) is INVALID_REQUEST rather than silently ignored for
 * that variant.
 *
 * @param regulation the regulation version used, or null (first scalar score)
 * @param specs      metadata of the variant's scores by name (what a regulation needs; empty for the first scalar)
 */
public record ListingOrdering(RegulationStore.Stored regulation, Map<String, ScoreSpec> specs) {
    /** No regulation: by the first scalar score. */
    public static final ListingOrdering FIRST_SCALAR = new ListingOrdering(null, Map.of());

    public ListingOrdering {
        specs = Map.copyOf(specs);
    }

    /**
     * The ordering of variant {@code variant} (its name for messages): {@code own} if not null, else {@code common}; a
     * regulation's classifier and within-class score must be among {@code selections} (INVALID_REQUEST otherwise).
     */
    public static ListingOrdering of(String variant, RegulationStore.Stored own, RegulationStore.Stored common,
                                     List<ScoringPipeline.Selection> selections) {
        if (own != null && common != null && !sameVersion(own, common)) {
            throw invalid("variant " + variant + " orders listings by its own regulation " + describe(own) + ", but the comparison's "
                    + "regulation is " + describe(common) + "; leave that empty to order each variant by its own");
        }
        RegulationStore.Stored used = own != null ? own : common;
        if (used == null) {
            return FIRST_SCALAR;
        }
        Map<String, ScoreSpec> specs = new LinkedHashMap<>();
        selections.forEach(s -> specs.put(s.name(), s.head().spec()));
        try {
            SetSorter.check(spec(used), specs);
        } catch (ImageScoreException e) {
            throw invalid("variant " + variant + " cannot be ordered by the regulation " + describe(used) + ": " + e.getMessage());
        }
        return new ListingOrdering(used, specs);
    }

    /** Positions into {@code photos}, best (the hero) first. */
    int[] order(String variant, List<ScoredImage> photos) {
        if (regulation == null) {
            double[] v = new double[photos.size()];
            for (int i = 0; i < v.length; i++) {
                List<ScoredImage.Scalar> scalars = photos.get(i).scalars();
                if (scalars.isEmpty()) {
                    throw invalid("listings need a scalar score (e.g. quality) or a regulation under variant " + variant);
                }
                v[i] = scalars.getFirst().value();
            }
            return VariantComparison.order(v);
        }
        List<Outcome<ScoredImage>> items = new ArrayList<>(photos.size());
        for (int i = 0; i < photos.size(); i++) {
            items.add(Outcome.ok(Integer.toString(i), photos.get(i)));
        }
        return SetSorter.order(items, spec(regulation), specs).order().stream().mapToInt(p -> Integer.parseInt(p.id())).toArray();
    }

    /** "regulation tenant/name@version", or "score " + {@code firstScalar} (the variant's first scalar "name@version"). */
    public String describe(String firstScalar) {
        return regulation == null ? "score " + firstScalar : describe(regulation);
    }

    private static SortSpec spec(RegulationStore.Stored r) {
        return new SortSpec(new SortSpec.ByRegulation(r.regulation()), 0);
    }

    private static boolean sameVersion(RegulationStore.Stored x, RegulationStore.Stored y) {
        return x.tenant().equals(y.tenant()) && x.name().equals(y.name()) && x.version().equals(y.version());
    }

    static String describe(RegulationStore.Stored r) {
        return "regulation " + r.tenant() + "/" + r.name() + "@" + r.version();
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
