package io.imagescore.experiment;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole comparison of two variants on one image set, built from each variant's per-image results (the RPC and
 * the CLI share it). The i-th scalar score of A is compared with the i-th of B (so "quality" can be compared with a
 * refitted "quality_sub"); the first scalar pair orders the listings and is judged against ratings, the first class
 * pair against labels. An image that failed under either variant is left out and listed in {@code excluded}.
 *
 * <p>{@code orderedByA}/{@code orderedByB}: what ordered the listings under each variant ({@link ListingOrdering#describe});
 * null without listings.
 */
public record ComparisonReport(String variantA, String variantB, int images, List<Excluded> excluded,
                               List<VariantComparison.ScoreComparison> scores, VariantComparison.ListingsSummary listings,
                               VariantComparison.Accuracy ratings, VariantComparison.Accuracy labels,
                               int bootstrapResamples, long seed, double confidence, String orderedByA, String orderedByB) {

    public record Excluded(String id, String variant, String code, String message) {
    }

    /** A listing as the caller names it: its id and its photos' image ids. */
    public record ListingInput(String id, List<String> imageIds) {
    }

    /**
     * What to compute beyond the per-score comparison; empty lists/maps = that part is left out. {@code orderA} and
     * {@code orderB} order each listing's photos under each variant (null = by the first scalar score).
     */
    public record Options(int topK, Bootstrap bootstrap, List<ListingInput> listings, Map<String, Double> ratings,
                          Map<String, String> labels, ListingOrdering orderA, ListingOrdering orderB) {
        public Options {
            orderA = orderA == null ? ListingOrdering.FIRST_SCALAR : orderA;
            orderB = orderB == null ? ListingOrdering.FIRST_SCALAR : orderB;
        }

        public Options(int topK, Bootstrap bootstrap, List<ListingInput> listings, Map<String, Double> ratings,
                       Map<String, String> labels) {
            this(topK, bootstrap, listings, ratings, labels, null, null);
        }
    }

    /**
     * What ordered the listings, in one line: "regulation t/n@v" when both variants used the same regulation version,
     * "score A's@v / B's@v" when both used their first scalar score, else "A's / B's" (each "regulation …" or
     * "score …"); null without listings.
     */
    public String orderedBy() {
        if (orderedByA == null) {
            return null;
        }
        if (orderedByA.startsWith("score ") && orderedByB.startsWith("score ")) {
            return orderedByA + " / " + orderedByB.substring("score ".length());
        }
        return orderedByA.equals(orderedByB) ? orderedByA : orderedByA + " / " + orderedByB;
    }

    public static ComparisonReport build(String variantA, String variantB, List<Outcome<ScoredImage>> a,
                                         List<Outcome<ScoredImage>> b, Options options) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("variants scored " + a.size() + " and " + b.size() + " images");
        }
        List<Excluded> excluded = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<ScoredImage> okA = new ArrayList<>();
        List<ScoredImage> okB = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < a.size(); i++) {
            String id = a.get(i).id();
            if (seen.put(id, i) != null) {
                throw invalid("image id '" + id + "' appears twice; a comparison needs unique image ids");
            }
            if (!a.get(i).isOk() || !b.get(i).isOk()) {
                Outcome<ScoredImage> bad = a.get(i).isOk() ? b.get(i) : a.get(i);
                excluded.add(new Excluded(id, a.get(i).isOk() ? "B" : "A", bad.error().code().name(), bad.error().getMessage()));
                continue;
            }
            ids.add(id);
            okA.add(a.get(i).value());
            okB.add(b.get(i).value());
        }
        int n = ids.size();
        if (n < 2) {
            throw invalid("only " + n + " image(s) scored under both variants; a comparison needs at least 2");
        }
        List<ScoredImage.Scalar> firstA = okA.getFirst().scalars();
        List<ScoredImage.Scalar> firstB = okB.getFirst().scalars();
        if (firstA.size() != firstB.size()) {
            throw invalid("variant A yields " + firstA.size() + " scalar scores and B " + firstB.size()
                    + "; name the same number of scores, paired by position");
        }
        List<VariantComparison.ScoreComparison> scores = new ArrayList<>();
        double[][] columnsA = new double[firstA.size()][];
        double[][] columnsB = new double[firstA.size()][];
        for (int s = 0; s < firstA.size(); s++) {
            columnsA[s] = column(okA, s);
            columnsB[s] = column(okB, s);
            scores.add(VariantComparison.compareScore(ref(firstA.get(s)), ref(firstB.get(s)), columnsA[s], columnsB[s],
                    options.topK(), options.bootstrap()));
        }

        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            index.put(ids.get(i), i);
        }
        VariantComparison.ListingsSummary listings = null;
        String orderedByA = null;
        String orderedByB = null;
        if (!options.listings().isEmpty()) {
            List<VariantComparison.Listing> resolved = new ArrayList<>();
            for (ListingInput l : options.listings()) {
                List<Integer> photos = new ArrayList<>();
                for (String id : l.imageIds()) {
                    if (!seen.containsKey(id)) {
                        throw invalid("listing '" + l.id() + "' names image '" + id + "', which is not among the compared images");
                    }
                    Integer at = index.get(id);
                    if (at != null) {
                        photos.add(at); // a photo that failed under a variant is left out, as everywhere
                    }
                }
                if (!photos.isEmpty()) {
                    resolved.add(new VariantComparison.Listing(l.id(), photos));
                }
            }
            ListingOrdering byA = options.orderA();
            ListingOrdering byB = options.orderB();
            listings = VariantComparison.compareListingOrders(resolved, ids.toArray(String[]::new),
                    l -> byA.order(variantA, l.images().stream().map(okA::get).toList()),
                    l -> byB.order(variantB, l.images().stream().map(okB::get).toList()));
            orderedByA = byA.describe(firstA.isEmpty() ? "" : ref(firstA.getFirst()));
            orderedByB = byB.describe(firstB.isEmpty() ? "" : ref(firstB.getFirst()));
        }

        VariantComparison.Accuracy ratings = null;
        if (!options.ratings().isEmpty()) {
            requireScalar(scores, "ratings");
            List<Integer> rated = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (options.ratings().containsKey(ids.get(i))) {
                    rated.add(i);
                }
            }
            if (rated.size() < 3) {
                throw invalid("only " + rated.size() + " compared image(s) have a rating; ground truth needs at least 3");
            }
            double[] r = new double[rated.size()];
            double[] ra = new double[rated.size()];
            double[] rb = new double[rated.size()];
            for (int j = 0; j < r.length; j++) {
                int i = rated.get(j);
                r[j] = options.ratings().get(ids.get(i));
                ra[j] = columnsA[0][i];
                rb[j] = columnsB[0][i];
            }
            ratings = VariantComparison.ratingAccuracy(r, ra, rb, options.bootstrap());
        }

        VariantComparison.Accuracy labels = null;
        if (!options.labels().isEmpty()) {
            if (okA.getFirst().classes().isEmpty() || okB.getFirst().classes().isEmpty()) {
                throw invalid("labels need a class score (e.g. room_type) under both variants");
            }
            List<String> truth = new ArrayList<>();
            List<String> topA = new ArrayList<>();
            List<String> topB = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String label = options.labels().get(ids.get(i));
                if (label != null) {
                    truth.add(label);
                    topA.add(top1(okA.get(i)));
                    topB.add(top1(okB.get(i)));
                }
            }
            if (truth.size() < 3) {
                throw invalid("only " + truth.size() + " compared image(s) have a label; ground truth needs at least 3");
            }
            labels = VariantComparison.labelAccuracy(truth.toArray(String[]::new), topA.toArray(String[]::new),
                    topB.toArray(String[]::new), options.bootstrap());
        }
        Bootstrap bs = options.bootstrap();
        return new ComparisonReport(variantA, variantB, n, excluded, scores, listings, ratings, labels,
                bs.resamples(), bs.seed(), bs.confidence(), orderedByA, orderedByB);
    }

    private static double[] column(List<ScoredImage> images, int s) {
        double[] v = new double[images.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = images.get(i).scalars().get(s).value();
        }
        return v;
    }

    private static String top1(ScoredImage image) {
        ScoredImage.Classes c = image.classes().getFirst();
        return c.labels().get(c.topK(1)[0]);
    }

    private static String ref(ScoredImage.Scalar s) {
        return s.name() + "@" + s.version();
    }

    private static void requireScalar(List<?> scores, String what) {
        if (scores.isEmpty()) {
            throw invalid(what + " need a scalar score (e.g. quality) under both variants");
        }
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
