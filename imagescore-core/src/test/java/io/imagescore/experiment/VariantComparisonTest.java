package io.imagescore.experiment;

import io.imagescore.score.Engine;
import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.FitKind;
import io.imagescore.fit.FitService;
import io.imagescore.fit.FitSpec;
import io.imagescore.fit.FittedHead;
import io.imagescore.fit.HeadStore;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.LabelledImage;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.View;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Variant comparison against an independent recomputation: every statistic below is recomputed with reference code
 * written here from the definitions (naive O(n²) Kendall τ-b, average-rank Spearman, two-pass Pearson, percentiles by
 * numpy's linear rule, the bootstrap's documented index sequence), not with {@link io.imagescore.eval.Metrics}.
 */
class VariantComparisonTest {
    static final double EPS = 1e-9;

    @Test
    void listing_tau_moves_and_hero_changes_on_hand_made_listings() {
        String[] ids = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"};
        double[] a = {4, 3, 2, 1, 3, 2, 1, 9, 1, 1};
        double[] b = {1, 2, 3, 4, 3, 1, 2, 9, 1, 1};
        List<VariantComparison.Listing> listings = List.of(
                new VariantComparison.Listing("reversed", List.of(0, 1, 2, 3)),   // B reverses A: 6 moves, τ −1, hero p0 → p3
                new VariantComparison.Listing("one_swap", List.of(4, 5, 6)),      // A p4 p5 p6, B p4 p6 p5: 1 move of 3 pairs
                new VariantComparison.Listing("single", List.of(7)),              // nothing to order
                new VariantComparison.Listing("tied", List.of(8, 9)));            // ties keep the listing's order under both
        VariantComparison.ListingsSummary s = VariantComparison.compareListings(listings, ids, a, b);

        assertThat(s.perListing()).extracting(VariantComparison.ListingComparison::moves).containsExactly(6L, 1L, 0L, 0L);
        assertThat(s.perListing().get(0).kendallTau()).isCloseTo(-1.0, within(EPS));
        assertThat(s.perListing().get(1).kendallTau()).isCloseTo(1.0 / 3, within(EPS));
        assertThat(s.perListing().get(2).kendallTau()).isNaN();
        assertThat(s.perListing().get(3).kendallTau()).isCloseTo(1.0, within(EPS));
        assertThat(s.perListing()).extracting(VariantComparison.ListingComparison::heroChanged).containsExactly(true, false, false, false);
        assertThat(s.perListing().get(0).heroA()).isEqualTo("p0");
        assertThat(s.perListing().get(0).heroB()).isEqualTo("p3");
        assertThat(s.heroChanges()).isEqualTo(1);
        assertThat(s.heroChangeShare()).isCloseTo(0.25, within(EPS));
        assertThat(s.meanKendallTau()).isCloseTo((-1 + 1.0 / 3 + 1) / 3, within(EPS));
        assertThat(s.totalMoves()).isEqualTo(7);
    }

    @Test
    void top_k_overlap_and_rank_displacement_on_a_hand_made_set() {
        double[] a = {10, 9, 8, 7, 6, 5};
        double[] b = {5, 9, 8, 7, 6, 10};   // the first and the last image swap places (5 places each)
        VariantComparison.ScoreComparison c = VariantComparison.compareScore("s@1", "s@2", a, b, 3, new Bootstrap(10, 1, 0.9));
        assertThat(c.topKOverlap()).isCloseTo(2.0 / 3, within(EPS));
        assertThat(c.rankDisplacement()).extracting(VariantComparison.Bin::count).containsExactly(4, 0, 0, 2, 0, 0, 0, 0);
        assertThat(c.meanShift()).isCloseTo(0, within(EPS));
        assertThat(c.meanAbsShift()).isCloseTo(10.0 / 6, within(EPS));
    }

    /**
     * A = the pack's built-in quality head, B = a quality head refitted on the first 80 CLIVE ratings; compared on the
     * next 120 CLIVE photos in 24 listings of 5, with their ratings as ground truth.
     */
    @Test
    void quality_against_a_head_refitted_on_a_clive_subset_equals_an_independent_recomputation(@TempDir Path tmp) throws IOException {
        List<String[]> rows = Files.readAllLines(Shared.path("data/clive/mos.csv")).stream().skip(1)
                .map(l -> l.split(",")).limit(200).toList();
        try (Engine engine = new Engine(Path.of("packs/mobilenetv2-default"), Shared.dir(), 2)) {
            ModelPack pack = engine.pack();
            FitService fit = new FitService(engine.pipeline(), new EmbeddingCache(10_000, null));
            List<LabelledImage> train = new ArrayList<>();
            for (String[] r : rows.subList(0, 80)) {
                train.add(LabelledImage.rated(ImageRef.ofBytes(r[0], Shared.bytes("data/clive/images/" + r[0])), Double.parseDouble(r[1])));
            }
            FittedHead head = fit.fit(pack, FitSpec.of("quality_sub", FitKind.REGRESSION, List.of(View.CENTER)).withFolds(4),
                    train, List.of(), null, null);
            HeadVersion hv = new PackLoader(Shared.dir()).loadHead(pack, "quality_sub", HeadStore.write(tmp, head, "1"));
            ModelPack withHead = pack.withHeadVersion("quality_sub", hv, PackLoader.extendedHash(pack.contentHash(), "quality_sub", hv));

            List<String[]> eval = rows.subList(80, 200);
            List<ImageInput> images = eval.stream().map(r -> new ImageInput(r[0], Shared.bytes("data/clive/images/" + r[0]))).toList();
            ScoringPipeline p = engine.pipeline();
            List<Outcome<ScoredImage>> outA = p.score(withHead, images, ScoringPipeline.select(withHead, List.of("quality")), false, PreprocessMode.EXACT, null);
            List<Outcome<ScoredImage>> outB = p.score(withHead, images, ScoringPipeline.select(withHead, List.of("quality_sub@1")), false, PreprocessMode.EXACT, null);

            Map<String, Double> ratings = new HashMap<>();
            eval.forEach(r -> ratings.put(r[0], Double.parseDouble(r[1])));
            List<ComparisonReport.ListingInput> listings = new ArrayList<>();
            for (int l = 0; l < 24; l++) {
                listings.add(new ComparisonReport.ListingInput("L" + l, eval.subList(5 * l, 5 * l + 5).stream().map(r -> r[0]).toList()));
            }
            Bootstrap bs = new Bootstrap(200, 42, 0.95);
            ComparisonReport report = ComparisonReport.build("A", "B", outA, outB,
                    new ComparisonReport.Options(10, bs, listings, ratings, Map.of()));

            double[] a = outA.stream().mapToDouble(o -> o.value().scalars().getFirst().value()).toArray();
            double[] b = outB.stream().mapToDouble(o -> o.value().scalars().getFirst().value()).toArray();
            double[] r = eval.stream().mapToDouble(x -> Double.parseDouble(x[1])).toArray();
            int n = a.length;
            assertThat(report.images()).isEqualTo(120);
            assertThat(report.excluded()).isEmpty();

            VariantComparison.ScoreComparison c = report.scores().getFirst();
            assertThat(c.scoreA()).isEqualTo("quality@" + pack.heads().get("quality").lastKey());
            assertThat(c.scoreB()).isEqualTo("quality_sub@1");
            assertInterval(c.srcc(), 200, 42, 0.95, n, idx -> Ref.spearman(pick(a, idx), pick(b, idx)));
            assertInterval(c.krcc(), 200, 42, 0.95, n, idx -> Ref.kendallTauB(pick(a, idx), pick(b, idx)));
            assertInterval(c.plcc(), 200, 42, 0.95, n, idx -> Ref.pearson(pick(a, idx), pick(b, idx)));
            // the refit is a different head, but of the same quality: clearly related, not identical
            assertThat(c.srcc().estimate()).isBetween(0.3, 0.999);
            assertThat(c.meanA()).isCloseTo(Arrays.stream(a).sum() / n, within(EPS));
            assertThat(c.meanB()).isCloseTo(Arrays.stream(b).sum() / n, within(EPS));
            double shift = 0;
            double abs = 0;
            for (int i = 0; i < n; i++) {
                shift += b[i] - a[i];
                abs += Math.abs(b[i] - a[i]);
            }
            assertThat(c.meanShift()).isCloseTo(shift / n, within(EPS));
            assertThat(c.meanAbsShift()).isCloseTo(abs / n, within(EPS));

            int[] orderA = Ref.order(a);
            int[] orderB = Ref.order(b);
            long common = Arrays.stream(orderB, 0, 10).filter(i -> Arrays.stream(orderA, 0, 10).anyMatch(j -> j == i)).count();
            assertThat(c.topKOverlap()).isCloseTo(common / 10.0, within(EPS));
            int[] hist = new int[8];
            int[] rankA = Ref.inverse(orderA);
            int[] rankB = Ref.inverse(orderB);
            for (int i = 0; i < n; i++) {
                int d = Math.abs(rankA[i] - rankB[i]);
                hist[d == 0 ? 0 : d == 1 ? 1 : d < 5 ? 2 : d < 10 ? 3 : d < 20 ? 4 : d < 50 ? 5 : d < 100 ? 6 : 7]++;
            }
            assertThat(c.rankDisplacement()).extracting(VariantComparison.Bin::count).containsExactly(Arrays.stream(hist).boxed().toArray(Integer[]::new));

            // listings: order each listing by hand, count discordant pairs, τ-a = 1 − 2·moves/pairs for strict orders
            int heroChanges = 0;
            double tauSum = 0;
            long movesSum = 0;
            for (int l = 0; l < 24; l++) {
                double[] la = Arrays.copyOfRange(a, 5 * l, 5 * l + 5);
                double[] lb = Arrays.copyOfRange(b, 5 * l, 5 * l + 5);
                int[] pa = Ref.inverse(Ref.order(la));
                int[] pb = Ref.inverse(Ref.order(lb));
                long moves = 0;
                for (int i = 0; i < 5; i++) {
                    for (int j = i + 1; j < 5; j++) {
                        moves += (pa[i] < pa[j]) != (pb[i] < pb[j]) ? 1 : 0;
                    }
                }
                double tau = 1 - 2.0 * moves / 10;
                VariantComparison.ListingComparison lc = report.listings().perListing().get(l);
                assertThat(lc.moves()).isEqualTo(moves);
                assertThat(lc.kendallTau()).isCloseTo(tau, within(EPS));
                boolean changed = Ref.order(la)[0] != Ref.order(lb)[0];
                assertThat(lc.heroChanged()).isEqualTo(changed);
                heroChanges += changed ? 1 : 0;
                tauSum += tau;
                movesSum += moves;
            }
            assertThat(report.listings().heroChangeShare()).isCloseTo(heroChanges / 24.0, within(EPS));
            assertThat(report.listings().meanKendallTau()).isCloseTo(tauSum / 24, within(EPS));
            assertThat(report.listings().totalMoves()).isEqualTo(movesSum);

            VariantComparison.Accuracy acc = report.ratings();
            assertThat(acc.a()).isCloseTo(Ref.spearman(r, a), within(EPS));
            assertThat(acc.b()).isCloseTo(Ref.spearman(r, b), within(EPS));
            assertInterval(acc.difference(), 200, 42, 0.95, n,
                    idx -> Ref.spearman(pick(r, idx), pick(b, idx)) - Ref.spearman(pick(r, idx), pick(a, idx)));
            System.out.printf("quality vs quality_sub on 120 CLIVE photos: SRCC %.4f [%.4f, %.4f], ratings SRCC A %.4f B %.4f, "
                            + "hero changes %.3f%n", c.srcc().estimate(), c.srcc().low(), c.srcc().high(), acc.a(), acc.b(),
                    report.listings().heroChangeShare());
        }
    }

    /**
     * Labels on the shared data: A = the pack's built-in room_type, B = a room-type head refitted on 8 training photos
     * per class; compared on 5 evaluation photos per class of data/rooms with the folder names as labels. Top-1
     * accuracy of each and the paired bootstrap interval of B − A equal a recomputation from the raw probabilities.
     */
    @Test
    void room_type_against_a_head_refitted_on_a_subset_of_rooms_equals_an_independent_recomputation(@TempDir Path tmp) throws IOException {
        List<String> rooms;
        try (var s = Files.list(Shared.path("data/rooms/eval"))) {
            rooms = s.map(d -> d.getFileName().toString()).sorted().toList();
        }
        try (Engine engine = new Engine(Path.of("packs/mobilenetv2-default"), Shared.dir(), 2)) {
            ModelPack pack = engine.pack();
            List<LabelledImage> train = new ArrayList<>();
            List<ImageInput> images = new ArrayList<>();
            Map<String, String> labels = new HashMap<>();
            for (String room : rooms) {
                for (Path f : firstFiles(Shared.path("data/rooms/train/" + room), 8)) {
                    train.add(LabelledImage.classified(ImageRef.ofBytes(room + "/" + f.getFileName(), Files.readAllBytes(f)), room));
                }
                for (Path f : firstFiles(Shared.path("data/rooms/eval/" + room), 5)) {
                    String id = room + "/" + f.getFileName();
                    images.add(new ImageInput(id, Files.readAllBytes(f)));
                    labels.put(id, room);
                }
            }
            FitService fit = new FitService(engine.pipeline(), new EmbeddingCache(10_000, null));
            FittedHead head = fit.fit(pack, FitSpec.of("room_sub", FitKind.CLASSES, List.of(View.CENTER)).withFolds(3),
                    train, List.of(), null, null);
            HeadVersion hv = new PackLoader(Shared.dir()).loadHead(pack, "room_sub", HeadStore.write(tmp, head, "1"));
            ModelPack withHead = pack.withHeadVersion("room_sub", hv, PackLoader.extendedHash(pack.contentHash(), "room_sub", hv));
            ScoringPipeline p = engine.pipeline();
            List<Outcome<ScoredImage>> outA = p.score(withHead, images, ScoringPipeline.select(withHead, List.of("room_type")), false, PreprocessMode.EXACT, null);
            List<Outcome<ScoredImage>> outB = p.score(withHead, images, ScoringPipeline.select(withHead, List.of("room_sub@1")), false, PreprocessMode.EXACT, null);
            ComparisonReport report = ComparisonReport.build("A", "B", outA, outB,
                    new ComparisonReport.Options(10, new Bootstrap(300, 11, 0.9), List.of(), Map.of(), labels));

            int n = images.size();
            double[] hitA = new double[n];
            double[] hitB = new double[n];
            for (int i = 0; i < n; i++) {
                String truth = labels.get(images.get(i).id());
                hitA[i] = Ref.argmaxLabel(outA.get(i).value().classes().getFirst()).equals(truth) ? 1 : 0;
                hitB[i] = Ref.argmaxLabel(outB.get(i).value().classes().getFirst()).equals(truth) ? 1 : 0;
            }
            VariantComparison.Accuracy acc = report.labels();
            assertThat(report.images()).isEqualTo(30);
            assertThat(acc.metric()).isEqualTo("top1_accuracy");
            assertThat(acc.images()).isEqualTo(30);
            assertThat(acc.a()).isCloseTo(Ref.mean(hitA), within(EPS));
            assertThat(acc.b()).isCloseTo(Ref.mean(hitB), within(EPS));
            assertThat(acc.a()).as("the built-in head on its own domain").isGreaterThan(0.5);
            assertInterval(acc.difference(), 300, 11, 0.9, n, idx -> Ref.mean(pick(hitB, idx)) - Ref.mean(pick(hitA, idx)));
            System.out.printf("room_type vs room_sub on 30 room photos: top-1 accuracy A %.4f B %.4f, B − A %.4f [%.4f, %.4f]%n",
                    acc.a(), acc.b(), acc.difference().estimate(), acc.difference().low(), acc.difference().high());
        }
    }

    static List<Path> firstFiles(Path dir, int n) throws IOException {
        try (var s = Files.list(dir)) {
            return s.sorted().limit(n).toList();
        }
    }

    @Test
    void label_accuracy_and_its_paired_difference_equal_a_recomputation() {
        String[] labels = new String[40];
        String[] topA = new String[40];
        String[] topB = new String[40];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 40; i++) {
            labels[i] = "c" + rnd.nextInt(3);
            topA[i] = rnd.nextInt(10) < 6 ? labels[i] : "c" + rnd.nextInt(3);
            topB[i] = rnd.nextInt(10) < 8 ? labels[i] : "c" + rnd.nextInt(3);
        }
        VariantComparison.Accuracy acc = VariantComparison.labelAccuracy(labels, topA, topB, new Bootstrap(300, 3, 0.9));
        double[] hitA = new double[40];
        double[] hitB = new double[40];
        for (int i = 0; i < 40; i++) {
            hitA[i] = labels[i].equals(topA[i]) ? 1 : 0;
            hitB[i] = labels[i].equals(topB[i]) ? 1 : 0;
        }
        assertThat(acc.a()).isCloseTo(Arrays.stream(hitA).average().orElseThrow(), within(EPS));
        assertThat(acc.b()).isCloseTo(Arrays.stream(hitB).average().orElseThrow(), within(EPS));
        assertInterval(acc.difference(), 300, 3, 0.9, 40,
                idx -> Arrays.stream(pick(hitB, idx)).average().orElseThrow() - Arrays.stream(pick(hitA, idx)).average().orElseThrow());
    }

    static void assertInterval(Bootstrap.Interval got, int resamples, long seed, double confidence, int n, Function<int[], Double> stat) {
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        assertThat(got.estimate()).isCloseTo(stat.apply(all), within(EPS));
        SplittableRandom rng = new SplittableRandom(seed);
        List<Double> values = new ArrayList<>();
        for (int r = 0; r < resamples; r++) {
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) {
                idx[i] = rng.nextInt(n);
            }
            double v = stat.apply(idx);
            if (!Double.isNaN(v) && !Double.isInfinite(v)) {
                values.add(v);
            }
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        assertThat(got.resamples()).isEqualTo(sorted.length);
        assertThat(got.low()).isCloseTo(Ref.percentile(sorted, (1 - confidence) / 2), within(EPS));
        assertThat(got.high()).isCloseTo(Ref.percentile(sorted, 1 - (1 - confidence) / 2), within(EPS));
        assertThat(got.low()).isLessThanOrEqualTo(got.high());
    }

    static double[] pick(double[] v, int[] idx) {
        return Arrays.stream(idx).mapToDouble(i -> v[i]).toArray();
    }

    /** Reference statistics written from their definitions. */
    static final class Ref {
        static double mean(double[] x) {
            double s = 0;
            for (double v : x) {
                s += v;
            }
            return s / x.length;
        }

        static double pearson(double[] x, double[] y) {
            double mx = mean(x);
            double my = mean(y);
            double sxy = 0;
            double sxx = 0;
            double syy = 0;
            for (int i = 0; i < x.length; i++) {
                sxy += (x[i] - mx) * (y[i] - my);
                sxx += (x[i] - mx) * (x[i] - mx);
                syy += (y[i] - my) * (y[i] - my);
            }
            return sxy / Math.sqrt(sxx * syy);
        }

        /** 1-based ranks, ties get the mean of the ranks they span. */
        static double[] averageRanks(double[] x) {
            double[] r = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int less = 0;
                int equal = 0;
                for (double v : x) {
                    less += v < x[i] ? 1 : 0;
                    equal += v == x[i] ? 1 : 0;
                }
                r[i] = less + (equal + 1) / 2.0;
            }
            return r;
        }

        static double spearman(double[] x, double[] y) {
            return pearson(averageRanks(x), averageRanks(y));
        }

        static double kendallTauB(double[] x, double[] y) {
            long concordant = 0;
            long discordant = 0;
            long tiedX = 0;
            long tiedY = 0;
            long pairs = 0;
            for (int i = 0; i < x.length; i++) {
                for (int j = i + 1; j < x.length; j++) {
                    pairs++;
                    double dx = x[i] - x[j];
                    double dy = y[i] - y[j];
                    if (dx == 0) {
                        tiedX++;
                    }
                    if (dy == 0) {
                        tiedY++;
                    }
                    if (dx != 0 && dy != 0) {
                        if ((dx > 0) == (dy > 0)) {
                            concordant++;
                        } else {
                            discordant++;
                        }
                    }
                }
            }
            return (concordant - discordant) / Math.sqrt((double) (pairs - tiedX) * (pairs - tiedY));
        }

        /** numpy.percentile(sorted, 100·q) with the default linear method. */
        static double percentile(double[] sorted, double q) {
            double h = (sorted.length - 1) * q;
            int f = (int) h;
            return f + 1 < sorted.length ? sorted[f] + (h - f) * (sorted[f + 1] - sorted[f]) : sorted[f];
        }

        /** Indices, highest value first, ties by index (a stable sort). */
        static int[] order(double[] v) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < v.length; i++) {
                idx.add(i);
            }
            idx.sort((p, q) -> Double.compare(v[q], v[p])); // List.sort is stable
            return idx.stream().mapToInt(Integer::intValue).toArray();
        }

        /** The label of the highest probability (the first of equal ones), by a plain scan. */
        static String argmaxLabel(ScoredImage.Classes c) {
            int best = 0;
            for (int i = 1; i < c.probabilities().length; i++) {
                if (c.probabilities()[i] > c.probabilities()[best]) {
                    best = i;
                }
            }
            return c.labels().get(best);
        }

        static int[] inverse(int[] order) {
            int[] r = new int[order.length];
            for (int p = 0; p < order.length; p++) {
                r[order[p]] = p;
            }
            return r;
        }
    }
}
