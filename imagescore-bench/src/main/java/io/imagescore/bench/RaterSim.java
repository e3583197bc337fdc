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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
            case "run" -> run(Path.of(args[1]), Path.of(args[2]), Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray(),
                    Integer.parseInt(args[4]), Arrays.stream(args[5].split(",")).mapToDouble(Double::parseDouble).toArray(),
                    methods(List.of(args.length > 6 ? args[6].split(",") : new String[] {"adf"}),
                            List.of(args.length > 8 ? args[8].split(",") : new String[] {"flat", "head"}),
                            List.of(args.length > 9 ? args[9].split(",") : new String[] {"random", "marginal"}),
                            List.of(args.length > 10 ? args[10].split(",") : new String[] {"fixed"})),
                    args.length > 7 ? Integer.parseInt(args[7]) : 2);
            default -> throw new IllegalArgumentException("usage: RaterSim prior SHARED PACK OUT.csv"
                    + " | run SHARED PRIOR.csv SIZES SEEDS SCALES [POSTERIORS: adf,refit,map,laplace] [THREADS] [PRIORS: flat,head]"
                    + " [SELECTIONS: random,marginal,joint] [SPREADS: fixed,estimated]");
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

    /**
     * One arm of the simulation: how pairs are chosen, the prior, and the posterior the pairs are judged by.
     * Selections: {@code random} pairs, or {@link ActivePairs#next} with the {@code marginal} or {@code joint}
     * {@link ActivePairs.Selection}. Posteriors: {@code adf} (one ADF update per judgement); {@code refit}: ADF
     * refitted to its Laplace approximation ({@link ActivePairs#refit}) whenever the judgements since the last refit
     * reach max(n / 10, 10 % of all so far), i.e. O(log) refits per run; {@code map}: refitted at every τ check
     * (every n / 10 judgements), so τ is always that of the MAP fit of all judgements, whatever the arm (choices in
     * between from the ADF-updated posterior: diagonal, or full-covariance with the joint selection); {@code laplace}:
     * as {@code map}, and refitted before every choice of an active arm, i.e. what the rater page does (RaterQueue
     * refits after replaying the log on every request). Spread: the prior's S fixed at {@link #OPTIONS}' spread, or
     * {@code estimated} by each refit from the judgements ({@link ActivePairs.Options#estimateSpread}, from that S).
     */
    record Method(String selection, boolean seeded, String posterior, boolean estimated) {
        boolean active() {
            return !selection.equals("random");
        }

        String selectionLabel() {
            return switch (selection) {
                case "random" -> "random pairs";
                case "marginal" -> "active (BALD, marginal variances)";
                case "joint" -> "active (BALD, joint covariance)";
                case "insertion" -> "binary insertion, then BALD joint";
                default -> throw new IllegalArgumentException("selection is random, marginal or joint, got " + selection);
            };
        }

        String prior() {
            return seeded ? "quality_fast (out-of-fold)" : "flat";
        }

        String posteriorLabel() {
            return switch (posterior) {
                case "adf" -> "ADF";
                case "refit" -> "ADF + MAP refits";
                case "map" -> "MAP at each τ check";
                case "laplace" -> "MAP before each choice";
                default -> throw new IllegalArgumentException("posterior is adf, refit, map or laplace, got " + posterior);
            };
        }

        String spreadLabel() {
            return String.format(Locale.ROOT, estimated ? "estimated from %.1f" : "%.1f", OPTIONS.spread());
        }

        ActivePairs.Options options() {
            // random pairs keep the diagonal posterior of the earlier tables (with "map" and "laplace" their τ is the
            // MAP's either way)
            boolean joint = selection.equals("joint") || selection.equals("insertion");
            return OPTIONS.withSelection(joint ? ActivePairs.Selection.JOINT : ActivePairs.Selection.MARGINAL)
                    .withEstimateSpread(estimated);
        }

        /** The random-pairs arm with the same prior, posterior and spread. */
        Method baseline() {
            return new Method("random", seeded, posterior, estimated);
        }
    }

    static List<Method> methods(List<String> posteriors, List<String> priors, List<String> selections, List<String> spreads) {
        List<Method> out = new ArrayList<>();
        for (String spread : spreads) {
            boolean estimated = switch (spread) {
                case "fixed" -> false;
                case "estimated" -> true;
                default -> throw new IllegalArgumentException("spread is fixed or estimated, got " + spread);
            };
            for (String p : posteriors) {
                for (String selection : selections) {
                    for (String prior : priors) {
                        boolean seeded = switch (prior) {
                            case "flat" -> false;
                            case "head" -> true;
                            default -> throw new IllegalArgumentException("prior is flat or head, got " + prior);
                        };
                        Method m = new Method(selection, seeded, p, estimated);
                        m.selectionLabel();
                        m.posteriorLabel();
                        out.add(m);
                    }
                }
            }
        }
        return out;
    }

    static void run(Path shared, Path priorCsv, int[] sizes, int seeds, double[] scales, List<Method> methods, int threads)
            throws IOException, InterruptedException, ExecutionException {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            run(shared, priorCsv, sizes, seeds, scales, methods, pool);
        }
    }

    private static void run(Path shared, Path priorCsv, int[] sizes, int seeds, double[] scales, List<Method> methods,
                            ExecutorService pool) throws IOException, InterruptedException, ExecutionException {
        Map<String, Double> mosAll = readColumn(shared.resolve("data/clive/mos.csv"), "mos");
        Map<String, Double> sdAll = readColumn(shared.resolve("data/clive/mos.csv"), "mos_std");
        Map<String, Double> priorAll = readColumn(priorCsv, "quality_fast_oof");
        List<String> names = new ArrayList<>(mosAll.keySet());
        shuffle(names, new SplittableRandom(SUBSET_SEED));
        // The noisiest rater: a preference as the comparison of two single ratings N(MOS, sd²) (Thurstone), written
        // as the equivalent logistic (Bradley–Terry) scale T = mean sd · √2 / 1.702; 0 in SCALES stands for it.
        double thurstone = mosAll.keySet().stream().mapToDouble(sdAll::get).average().orElseThrow() * Math.sqrt(2) / 1.702;
        System.out.printf(Locale.ROOT, "CLIVE: the first n of the %d photos in a random order (seed %d), %d rater seeds; rater:"
                        + " P(A) = σ((MOS_A − MOS_B)/T − ε), P(B) = σ((MOS_B − MOS_A)/T − ε), else \"can't tell\""
                        + " (ε = %.1f: %.0f %% for equal photos); τ checked every n/10 comparisons, cap 200·n%n%n",
                mosAll.size(), SUBSET_SEED, seeds, RATER_TIE_MARGIN, 100 * (2 / (1 + Math.exp(-RATER_TIE_MARGIN)) - 1));
        System.out.println("| n | rater noise T (MOS points) | selection | prior | posterior | spread S | comparisons to τ ≥ 0.9, mean ± sd"
                + " | min–max | per photo | random / this (same prior, posterior, S) | S at the end, mean (min–max) | ms per comparison |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int items : sizes) {
            List<String> subset = names.subList(0, Math.min(items, names.size()));
            int n = subset.size();
            double[] mos = subset.stream().mapToDouble(mosAll::get).toArray();
            double[] prior = subset.stream().mapToDouble(priorAll::get).toArray();
            double mean = Arrays.stream(mos).average().orElseThrow();
            int cap = 200 * n;
            int check = Math.max(1, n / 10);
            System.err.printf(Locale.ROOT, "n = %d: prior Kendall τ to MOS %.3f%n", n, Metrics.kendallTauB(mos, prior));
            for (double given : scales) {
                double scale = given > 0 ? given : thurstone;
                double[] strength = new double[n];
                for (int i = 0; i < n; i++) {
                    strength[i] = (mos[i] - mean) / scale;
                }
                Map<Method, int[]> results = new LinkedHashMap<>();
                Map<Method, double[]> spreads = new LinkedHashMap<>();
                Map<Method, Double> millis = new LinkedHashMap<>();
                for (Method m : methods) {
                    int[] counts = new int[seeds];
                    double[] spread = new double[seeds];
                    long[] nanos = new long[seeds];
                    List<Future<?>> runs = new ArrayList<>();
                    for (int s = 0; s < seeds; s++) {
                        int seed = s;
                        runs.add(pool.submit(() -> {
                            long t0 = System.nanoTime();
                            ActivePairs[] end = new ActivePairs[1];
                            counts[seed] = comparisonsToTarget(m, strength, mos, prior, seed, cap, check, end);
                            spread[seed] = end[0].spread();
                            nanos[seed] = System.nanoTime() - t0;
                        }));
                    }
                    for (Future<?> f : runs) {
                        f.get();
                    }
                    millis.put(m, Arrays.stream(nanos).sum() / 1e6 / Arrays.stream(counts).sum());
                    results.put(m, counts);
                    spreads.put(m, spread);
                }
                for (Map.Entry<Method, int[]> e : results.entrySet()) {
                    int[] c = e.getValue();
                    double avg = Arrays.stream(c).average().orElseThrow();
                    double sd = Math.sqrt(Arrays.stream(c).mapToDouble(v -> (v - avg) * (v - avg)).sum() / Math.max(1, c.length - 1));
                    boolean capped = Arrays.stream(c).anyMatch(v -> v >= cap);
                    int[] base = results.get(e.getKey().baseline());
                    String ratio = base == null ? "–" : String.format(Locale.ROOT, "%.1f×",
                            Arrays.stream(base).average().orElseThrow() / avg);
                    double[] sp = spreads.get(e.getKey());
                    System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s%.0f ± %.0f | %d–%d | %.1f | %s | %.2f (%.2f–%.2f) | %.2f |%n", n,
                            given > 0 ? String.format(Locale.ROOT, "%.0f", scale) : String.format(Locale.ROOT, "%.1f (single-rating sd)", scale),
                            e.getKey().selectionLabel(), e.getKey().prior(), e.getKey().posteriorLabel(), e.getKey().spreadLabel(),
                            capped ? "≥ " : "", avg, sd,
                            Arrays.stream(c).min().orElseThrow(), Arrays.stream(c).max().orElseThrow(), avg / n, ratio,
                            Arrays.stream(sp).average().orElseThrow(), Arrays.stream(sp).min().orElseThrow(),
                            Arrays.stream(sp).max().orElseThrow(), millis.get(e.getKey()));
                }
                System.out.flush();
            }
        }
    }

    /** Comparisons until Kendall τ(posterior means, MOS) ≥ 0.9 at a check, or {@code cap}; the posterior then in {@code end[0]}. */
    static int comparisonsToTarget(Method method, double[] strength, double[] mos, double[] prior, long seed, int cap, int check,
                                   ActivePairs[] end) {
        int n = strength.length;
        ActivePairs model = method.seeded() ? ActivePairs.seeded(prior, method.options()) : ActivePairs.flat(n, method.options());
        end[0] = model;
        SplittableRandom chooser = new SplittableRandom(seed * 1_000_003L + 17);
        SplittableRandom rater = new SplittableRandom(seed * 7_919L + 5);
        boolean laplace = method.posterior().equals("laplace");
        Insertion insertion = method.selection().equals("insertion") ? new Insertion(n, chooser) : null;
        Pair last = null;
        int refitted = 0;
        for (int t = 1; t <= cap; t++) {
            Pair p;
            if (insertion != null && !insertion.done()) {
                p = insertion.next();
            } else if (method.active()) {
                if (laplace && t > 1) {
                    model.refit();
                }
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
            PairOutcome y = answer(strength[first] - strength[second], rater);
            model.record(new PairJudgement(first, second, y));
            if (insertion != null && !insertion.done()) {
                insertion.answer(first, y);
            }
            if (method.posterior().equals("refit") && t - refitted >= Math.max(check, t / 10)) {
                model.refit();
                refitted = t;
            }
            if (t % check == 0) {
                if (laplace || method.posterior().equals("map")) {
                    model.refit();
                }
                if (Metrics.kendallTauB(mos, model.means()) >= TARGET_TAU) {
                    return t;
                }
            }
        }
        return cap;
    }

    /**
     * A noisy binary insertion sort that stops early: items (in a random order) are inserted into a list kept in
     * ascending order by binary search against the list's items; the search stops when a "can't tell" answer comes
     * or the interval holds at most max(1, k / BUCKETS) of the k listed items (property buckets, default 16), and
     * the item goes in the interval's middle. Each question is one judgement; after the last item the arm continues
     * with {@link ActivePairs#next}. Stateful, so a sketch for the simulation only (a rater page serves several
     * raters from one log).
     */
    static final class Insertion {
        private static final int BUCKETS = Integer.getInteger("buckets", 16);
        private final int[] order;
        private final List<Integer> list = new ArrayList<>();
        private int next = 1;
        private int lo;
        private int hi;

        Insertion(int n, SplittableRandom rng) {
            order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int k = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
            list.add(order[0]);
            start();
        }

        boolean done() {
            return next >= order.length;
        }

        private void start() {
            lo = 0;
            hi = list.size();
        }

        Pair next() {
            return Pair.of(order[next], list.get((lo + hi) / 2));
        }

        /** The answer to the pair of {@link #next}, shown with {@code first} on the left. */
        void answer(int first, PairOutcome y) {
            int x = order[next];
            int mid = (lo + hi) / 2;
            boolean xFirst = first == x;
            if (y == PairOutcome.TIE) {
                lo = mid;
                hi = mid;
            } else if ((y == PairOutcome.FIRST) == xFirst) {
                lo = mid + 1; // x is better: it goes above the pivot
            } else {
                hi = mid;
            }
            if (hi - lo <= Math.max(0, list.size() / BUCKETS)) {
                list.add((lo + hi + 1) / 2, x);
                next++;
                start();
            }
        }
    }

    /** Posterior options of every arm; the system properties spread and window override S and the window for experiments. */
    static final ActivePairs.Options OPTIONS = new ActivePairs.Options(
            Double.parseDouble(System.getProperty("spread", String.valueOf(ActivePairs.Options.DEFAULT.spread()))),
            ActivePairs.Options.DEFAULT.trust(), ActivePairs.Options.DEFAULT.tieMargin(),
            Integer.getInteger("window", ActivePairs.Options.DEFAULT.window()));

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
