package io.imagescore.batch;

import java.util.ArrayList;
import java.util.List;

/**
 * The columns of a run's output, fixed before the first row: the scalar scores and class distributions requested
 * (from the pack's description), and whether embeddings are included. Score columns are prefixed so that no score
 * name can clash with a fixed column. Every score is keyed by {@link #versioned name@version} — the exact head (or
 * prompt-set) version it holds — so "apparel" and "apparel@1" are two columns, never one mislabelled one.
 */
public record OutputSchema(List<String> scalars, List<String> classes, boolean embedding) {

    /** The key of a score in a run: its name and the exact version that computed it ("apparel@2"). */
    public static String versioned(String name, String version) {
        return name + "@" + version;
    }

    public static final List<String> LEADING = List.of("id", "path", "set", "content_sha256", "width", "height",
            "pack_name", "pack_version", "pack_hash", "preprocessing_id");
    public static final List<String> TRAILING = List.of("error_code", "error_message");

    public static String scalarColumn(String score) {
        return "score_" + score;
    }

    public static String topClassColumn(String classes) {
        return classes + "_top_class";
    }

    public static String topProbabilityColumn(String classes) {
        return classes + "_top_prob";
    }

    public List<String> columns() {
        List<String> c = new ArrayList<>(LEADING);
        scalars.forEach(s -> c.add(scalarColumn(s)));
        classes.forEach(s -> {
            c.add(topClassColumn(s));
            c.add(topProbabilityColumn(s));
        });
        if (embedding) {
            c.add("embedding");
        }
        c.addAll(TRAILING);
        return c;
    }
}
