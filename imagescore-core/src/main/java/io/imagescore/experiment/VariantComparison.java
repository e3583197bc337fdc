package io.imagescore.experiment;

import io.imagescore.eval.Metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How much variant B changes what users see compared with variant A, on the same images. Pure arithmetic over the
 * two variants' values; the correlations are {@link Metrics}' (Spearman with average ranks, Kendall τ-b, Pearson).
 *
 * <p>Orders: an image set or a listing is ordered by score, highest first, ties by the images' input order — the
 * same deterministic rule for both variants, so a tie never counts as a change.
 */
public final class VariantComparison {
    /** Lower edges of the rank-displacement bins: 0, 1, 2–4, 5–9, 10–19, 20–49, 50–99, ≥ 100 places. */
    static final int[] DISPLACEMENT_EDGES = {0, 1, 2, 5, 10, 20, 50, 100};

    private VariantComparison() {
    }

    /** {@code count} images moved between {@code from} and {@code to} places (inclusive; to = -1: no upper end). */
    public record Bin(int from, int to, int count) {
    }

    /**
     * One scalar score under both variants: {@code scoreA} (e.g. "quality@1") under A against {@code scoreB} under B.
     *
     * @param meanShift    mean of (B − A)
     * @param meanAbsShift mean of |B − A|
     * @param topKOverlap  |top-k(A) ∩ top-k(B)| / k, k capped at the image count
     */
    public record ScoreComparison(String scoreA, String scoreB, int images, Bootstrap.Interval srcc, Bootstrap.Interval krcc,
                                  Bootstrap.Interval plcc, double meanA, double meanB, double meanShift,
                                  double meanAbsShift, int topK, double topKOverlap, List<Bin> rankDisplacement) {
    }

    /** A listing: its id and its photos as indices into the compared images, in the listing's own order. */
    public record Listing(String id, List<Integer> images) {
    }

    /**
     * One listing's order under A and under B.
     *
     * @param kendallTau τ between the two orders (NaN for fewer than 2 photos)
     * @param moves      adjacent swaps that turn A's order into B's (pairs the two orders disagree on)
     */
    public record ListingComparison(String listing, int photos, double kendallTau, long moves, boolean heroChanged,
                                    String heroA, String heroB) {
    }

    /** @param meanKendallTau over listings with at least 2 photos (NaN when none) */
    public record ListingsSummary(int listings, int heroChanges, double heroChangeShare, double meanKendallTau,
                                  long totalMoves, List<ListingComparison> perListing) {
    }

    /**
     * Each variant against ground truth and the paired difference B − A.
     *
     * @param metric "srcc" (to ratings) or "top1_accuracy" (to labels)
     */
    public record Accuracy(String metric, int images, double a, double b, Bootstrap.Interval difference) {
    }

    public static ScoreComparison compareScore(String scoreA, String scoreB, double[] a, double[] b, int topK, Bootstrap bootstrap) {
        requirePaired(a, b);
        int n = a.length;
        Bootstrap.Interval srcc = bootstrap.interval(n, idx -> Metrics.srcc(Bootstrap.pick(a, idx), Bootstrap.pick(b, idx)));
        Bootstrap.Interval krcc = bootstrap.interval(n, idx -> Metrics.kendallTauB(Bootstrap.pick(a, idx), Bootstrap.pick(b, idx)));
        Bootstrap.Interval plcc = bootstrap.interval(n, idx -> Metrics.plcc(Bootstrap.pick(a, idx), Bootstrap.pick(b, idx)));
        double sumA = 0;
        double sumB = 0;
        double shift = 0;
        double abs = 0;
        for (int i = 0; i < n; i++) {
            sumA += a[i];
            sumB += b[i];
            shift += b[i] - a[i];
            abs += Math.abs(b[i] - a[i]);
        }
        int[] orderA = order(a);
        int[] orderB = order(b);
        int k = Math.min(topK, n);
        Set<Integer> topA = new HashSet<>();
        for (int p = 0; p < k; p++) {
            topA.add(orderA[p]);
        }
        int common = 0;
        for (int p = 0; p < k; p++) {
            common += topA.contains(orderB[p]) ? 1 : 0;
        }
        int[] rankA = ranks(orderA);
        int[] rankB = ranks(orderB);
        int[] counts = new int[DISPLACEMENT_EDGES.length];
        for (int i = 0; i < n; i++) {
            counts[bin(Math.abs(rankA[i] - rankB[i]))]++;
        }
        List<Bin> bins = new ArrayList<>();
        for (int e = 0; e < DISPLACEMENT_EDGES.length; e++) {
            int to = e + 1 < DISPLACEMENT_EDGES.length ? DISPLACEMENT_EDGES[e + 1] - 1 : -1;
            bins.add(new Bin(DISPLACEMENT_EDGES[e], to, counts[e]));
        }
        return new ScoreComparison(scoreA, scoreB, n, srcc, krcc, plcc, sumA / n, sumB / n, shift / n, abs / n, k,
                k == 0 ? Double.NaN : (double) common / k, bins);
    }

    /**
     * Listings ordered by A's and by B's values of one score.
     *
     * @param ids the compared images' ids (for the hero photo of each order)
     */
    public static ListingsSummary compareListings(List<Listing> listings, String[] ids, double[] a, double[] b) {
        requirePaired(a, b);
        return compareListingOrders(listings, ids, l -> order(values(l, a)), l -> order(values(l, b)));
    }

    /** A listing's order under one variant: positions into {@link Listing#images()}, best (the hero) first. */
    @FunctionalInterface
    public interface ListingOrder {
        int[] of(Listing listing);
    }

    /**
     * Listings ordered by A's and by B's orders (by a score, or by a regulation as Sort applies it): per listing Kendall
     * τ between the two orders, the moves (discordant pairs) and whether the hero changes.
     *
     * @param ids the compared images' ids (for the hero photo of each order)
     */
    public static ListingsSummary compareListingOrders(List<Listing> listings, String[] ids, ListingOrder a, ListingOrder b) {
        List<ListingComparison> out = new ArrayList<>();
        int heroChanges = 0;
        long totalMoves = 0;
        double tauSum = 0;
        int tauCount = 0;
        for (Listing l : listings) {
            int m = l.images().size();
            if (m == 0) {
                throw new IllegalArgumentException("listing '" + l.id() + "' has no photos");
            }
            int[] orderA = a.of(l);
            int[] orderB = b.of(l);
            if (orderA.length != m || orderB.length != m) {
                throw new IllegalArgumentException("listing '" + l.id() + "': an order must place each of its " + m + " photos once");
            }
            int[] posA = ranks(orderA);
            int[] posB = ranks(orderB);
            long moves = 0;
            for (int i = 0; i < m; i++) {
                for (int j = i + 1; j < m; j++) {
                    if (Integer.signum(posA[i] - posA[j]) != Integer.signum(posB[i] - posB[j])) {
                        moves++;
                    }
                }
            }
            double tau = Double.NaN;
            if (m >= 2) {
                tau = Metrics.kendallTauB(toDouble(posA), toDouble(posB));
                tauSum += tau;
                tauCount++;
            }
            String heroA = ids[l.images().get(orderA[0])];
            String heroB = ids[l.images().get(orderB[0])];
            boolean changed = orderA[0] != orderB[0];
            heroChanges += changed ? 1 : 0;
            totalMoves += moves;
            out.add(new ListingComparison(l.id(), m, tau, moves, changed, heroA, heroB));
        }
        return new ListingsSummary(listings.size(), heroChanges,
                listings.isEmpty() ? Double.NaN : (double) heroChanges / listings.size(),
                tauCount == 0 ? Double.NaN : tauSum / tauCount, totalMoves, out);
    }

    private static double[] values(Listing l, double[] v) {
        double[] out = new double[l.images().size()];
        for (int j = 0; j < out.length; j++) {
            out[j] = v[l.images().get(j)];
        }
        return out;
    }

    /** SRCC of each variant to people's ratings and the paired bootstrap interval of SRCC(B) − SRCC(A). */
    public static Accuracy ratingAccuracy(double[] ratings, double[] a, double[] b, Bootstrap bootstrap) {
        requirePaired(a, b);
        requirePaired(ratings, a);
        double sa = Metrics.srcc(ratings, a);
        double sb = Metrics.srcc(ratings, b);
        Bootstrap.Interval diff = bootstrap.interval(a.length, idx -> {
            double[] r = Bootstrap.pick(ratings, idx);
            return Metrics.srcc(r, Bootstrap.pick(b, idx)) - Metrics.srcc(r, Bootstrap.pick(a, idx));
        });
        return new Accuracy("srcc", a.length, sa, sb, diff);
    }

    /** Share of images whose most probable class is the label, per variant, and the paired interval of B − A. */
    public static Accuracy labelAccuracy(String[] labels, String[] topA, String[] topB, Bootstrap bootstrap) {
        if (labels.length != topA.length || labels.length != topB.length || labels.length == 0) {
            throw new IllegalArgumentException("labels and predictions must be non-empty and of equal length");
        }
        double[] hitA = new double[labels.length];
        double[] hitB = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            hitA[i] = labels[i].equals(topA[i]) ? 1 : 0;
            hitB[i] = labels[i].equals(topB[i]) ? 1 : 0;
        }
        Bootstrap.Interval diff = bootstrap.interval(labels.length,
                idx -> mean(Bootstrap.pick(hitB, idx)) - mean(Bootstrap.pick(hitA, idx)));
        return new Accuracy("top1_accuracy", labels.length, mean(hitA), mean(hitB), diff);
    }

    /** Indices by value, highest first, ties by index. */
    static int[] order(double[] v) {
        Integer[] idx = new Integer[v.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (x, y) -> v[x] != v[y] ? Double.compare(v[y], v[x]) : Integer.compare(x, y));
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    /** rank[i] = the position of item i in {@code order}. */
    private static int[] ranks(int[] order) {
        int[] rank = new int[order.length];
        for (int p = 0; p < order.length; p++) {
            rank[order[p]] = p;
        }
        return rank;
    }

    private static int bin(int displacement) {
        int e = DISPLACEMENT_EDGES.length - 1;
        while (DISPLACEMENT_EDGES[e] > displacement) {
            e--;
        }
        return e;
    }

    private static double[] toDouble(int[] v) {
        return Arrays.stream(v).asDoubleStream().toArray();
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static void requirePaired(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("the variants have " + a.length + " and " + b.length + " values");
        }
        if (a.length < 2) {
            throw new IllegalArgumentException("need at least 2 images to compare, got " + a.length);
        }
    }
}
