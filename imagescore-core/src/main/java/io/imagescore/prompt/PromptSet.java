package io.imagescore.prompt;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The content of one prompt-set version: CLIP prompt attributes (antonym pairs or ordered levels, optionally
 * calibrated) and zero-shot classifiers. Immutable; {@link #validate()} checks it before it is stored.
 *
 * @param description for people
 * @param pack        the pack it was written or tuned for; empty = any pack with a text encoder
 * @param attributes  scalar scores
 * @param classifiers class distributions
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PromptSet(String description, String pack, List<Attribute> attributes, List<Classifier> classifiers) {

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public PromptSet {
        description = description == null ? "" : description;
        pack = pack == null ? "" : pack;
        attributes = attributes == null ? List.of() : List.copyOf(attributes);
        classifiers = classifiers == null ? List.of() : List.copyOf(classifiers);
    }

    /**
     * An antonym pair with explicit polarity: the score is P(positive), so "higher is better" holds even when a
     * source lists the undesirable pole first.
     */
    public record Pair(String positive, String negative) {
    }

    /** Maps the raw score r to {@code clamp(intercept + slope·r, min, max)} (e.g. onto a client's 1–4 scale). */
    public record Calibration(double slope, double intercept, double min, double max) {
        public double apply(double raw) {
            return Math.clamp(intercept + slope * raw, min, max);
        }
    }

    /**
     * A scalar score: either antonym {@code pairs} (mean of P(positive) over the pairs: an ensemble) or K ordered
     * {@code levels} (expected value of {@code levelValues}, default 1..K, under the softmax over levels).
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Attribute(String name, String description, List<Pair> pairs, List<String> levels,
                            List<Double> levelValues, Calibration calibration) {
        public Attribute {
            description = description == null ? "" : description;
            pairs = pairs == null ? List.of() : List.copyOf(pairs);
            levels = levels == null ? List.of() : List.copyOf(levels);
            levelValues = levelValues == null ? List.of() : List.copyOf(levelValues);
        }

        public boolean hasLevels() {
            return !levels.isEmpty();
        }

        /** Values of the levels on the client's scale (default 1..K). */
        public List<Double> effectiveLevelValues() {
            if (!levelValues.isEmpty()) {
                return levelValues;
            }
            List<Double> v = new ArrayList<>();
            for (int i = 1; i <= levels.size(); i++) {
                v.add((double) i);
            }
            return v;
        }

        /** The range the score lies in: calibrated range, the level values' span, or [0, 1] for pairs. */
        public double[] range() {
            if (calibration != null) {
                return new double[] {calibration.min(), calibration.max()};
            }
            if (hasLevels()) {
                List<Double> v = effectiveLevelValues();
                return new double[] {v.stream().mapToDouble(d -> d).min().orElseThrow(), v.stream().mapToDouble(d -> d).max().orElseThrow()};
            }
            return new double[] {0, 1};
        }
    }

    /**
     * Zero-shot classes: each class's prompts are the templates ("a photo of a {}.") filled with its label, plus any
     * extra {@code classPrompts}; their normalised text embeddings are averaged per class (CLIP's prompt ensembling).
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Classifier(String name, String description, List<String> templates, List<String> classes,
                             Map<String, List<String>> classPrompts) {
        public Classifier {
            description = description == null ? "" : description;
            templates = templates == null ? List.of() : List.copyOf(templates);
            classes = classes == null ? List.of() : List.copyOf(classes);
            Map<String, List<String>> cp = new LinkedHashMap<>();
            if (classPrompts != null) {
                classPrompts.forEach((k, v) -> cp.put(k, v == null ? List.of() : List.copyOf(v)));
            }
            classPrompts = java.util.Collections.unmodifiableMap(cp);
        }

        /** The prompts of class {@code label}, in a fixed order. */
        public List<String> promptsOf(String label) {
            List<String> out = new ArrayList<>();
            for (String t : templates) {
                out.add(t.replace("{}", label));
            }
            out.addAll(classPrompts.getOrDefault(label, List.of()));
            return out;
        }
    }

    /** Every prompt text of the set, each once, in a fixed order. */
    public List<String> prompts() {
        Set<String> out = new LinkedHashSet<>();
        for (Attribute a : attributes) {
            a.pairs().forEach(p -> {
                out.add(p.positive());
                out.add(p.negative());
            });
            out.addAll(a.levels());
        }
        for (Classifier c : classifiers) {
            c.classes().forEach(l -> out.addAll(c.promptsOf(l)));
        }
        return List.copyOf(out);
    }

    /** Score names (attributes, then classifiers), in declaration order. */
    public List<String> scoreNames() {
        List<String> out = new ArrayList<>();
        attributes.forEach(a -> out.add(a.name()));
        classifiers.forEach(c -> out.add(c.name()));
        return out;
    }

    /** Rejects an unusable set with a message naming the element and the problem (INVALID_REQUEST). */
    public PromptSet validate() {
        if (attributes.isEmpty() && classifiers.isEmpty()) {
            throw bad("", "a prompt set needs at least one attribute or classifier");
        }
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < attributes.size(); i++) {
            Attribute a = attributes.get(i);
            String where = "attributes[" + i + "]";
            checkName(where, a.name(), names);
            where += " '" + a.name() + "'";
            if (a.pairs().isEmpty() == a.levels().isEmpty()) {
                throw bad(where, "needs either pairs (antonym prompts) or levels (ordered prompts), not "
                        + (a.pairs().isEmpty() ? "neither" : "both"));
            }
            Set<Pair> seenPairs = new LinkedHashSet<>();
            for (int j = 0; j < a.pairs().size(); j++) {
                Pair p = a.pairs().get(j);
                String pw = where + " pairs[" + j + "]";
                if (p == null || blank(p.positive()) || blank(p.negative())) {
                    throw bad(pw, "is empty: both positive and negative prompts are required");
                }
                if (p.positive().strip().equals(p.negative().strip())) {
                    throw bad(pw, "has the same prompt on both sides ('" + p.positive() + "')");
                }
                if (!seenPairs.add(p)) {
                    throw bad(pw, "repeats the pair ('" + p.positive() + "' / '" + p.negative() + "')");
                }
            }
            if (a.hasLevels()) {
                if (a.levels().size() < 2) {
                    throw bad(where, "levels need at least 2 ordered prompts, got " + a.levels().size());
                }
                Set<String> seen = new LinkedHashSet<>();
                for (int j = 0; j < a.levels().size(); j++) {
                    if (blank(a.levels().get(j))) {
                        throw bad(where + " levels[" + j + "]", "is empty");
                    }
                    if (!seen.add(a.levels().get(j))) {
                        throw bad(where + " levels[" + j + "]", "repeats the prompt '" + a.levels().get(j) + "'");
                    }
                }
                if (!a.levelValues().isEmpty() && a.levelValues().size() != a.levels().size()) {
                    throw bad(where, "has " + a.levelValues().size() + " level_values for " + a.levels().size() + " levels");
                }
                for (double v : a.levelValues()) {
                    finite(where + " level_values", v);
                }
            } else if (!a.levelValues().isEmpty()) {
                throw bad(where, "level_values are only meaningful with levels");
            }
            Calibration c = a.calibration();
            if (c != null) {
                finite(where + " calibration.slope", c.slope());
                finite(where + " calibration.intercept", c.intercept());
                finite(where + " calibration.min", c.min());
                finite(where + " calibration.max", c.max());
                if (!(c.min() < c.max())) {
                    throw bad(where + " calibration", "needs min < max, got [" + c.min() + ", " + c.max() + "]");
                }
            }
        }
        for (int i = 0; i < classifiers.size(); i++) {
            Classifier c = classifiers.get(i);
            String where = "classifiers[" + i + "]";
            checkName(where, c.name(), names);
            where += " '" + c.name() + "'";
            if (c.classes().size() < 2) {
                throw bad(where, "needs at least 2 classes, got " + c.classes().size());
            }
            Set<String> seen = new LinkedHashSet<>();
            for (int j = 0; j < c.classes().size(); j++) {
                String label = c.classes().get(j);
                if (blank(label)) {
                    throw bad(where + " classes[" + j + "]", "is empty");
                }
                if (!seen.add(label)) {
                    throw bad(where + " classes[" + j + "]", "duplicate class '" + label + "'");
                }
            }
            for (int j = 0; j < c.templates().size(); j++) {
                String t = c.templates().get(j);
                if (blank(t) || !t.contains("{}")) {
                    throw bad(where + " templates[" + j + "]", "must contain {} where the class name goes, got '" + t + "'");
                }
            }
            for (Map.Entry<String, List<String>> e : c.classPrompts().entrySet()) {
                if (!seen.contains(e.getKey())) {
                    throw bad(where + " class_prompts", "names unknown class '" + e.getKey() + "'; the classes are " + c.classes());
                }
                if (e.getValue().isEmpty() || e.getValue().stream().anyMatch(PromptSet::blank)) {
                    throw bad(where + " class_prompts['" + e.getKey() + "']", "must be a non-empty list of non-empty prompts");
                }
            }
            for (String label : c.classes()) {
                if (c.promptsOf(label).isEmpty()) {
                    throw bad(where, "class '" + label + "' has no prompt: give templates or class_prompts for it");
                }
            }
        }
        return this;
    }

    private static void checkName(String where, String name, Map<String, String> names) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw bad(where, "name '" + name + "' must be 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        String before = names.putIfAbsent(name, where);
        if (before != null) {
            throw bad(where, "duplicate score name '" + name + "' (already used by " + before + ")");
        }
    }

    private static void finite(String where, double v) {
        if (!Double.isFinite(v)) {
            throw bad(where, "must be a finite number, got " + v);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static ImageScoreException bad(String where, String problem) {
        String msg = where.isEmpty() ? "invalid prompt set: " + problem : "invalid prompt set: " + where + " " + problem;
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, msg, where.isEmpty() ? Map.of() : Map.of("field", where), null);
    }
}
