package io.imagescore.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.imagescore.image.PreprocessMode;
import io.imagescore.score.ImageInput;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.RegulationStore;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code imagescore order}: orders image files (or the images of directories) the way the Sort RPC does, with the
 * same {@link SetSorter}, and prints the order with classes, reasons and set findings.
 */
@Command(name = "order", mixinStandardHelpOptions = true,
        description = "Order a set of images by score, by a regulation (ordered classes of a classifier) or by a learned preference score.")
public final class OrderCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Parameters(arity = "1..*", description = "Image files or directories (their images, by name), in original order.")
    List<Path> inputs;

    @Option(names = "--pack", defaultValue = "packs/mobilenetv2-default", description = "Pack directory (default: ${DEFAULT-VALUE}).")
    Path pack;
    @Option(names = "--shared", defaultValue = "../shared", description = "Directory holding the shared models/ and data/ (default: ${DEFAULT-VALUE}).")
    Path shared;
    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--duplicates", defaultValue = "0", description = "Near-duplicate cosine threshold in (0, 1]; 0 = off.")
    double duplicates;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Ordering ordering;

    static final class Ordering {
        @Option(names = "--by-score", split = ",", description = "Weighted scores, e.g. quality=2,aesthetic=1 (weight defaults to 1).")
        List<String> byScore;
        @Option(names = "--preference", description = "A learned preference (RankNet) score.")
        String preference;
        @ArgGroup(exclusive = false)
        RegulationOptions regulation;
    }

    static final class RegulationOptions {
        @Option(names = "--regulation", description = "Regulation as JSON file (the stored format: classifier, classes, required_classes, …).")
        Path file;
        @Option(names = "--stored", description = "A stored regulation CLIENT/NAME[@VERSION] under --data-dir.")
        String stored;
        @Option(names = "--data-dir", defaultValue = "data", description = "Service data directory (default: ${DEFAULT-VALUE}).")
        Path dataDir;
        @Option(names = "--classifier", description = "CLASSES score (with --classes).")
        String classifier;
        @Option(names = "--classes", split = ",", description = "Regulation classes in display order.")
        List<String> classes;
        @Option(names = "--required", split = ",", description = "Required classes.")
        List<String> required;
        @Option(names = "--within", description = "Scalar score ordering images of one class.")
        String within;
        @Option(names = "--min-confidence", defaultValue = "0")
        double minConfidence;
        @Option(names = "--review-margin", defaultValue = "0")
        double reviewMargin;
        @Option(names = "--unregulated", defaultValue = "after", description = "after or before the regulated images.")
        String unregulated;
        @Option(names = "--slots", description = "At most one image per class (assignment on -log p).")
        boolean slots;

        Regulation regulation() throws IOException {
            if (file != null) {
                return JSON.readValue(file.toFile(), Regulation.class);
            }
            if (stored != null) {
                String[] cn = stored.split("/", 2);
                String[] nv = cn.length == 2 ? cn[1].split("@", 2) : new String[] {""};
                if (cn.length != 2) {
                    throw new IllegalArgumentException("--stored must be CLIENT/NAME[@VERSION]");
                }
                return new RegulationStore(dataDir).get(cn[0], nv[0], nv.length == 2 ? nv[1] : "").regulation();
            }
            return new Regulation(classifier, classes, required, within, minConfidence, reviewMargin,
                    Regulation.Placement.valueOf(unregulated.toUpperCase(Locale.ROOT)), slots);
        }
    }

    SortSpec spec() throws IOException {
        SortSpec.Ordering o;
        if (ordering.byScore != null) {
            List<SortSpec.Term> terms = new ArrayList<>();
            for (String t : ordering.byScore) {
                int eq = t.indexOf('=');
                terms.add(eq < 0 ? new SortSpec.Term(t, 1) : new SortSpec.Term(t.substring(0, eq), Double.parseDouble(t.substring(eq + 1))));
            }
            o = new SortSpec.ByScore(terms);
        } else if (ordering.preference != null) {
            o = new SortSpec.ByPreference(ordering.preference);
        } else {
            o = new SortSpec.ByRegulation(ordering.regulation.regulation());
        }
        return new SortSpec(o, duplicates);
    }

    @Override
    public Integer call() throws IOException {
        try {
            return run();
        } catch (io.imagescore.error.ImageScoreException e) {
            System.err.println("imagescore order: " + e.code() + ": " + e.getMessage());
            return 2;
        }
    }

    private int run() throws IOException {
        SortSpec spec = spec();
        List<ImageInput> images = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                        images.add(new ImageInput(f.toString(), Files.readAllBytes(f)));
                    }
                }
            } else {
                images.add(new ImageInput(p.toString(), Files.readAllBytes(p)));
            }
        }
        try (Engine engine = new Engine(pack, shared, threads)) {
            SortResult r = new SetSorter(engine.pipeline()).sort(engine.pack(), images, spec, PreprocessMode.EXACT, null);
            System.out.printf("%-4s %-4s %-18s %-6s %s%n", "rank", "pos", "class", "conf", "id  reasons");
            for (SortResult.Placed p : r.order()) {
                System.out.printf("%-4d %-4d %-18s %-6s %s  %s%s%s%n", p.rank(), p.position(),
                        p.classLabel() == null ? "-" : p.classLabel(),
                        Double.isNaN(p.confidence()) ? "-" : String.format(Locale.ROOT, "%.3f", p.confidence()), p.id(),
                        p.reasons(), p.duplicateOf() == null ? "" : " duplicate of " + p.duplicateOf(),
                        p.scores().isEmpty() ? "" : " " + p.scores());
            }
            for (SortResult.Finding f : r.findings()) {
                System.out.println("finding " + f.code() + ": " + f.message() + (f.ids().isEmpty() ? "" : " " + f.ids()));
            }
        }
        return 0;
    }
}
