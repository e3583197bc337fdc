package io.imagescore.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.SortSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How to order a set, as options (picocli mixin) shared by {@code order} and {@code sort}: by weighted scores, by a
 * preference score, or by a regulation (JSON file, stored regulation, or given inline); plus near-duplicates.
 */
public final class SortSpecOptions {
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

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
        @Option(names = "--stored", description = "A stored regulation TENANT/NAME[@VERSION] under --data-dir.")
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
        @Option(names = "--min-in-domain", defaultValue = "0.05", description = "Classifier in_domain below this -> unregulated (OUT_OF_DOMAIN); 0 = off (default ${DEFAULT-VALUE}).")
        double minInDomain;

        Regulation regulation() throws IOException {
            if (file != null) {
                return JSON.readValue(file.toFile(), Regulation.class);
            }
            if (stored != null) {
                String[] tenantName = stored.split("/", 2);
                if (tenantName.length != 2) {
                    throw new IllegalArgumentException("--stored must be TENANT/NAME[@VERSION]");
                }
                String[] nameVersion = tenantName[1].split("@", 2);
                return new LocalRegulationStore(dataDir).get(tenantName[0], nameVersion[0], nameVersion.length == 2 ? nameVersion[1] : "").regulation();
            }
            return new Regulation(classifier, classes, required, within, minConfidence, reviewMargin,
                    Regulation.Placement.valueOf(unregulated.toUpperCase(Locale.ROOT)), slots, minInDomain);
        }
    }

    public SortSpec spec() throws IOException {
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
}
