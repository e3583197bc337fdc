package io.imagescore.cli;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.experiment.Bootstrap;
import io.imagescore.experiment.ComparisonReport;
import io.imagescore.experiment.ListingOrdering;
import io.imagescore.fit.LabelledImage;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.Engine;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.tenant.TenantNames;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code imagescore compare}: scores a labelled (or unlabelled) image set under two variants of the same pack and
 * writes how much B would change what users see: compare.md, compare.json and compare.png in {@code --out}.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two variants (head versions, modes) on an image set: correlations with bootstrap CIs, shifts, "
                + "top-k overlap, rank displacement, per-listing τ and hero changes, accuracy against ratings or labels.")
final class CompareCommand implements Callable<Integer> {
    @ArgGroup(exclusive = false, heading = "Pack and runtime%n")
    FitEngineOptions engine = new FitEngineOptions();
    @ArgGroup(exclusive = false, heading = "Images (with optional ratings in --target-column or labels in --label-column)%n")
    LabelledSetOptions set = new LabelledSetOptions();

    @Option(names = "--a", required = true, split = ",", description = "Variant A's scores, e.g. quality or quality@1,room_type.")
    List<String> a;
    @Option(names = "--b", required = true, split = ",", description = "Variant B's scores, paired with A's by position, e.g. quality_sub@1.")
    List<String> b;
    @Option(names = "--a-mode", description = "Preprocessing mode of A (default: --mode).")
    PreprocessMode aMode;
    @Option(names = "--b-mode", description = "Preprocessing mode of B (default: --mode).")
    PreprocessMode bMode;
    @Option(names = "--listings", description = "CSV with header listing,image: which photos form a listing (ordered by the first "
            + "scalar score, or by a regulation).")
    Path listings;
    @Option(names = "--regulation", paramLabel = "NAME[@VERSION]", description = "A stored regulation (under --data-dir, of --tenant) "
            + "ordering the listings of each variant without its own, as sort orders by it; no version = the newest.")
    String regulation;
    @Option(names = "--a-regulation", paramLabel = "NAME[@VERSION]", description = "Variant A's own regulation (as pinned in an "
            + "experiment variant); --regulation must then name the same version or be left out.")
    String aRegulation;
    @Option(names = "--b-regulation", paramLabel = "NAME[@VERSION]", description = "Variant B's own regulation.")
    String bRegulation;
    @Option(names = "--tenant", defaultValue = TenantNames.DEFAULT_TENANT, description = "Tenant whose stored regulations are read "
            + "(default: ${DEFAULT-VALUE}).")
    String tenant;
    @Option(names = "--top-k", defaultValue = "10", description = "Top-k overlap size (default: ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--resamples", defaultValue = "1000", description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
    int resamples;
    @Option(names = "--seed", defaultValue = "0", description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--confidence", defaultValue = "0.95", description = "Interval confidence (default: ${DEFAULT-VALUE}).")
    double confidence;
    @Option(names = "--out", required = true, description = "Directory for compare.md, compare.json and compare.png.")
    Path out;

    @Override
    public Integer call() throws IOException {
        List<LabelledImage> labelled = set.images();
        Bootstrap bootstrap = new Bootstrap(resamples, seed, confidence);
        List<ImageInput> images = labelled.stream().map(l -> new ImageInput(l.image().id(), l.image().data())).toList();
        Map<String, Double> ratings = new HashMap<>();
        Map<String, String> labels = new HashMap<>();
        for (LabelledImage l : labelled) {
            if (!Double.isNaN(l.target())) {
                ratings.put(l.image().id(), l.target());
            }
            if (l.label() != null) {
                labels.put(l.image().id(), l.label());
            }
        }
        try (Engine e = engine.open()) {
            ModelPack pack = engine.pack(e);
            ScoringPipeline p = e.pipeline();
            PreprocessMode modeA = aMode == null ? engine.preprocessMode() : aMode;
            PreprocessMode modeB = bMode == null ? engine.preprocessMode() : bMode;
            List<ScoringPipeline.Selection> selectA = ScoringPipeline.select(pack, a);
            List<ScoringPipeline.Selection> selectB = ScoringPipeline.select(pack, b);
            RegulationStore regulations = new LocalRegulationStore(engine.dataDir);
            RegulationStore.Stored common = stored(regulations, "--regulation", regulation);
            // checked before anything is scored, as CompareVariants does
            ListingOrdering orderA = ListingOrdering.of("A", stored(regulations, "--a-regulation", aRegulation), common, selectA);
            ListingOrdering orderB = ListingOrdering.of("B", stored(regulations, "--b-regulation", bRegulation), common, selectB);
            List<Outcome<ScoredImage>> scoredA = p.score(pack, images, selectA, false, modeA, null);
            List<Outcome<ScoredImage>> scoredB = p.score(pack, images, selectB, false, modeB, null);
            ComparisonReport report = ComparisonReport.build(String.join(",", a) + " (" + modeA.name().toLowerCase() + ")",
                    String.join(",", b) + " (" + modeB.name().toLowerCase() + ")", scoredA, scoredB,
                    new ComparisonReport.Options(topK, bootstrap, listings(), ratings, labels, orderA, orderB));
            Files.createDirectories(out);
            Files.writeString(out.resolve("compare.json"), ComparisonOutput.json(report));
            String md = ComparisonOutput.markdown(report);
            Files.writeString(out.resolve("compare.md"), md);
            if (!report.scores().isEmpty()) {
                List<double[]> firstScalar = firstScalar(scoredA, scoredB);
                ComparisonOutput.plot(report, firstScalar.get(0), firstScalar.get(1), out.resolve("compare.png"));
            }
            System.out.print(md);
            System.out.println("\nwrote " + out.resolve("compare.md") + ", compare.json" + (report.scores().isEmpty() ? "" : ", compare.png"));
        }
        return 0;
    }

    /** The first scalar score's values of the images scored under both variants. */
    private static List<double[]> firstScalar(List<Outcome<ScoredImage>> a, List<Outcome<ScoredImage>> b) {
        List<Double> va = new ArrayList<>();
        List<Double> vb = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).isOk() && b.get(i).isOk()) {
                va.add(a.get(i).value().scalars().getFirst().value());
                vb.add(b.get(i).value().scalars().getFirst().value());
            }
        }
        return List.of(va.stream().mapToDouble(Double::doubleValue).toArray(), vb.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The stored regulation {@code ref} ("name" or "name@version") of --tenant, or null when not given. */
    private RegulationStore.Stored stored(RegulationStore store, String option, String ref) {
        if (ref == null) {
            return null;
        }
        int at = ref.indexOf('@');
        String name = TenantNames.check(option + " name", at < 0 ? ref : ref.substring(0, at));
        String version = TenantNames.checkOptionalVersion(option + " version", at < 0 ? "" : ref.substring(at + 1));
        return store.get(TenantNames.check("--tenant", tenant), name, version);
    }

    private List<ComparisonReport.ListingInput> listings() throws IOException {
        if (listings == null) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(listings).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty() || !Arrays.asList(lines.getFirst().split(",")).equals(List.of("listing", "image"))) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, listings + ": the header must be listing,image");
        }
        Map<String, List<String>> byListing = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length != 2) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, listings + ": expected listing,image, got '" + line + "'");
            }
            byListing.computeIfAbsent(f[0].strip(), k -> new ArrayList<>()).add(f[1].strip());
        }
        List<ComparisonReport.ListingInput> out = new ArrayList<>();
        byListing.forEach((id, ids) -> out.add(new ComparisonReport.ListingInput(id, ids)));
        return out;
    }
}
