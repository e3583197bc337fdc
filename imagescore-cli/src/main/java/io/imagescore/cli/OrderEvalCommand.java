package io.imagescore.cli;

import io.imagescore.batch.EngineOptions;
import io.imagescore.score.Engine;
import io.imagescore.eval.OrderMetrics;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code imagescore order-eval}: listing/product ordering on real held-out photos. Builds random sets of 6–12 shuffled
 * photos from a labelled split (class = folder), orders each by a regulation with the pack's classifier head, and
 * compares with the gold order (the regulation applied to the true classes; photos of one class tie). Each photo is
 * scored once (one encoder pass per photo) and reused by every set it is drawn into, exactly as sorting that set
 * would score it. Prints a Markdown table.
 */
@Command(name = "order-eval", mixinStandardHelpOptions = true,
        description = "Evaluate regulation ordering on real labelled photos (rooms/eval, clothing/validation): Kendall tau-b, 0-move sets, hero accuracy.")
public final class OrderEvalCommand implements java.util.concurrent.Callable<Integer> {

    /** A labelled split and the regulation its gold order follows. */
    record Dataset(String name, String split, String classifier, List<String> regulation) {
    }

    static final Map<String, Dataset> DATASETS = Map.of(
            "rooms", new Dataset("rooms", "data/rooms/eval", "room_type",
                    List.of("living_room", "kitchen", "dining_room", "bedroom", "bathroom", "entrance_hall")),
            "clothing", new Dataset("clothing", "data/clothing/validation", "apparel",
                    List.of("dress", "outwear", "longsleeve", "shirt", "t-shirt", "skirt", "pants", "shorts", "shoes", "hat")));

    @Option(names = "--dataset", split = ",", defaultValue = "rooms,clothing", description = "rooms, clothing (default: ${DEFAULT-VALUE}).")
    List<String> datasets;
    @Option(names = "--sets", defaultValue = "250", description = "Sets per dataset (default: ${DEFAULT-VALUE}).")
    int sets;
    @Option(names = "--min-size", defaultValue = "6")
    int minSize;
    @Option(names = "--max-size", defaultValue = "12")
    int maxSize;
    @Option(names = "--seed", defaultValue = "7")
    long seed;
    @Option(names = "--ndcg-k", defaultValue = "5")
    int ndcgK;
    @Option(names = "--min-confidence", defaultValue = "0", description = "Regulation min_confidence (unregulated photos go last).")
    double minConfidence;
    @Mixin
    EngineOptions engineOptions;

    /** Mean metrics over sets. */
    record Summary(int sets, double meanTau, double meanTauMax, double zeroMoveShare, double heroAccuracy, double meanMoves,
                   double meanNdcg) {
    }

    @Override
    public Integer call() throws IOException {
        try {
            return run();
        } catch (io.imagescore.error.ImageScoreException e) {
            System.err.println("imagescore order-eval: " + e.code() + ": " + e.getMessage());
            return 2;
        }
    }

    private int run() throws IOException {
        try (Engine engine = engineOptions.open()) {
            System.out.printf(Locale.ROOT, "| dataset | classifier | photos | classifier top-1 acc | sets (size %d-%d) | order | mean Kendall τ-b (ceiling) | sets with 0 moves | hero accuracy | mean moves | NDCG@%d |%n",
                    minSize, maxSize, ndcgK);
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            for (String name : datasets) {
                Dataset d = DATASETS.get(name);
                if (d == null) {
                    throw new IllegalArgumentException("unknown dataset '" + name + "'; known: " + DATASETS.keySet());
                }
                evaluate(engine, d);
            }
        }
        return 0;
    }

    private void evaluate(Engine engine, Dataset d) throws IOException {
        ModelPack p = engine.pack();
        List<ScoringPipeline.Selection> selections = ScoringPipeline.select(p, List.of(d.classifier()));
        Map<String, ScoreSpec> specs = Map.of(d.classifier(), selections.getFirst().head().spec());
        SortSpec spec = new SortSpec(new SortSpec.ByRegulation(new Regulation(d.classifier(), d.regulation(), List.of(), null,
                minConfidence, 0, null, false)), 0);
        SetSorter.check(spec, specs);

        // Every labelled photo, scored once.
        Path root = engineOptions.shared().resolve(d.split());
        List<String> ids = new ArrayList<>();
        Map<String, Integer> goldGroup = new HashMap<>();
        Map<String, Outcome<ScoredImage>> scored = new LinkedHashMap<>();
        List<ImageInput> batch = new ArrayList<>();
        for (String cls : d.regulation()) {
            try (Stream<Path> s = Files.list(root.resolve(cls))) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    String id = cls + "/" + f.getFileName();
                    ids.add(id);
                    goldGroup.put(id, d.regulation().indexOf(cls));
                    batch.add(new ImageInput(id, Files.readAllBytes(f)));
                    if (batch.size() == 64) {
                        score(engine, p, selections, batch, scored);
                    }
                }
            }
        }
        score(engine, p, selections, batch, scored);
        long correct = ids.stream().filter(id -> {
            ScoredImage.Classes c = scored.get(id).value().classes().getFirst();
            return c.labels().get(c.topK(1)[0]).equals(d.regulation().get(goldGroup.get(id)));
        }).count();

        Random random = new Random(seed);
        List<double[]> sorted = new ArrayList<>();
        List<double[]> input = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            int size = minSize + random.nextInt(maxSize - minSize + 1);
            List<String> pool = new ArrayList<>(ids);
            Collections.shuffle(pool, random);
            List<String> set = pool.subList(0, size);
            List<Outcome<ScoredImage>> images = set.stream().map(scored::get).toList();
            SortResult r = SetSorter.order(images, spec, specs);
            sorted.add(metrics(r.ids(), goldGroup));
            input.add(metrics(set, goldGroup));
        }
        row(d, ids.size(), (double) correct / ids.size(), "regulation (sorted)", summarize(sorted));
        row(d, ids.size(), (double) correct / ids.size(), "input order (shuffled, baseline)", summarize(input));
    }

    private static void score(Engine engine, ModelPack p, List<ScoringPipeline.Selection> selections, List<ImageInput> batch,
                              Map<String, Outcome<ScoredImage>> into) {
        for (Outcome<ScoredImage> o : engine.pipeline().score(p, batch, selections, false, PreprocessMode.EXACT, null)) {
            if (!o.isOk()) {
                throw new IllegalStateException("photo " + o.id() + " could not be scored: " + o.error().getMessage());
            }
            into.put(o.id(), o);
        }
        batch.clear();
    }

    private double[] metrics(List<String> order, Map<String, Integer> goldGroup) {
        OrderMetrics.Result r = OrderMetrics.evaluate(order.stream().mapToInt(goldGroup::get).toArray(), ndcgK);
        return new double[] {r.kendallTauB(), r.kendallTauBMax(), r.manualMoves() == 0 ? 1 : 0, r.top1Hit() ? 1 : 0,
                r.manualMoves(), r.ndcgAtK()};
    }

    /** Means; τ-b over the sets where it is defined (a set of one class has none). */
    private static Summary summarize(List<double[]> rows) {
        double[] sum = new double[6];
        int tauSets = 0;
        for (double[] r : rows) {
            if (!Double.isNaN(r[0])) {
                sum[0] += r[0];
                sum[1] += r[1];
                tauSets++;
            }
            for (int i = 2; i < 6; i++) {
                sum[i] += r[i];
            }
        }
        int n = rows.size();
        return new Summary(n, sum[0] / tauSets, sum[1] / tauSets, sum[2] / n, sum[3] / n, sum[4] / n, sum[5] / n);
    }

    private void row(Dataset d, int photos, double accuracy, String order, Summary s) {
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f | %d | %s | %.3f (%.3f) | %.1f%% | %.1f%% | %.2f | %.3f |%n",
                d.name(), d.classifier(), photos, accuracy, s.sets(), order, s.meanTau(), s.meanTauMax(),
                100 * s.zeroMoveShare(), 100 * s.heroAccuracy(), s.meanMoves(), s.meanNdcg());
    }
}
