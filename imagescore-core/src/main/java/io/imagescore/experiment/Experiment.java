package io.imagescore.experiment;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ScoreRef;
import io.imagescore.tenant.TenantNames;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An A/B experiment's spec: named variants, each pinning what decides its scores and orders. Stored versioned
 * ({@link ExperimentStore}); a stored version is fully pinned (see {@code ExperimentPins}).
 *
 * @param salt salt of the stable assignment hash ({@link Assignment}); empty = the experiment's name
 */
public record Experiment(String description, String salt, List<Variant> variants) {
    public static final int MAX_VARIANTS = 16;
    public static final int MAX_SCORES = 32;

    /**
     * @param mode "exact" or "fast"
     */
    public record Pins(String pack, List<String> scores, String promptSet, String promptSetVersion, String regulation,
                       String regulationVersion, String mode) {
    }

    public record Variant(String name, double weight, Pins pins) {
    }

    /** Checks names, weights and references' syntax; the referenced versions are checked when a version is stored. */
    public Experiment validated() {
        if (description != null && description.length() > 1000) {
            throw invalid("description is longer than 1000 characters");
        }
        if (salt != null && salt.length() > 200) {
            throw invalid("salt is longer than 200 characters");
        }
        if (variants == null || variants.isEmpty()) {
            throw invalid("an experiment needs at least one variant");
        }
        if (variants.size() > MAX_VARIANTS) {
            throw invalid("an experiment has at most " + MAX_VARIANTS + " variants, got " + variants.size());
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            String where = "variants[" + i + "]";
            TenantNames.check(where + " name", v.name());
            if (!names.add(v.name())) {
                throw invalid(where + ": variant '" + v.name() + "' appears twice");
            }
            if (!(v.weight() > 0) || Double.isInfinite(v.weight())) {
                throw invalid(where + " '" + v.name() + "': weight must be a finite number > 0, got " + v.weight());
            }
            Pins p = v.pins();
            if (p == null) {
                throw invalid(where + " '" + v.name() + "' has no spec");
            }
            TenantNames.checkOptional(where + " pack", p.pack());
            if (p.scores().size() > MAX_SCORES) {
                throw invalid(where + " '" + v.name() + "': at most " + MAX_SCORES + " scores, got " + p.scores().size());
            }
            p.scores().forEach(ScoreRef::parse);
            TenantNames.checkOptional(where + " prompt_set", p.promptSet());
            TenantNames.checkOptionalVersion(where + " prompt_set_version", p.promptSetVersion());
            TenantNames.checkOptional(where + " regulation", p.regulation());
            TenantNames.checkOptionalVersion(where + " regulation_version", p.regulationVersion());
            if (p.promptSet().isEmpty() && !p.promptSetVersion().isEmpty()) {
                throw invalid(where + " '" + v.name() + "': prompt_set_version given without prompt_set");
            }
            if (p.regulation().isEmpty() && !p.regulationVersion().isEmpty()) {
                throw invalid(where + " '" + v.name() + "': regulation_version given without regulation");
            }
        }
        return this;
    }

    public List<Double> weights() {
        return variants.stream().map(Variant::weight).toList();
    }

    /** The variant called {@code name}; INVALID_REQUEST naming the variants there are. */
    public Variant variant(String name, String experiment) {
        for (Variant v : variants) {
            if (v.name().equals(name)) {
                return v;
            }
        }
        throw new ImageScoreException(ErrorCode.UNKNOWN_EXPERIMENT, "experiment " + experiment + " has no variant "
                + TenantNames.quote(name) + "; variants: " + variants.stream().map(Variant::name).toList(),
                Map.of("experiment", experiment), null);
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
