package io.imagescore.bench;

import io.imagescore.eval.Metrics;
import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.FitService;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.RidgeRegression;
import io.imagescore.pack.HeadVersion;
import io.imagescore.image.PreprocessMode;
import io.imagescore.rating.ActivePairs;
import io.imagescore.rating.Pair;
import io.imagescore.rating.PairJudgement;
import io.imagescore.rating.PairOutcome;
import io.imagescore.score.Engine;
import io.imagescore.score.ScoringPipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Simulated pairwise raters on the shared CLIVE MOS: how many comparisons random pairs and {@link ActivePairs}
 * need before the posterior means order the photos with Kendall τ ≥ 0.9 to the MOS order. Run by bench/rater-sim.sh.
 *
 * <p>Usage: {@code RaterSim prior SHARED PACK_DIR OUT.csv} writes the prior (out-of-fold scores of the quality_fast
 * recipe, see {@link #prior}); {@code RaterSim run SHARED PRIOR.csv ITEMS SEEDS} prints the table.
 */
public final class RaterSim {
    /** Kendall τ-b to the MOS order that counts as "ordered". */
    static final double TARGET_TAU = 0.9;
    /** The subset of CLIVE photos is drawn with this seed (the same subset for every method and rater seed). */
    static final long SUBSET_SEED = 2026;
    /** "Can't tell" margin of the simulated raters (Rao–Kupper ε): P(tie | equal photos) = 2σ(ε) − 1 ≈ 0.2. */
    static final double RATER_TIE_MARGIN = 0.4;

    private RaterSim() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prior" -> prior(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
            case "run" -> run(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Arrays.stream(args[5].split(",")).mapToDouble(Double::parseDouble).toArray());
            default -> throw new IllegalArgumentException("usage: RaterSim prior SHARED PACK OUT.csv | run SHARED PRIOR.csv ITEMS SEEDS SCALES");
        }
    }

    /**
     * A head's scores for every CLIVE photo that the head has not seen: the quality_fast recipe (ridge on the
     * pack's centre-view features, λ by inner CV) fitted in 5 folds, each photo scored by the fold that left it out.
     * The shipped quality_fast head was fitted on all 627 photos, so its own scores would be an optimistic prior.
     */
    static void prior(Path shared, Path pack, Path out) throws IOException {
        Map<String, Double> mos = readColumn(shared.resolve("data/clive/mos.csv"), "mos");
        List<String> names = new ArrayList<>(mos.keySet());
        try (Engine engine = new Engine(pack, shared, 2)) {
            HeadVersion hv = ScoringPipeline.select(engine.pack(), List.of("quality_fast")).getFirst().head();
            List<ImageRef> refs = new ArrayList<>();
            for (String name : names) {
                refs.add(ImageRef.ofBytes(name, Files.readAllBytes(shared.resolve("data/clive/images").resolve(name))));
            }
            FitService service = new FitService(engine.pipeline(), new EmbeddingCache(10_000, null));
            double[][] x = service.embed(engine.pack(), refs, hv.spec().views(), hv.input(), PreprocessMode.EXACT, n -> { }).x();
            double[] y = names.stream().mapToDouble(mos::get).toArray();
            double[] oof = RidgeRegression.nestedCvPredictions(x, y, 5, 0);
            StringBuilder csv = new StringBuilder("image,quality_fast_oof\n");
            for (int i = 0; i < names.size(); i++) {
                csv.append(names.get(i)).append(',').append(String.format(Locale.ROOT, "%.4f", oof[i])).append('\n');
            }
            Files.writeString(out, csv);
            System.out.printf(Locale.ROOT, "wrote %s: %d photos, SRCC to MOS %.3f, Kendall τ %.3f%n", out, names.size(),
                    Metrics.srcc(y, oof), Metrics.kendallTauB(y, oof));
        }
    }

    enum Method {
        RANDOM_FLAT("random pairs", "flat", false, false),
        RANDOM_SEEDED("random pairs", "quality_fast (out-of-fold)", false, true),
        ACTIVE_FLAT("active (BALD + coverage)", "flat", true, false),
        ACTIVE_SEEDED("active (BALD + coverage)", "quality_fast (out-of-fold)", true, true);

        final String selection;
        final String prior;
        final boolean active;
        final boolean seeded;

        Method(String selection, String prior, boolean active, boolean seeded) {
            this.selection = selection;
            this.prior = prior;
            this.active = active;
            this.seeded = seeded;
        }
    }

    static void run(Path shared, Path priorCsv, int items, int seeds, double[] scales) throws IOException {
        Map<String, Double> mosAll = readColumn(shared.resolve("data/clive/mos.csv"), "mos");
        Map<String, Double> sdAll = readColumn(shared.resolve("data/clive/mos.csv"), "mos_std");
        Map<String, Double> priorAll = readColumn(priorCsv, "quality_fast_oof");
        List<String> names = new ArrayList<>(mosAll.keySet());
        shuffle(names, new SplittableRandom(SUBSET_SEED));
        List<String> subset = names.subList(0, Math.min(items, names.size()));
        int n = subset.size();
        double[] mos = subset.stream().mapToDouble(mosAll::get).toArray();
        double[] prior = subset.stream().mapToDouble(priorAll::get).toArray();
        // The noisiest rater: a preference as the comparison of two single ratings N(MOS, sd²) (Thurstone), written
        // as the equivalent logistic (Bradley–Terry) scale T = mean sd · √2 / 1.702; 0 in SCALES stands for it.
        double thurstone = mosAll.keySet().stream().mapToDouble(sdAll::get).average().orElseThrow() * Math.sqrt(2) / 1.702;
        double mean = Arrays.stream(mos).average().orElseThrow();
        int cap = 200 * n;
        int check = Math.max(1, n / 10);
        System.out.printf(Locale.ROOT, "CLIVE: %d of %d photos (subset seed %d), %d rater seeds; rater: P(A) = σ((MOS_A − MOS_B)/T − ε),"
                        + " P(B) = σ((MOS_B − MOS_A)/T − ε), else \"can't tell\" (ε = %.1f: %.0f %% for equal photos);"
                        + " prior Kendall τ to MOS %.3f; τ checked every %d comparisons, cap %d%n%n", n, mosAll.size(),
                SUBSET_SEED, seeds, RATER_TIE_MARGIN, 100 * (2 / (1 + Math.exp(-RATER_TIE_MARGIN)) - 1),
                Metrics.kendallTauB(mos, prior), check, cap);
        System.out.println("| rater noise T (MOS points) | selection | prior | comparisons to τ ≥ 0.9, mean ± sd | min–max"
                + " | per photo | random (flat) / this | ms per comparison |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (double given : scales) {
            double scale = given > 0 ? given : thurstone;
            double[] strength = new double[n];
            for (int i = 0; i < n; i++) {
                strength[i] = (mos[i] - mean) / scale;
            }
            Map<Method, int[]> results = new LinkedHashMap<>();
            Map<Method, Double> millis = new LinkedHashMap<>();
            for (Method m : Method.values()) {
                int[] counts = new int[seeds];
                long t0 = System.nanoTime();
                for (int s = 0; s < seeds; s++) {
                    counts[s] = comparisonsToTarget(m, strength, mos, prior, s, cap, check);
                }
                millis.put(m, (System.nanoTime() - t0) / 1e6 / Arrays.stream(counts).sum());
                results.put(m, counts);
            }
            double baseline = Arrays.stream(results.get(Method.RANDOM_FLAT)).average().orElseThrow();
            for (Map.Entry<Method, int[]> e : results.entrySet()) {
                int[] c = e.getValue();
                double avg = Arrays.stream(c).average().orElseThrow();
                double sd = Math.sqrt(Arrays.stream(c).mapToDouble(v -> (v - avg) * (v - avg)).sum() / Math.max(1, c.length - 1));
                boolean capped = Arrays.stream(c).anyMatch(v -> v >= cap);
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s%.0f ± %.0f | %d–%d | %.1f | %.1f× | %.2f |%n",
                        given > 0 ? String.format(Locale.ROOT, "%.0f", scale) : String.format(Locale.ROOT, "%.1f (single-rating sd)", scale),
                        e.getKey().selection, e.getKey().prior, capped ? "≥ " : "", avg, sd, Arrays.stream(c).min().orElseThrow(),
                        Arrays.stream(c).max().orElseThrow(), avg / n, baseline / avg, millis.get(e.getKey()));
            }
        }
    }

    /** Comparisons until Kendall τ(posterior means, MOS) ≥ 0.9 at a check, or {@code cap}. */
    static int comparisonsToTarget(Method method, double[] strength, double[] mos, double[] prior, long seed, int cap, int check) {
        int n = strength.length;
        ActivePairs model = method.seeded ? ActivePairs.seeded(prior) : ActivePairs.flat(n);
        SplittableRandom chooser = new SplittableRandom(seed * 1_000_003L + 17);
        SplittableRandom rater = new SplittableRandom(seed * 7_919L + 5);
        Pair last = null;
        for (int t = 1; t <= cap; t++) {
            Pair p;
            if (method.active) {
                p = model.next(chooser, Set.of()).orElseThrow();
            } else {
                do {
                    int a = chooser.nextInt(n);
                    int b = chooser.nextInt(n - 1);
                    p = Pair.of(a, b >= a ? b + 1 : b);
                } while (p.equals(last));
            }
            last = p;
            // shown in random order, as a page would
            boolean flip = rater.nextBoolean();
            int first = flip ? p.second() : p.first();
            int second = flip ? p.first() : p.second();
            model.record(new PairJudgement(first, second, answer(strength[first] - strength[second], rater)));
            if (t % check == 0 && Metrics.kendallTauB(mos, model.means()) >= TARGET_TAU) {
                return t;
            }
        }
        return cap;
    }

    /** A draw from the Rao–Kupper Bradley–Terry model with the raters' tie margin. */
    static PairOutcome answer(double d, SplittableRandom rng) {
        double u = rng.nextDouble();
        double pFirst = 1 / (1 + Math.exp(-(d - RATER_TIE_MARGIN)));
        double pSecond = 1 / (1 + Math.exp(d + RATER_TIE_MARGIN));
        return u < pFirst ? PairOutcome.FIRST : u < pFirst + pSecond ? PairOutcome.SECOND : PairOutcome.TIE;
    }

    private static void shuffle(List<String> list, SplittableRandom rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            java.util.Collections.swap(list, i, rng.nextInt(i + 1));
        }
    }

    /** {@code column} of a CSV with a header and the image name first, in file order. */
    static Map<String, Double> readColumn(Path csv, String column) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        int col = List.of(lines.getFirst().split(",")).indexOf(column);
        if (col < 0) {
            throw new IllegalArgumentException(csv + " has no column " + column);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                String[] f = line.split(",");
                out.put(f[0], Double.parseDouble(f[col]));
            }
        }
        return out;
    }
}
