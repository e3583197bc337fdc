package io.imagescore.prompt;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Candidate antonym pairs from words, covering the wording variations that move CLIP's agreement with people:
 * synonyms (every positive word against every negative word), modifiers ("very bright photo."), nouns
 * (photo/image/picture), word order ("Photo bright."), repetition ("Bright bright photo.") and the final period.
 * Both prompts of a pair share everything but the adjective, so a pair differs only in the attribute.
 *
 * @param maxCandidates most kept; beyond it an evenly spaced, deterministic subset of all combinations
 */
public record CandidateGenerator(List<String> positiveWords, List<String> negativeWords, List<String> nouns,
                                 List<String> modifiers, boolean wordOrder, boolean repetition, int maxCandidates) {

    public static final List<String> DEFAULT_NOUNS = List.of("photo", "image", "picture");
    public static final int DEFAULT_MAX = 200;

    public CandidateGenerator {
        positiveWords = List.copyOf(positiveWords);
        negativeWords = List.copyOf(negativeWords);
        nouns = nouns == null || nouns.isEmpty() ? DEFAULT_NOUNS : List.copyOf(nouns);
        modifiers = modifiers == null ? List.of() : List.copyOf(modifiers);
        maxCandidates = maxCandidates <= 0 ? DEFAULT_MAX : maxCandidates;
    }

    public List<PromptSet.Pair> generate() {
        if (positiveWords.isEmpty() || negativeWords.isEmpty()) {
            return List.of();
        }
        List<String> mods = new ArrayList<>();
        mods.add("");
        mods.addAll(modifiers);
        Set<PromptSet.Pair> all = new LinkedHashSet<>();
        for (String noun : nouns) {
            for (String period : List.of(".", "")) {
                for (String mod : mods) {
                    for (String p : positiveWords) {
                        for (String n : negativeWords) {
                            all.add(pair(phrase(mod, p, noun, false, false), phrase(mod, n, noun, false, false), period));
                            if (wordOrder) {
                                all.add(pair(phrase(mod, p, noun, true, false), phrase(mod, n, noun, true, false), period));
                            }
                            if (repetition) {
                                all.add(pair(phrase(mod, p, noun, false, true), phrase(mod, n, noun, false, true), period));
                            }
                        }
                    }
                }
            }
        }
        List<PromptSet.Pair> list = new ArrayList<>(all);
        if (list.size() <= maxCandidates) {
            return list;
        }
        List<PromptSet.Pair> spread = new ArrayList<>(maxCandidates);
        for (int i = 0; i < maxCandidates; i++) {
            spread.add(list.get((int) ((long) i * list.size() / maxCandidates)));
        }
        return spread;
    }

    private static String phrase(String mod, String adjective, String noun, boolean nounFirst, boolean repeat) {
        String adj = (mod.isEmpty() ? "" : mod + " ") + (repeat ? adjective + " " + adjective : adjective);
        return nounFirst ? noun + " " + adj : adj + " " + noun;
    }

    private static PromptSet.Pair pair(String positive, String negative, String period) {
        return new PromptSet.Pair(capitalize(positive) + period, capitalize(negative) + period);
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
