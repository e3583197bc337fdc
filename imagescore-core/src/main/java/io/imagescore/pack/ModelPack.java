package io.imagescore.pack;

import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.model.ModelSpec;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A loaded model pack: image encoder, preprocessing, heads by name with all their versions, and optionally a CLIP text
 * encoder ({@code textEncoder}, null when the pack has none) for prompt scores. Immutable: adding a head version yields
 * a new pack (see {@link PackRegistry}), so a request sees one consistent pack.
 *
 * @param defaultScores the scores a request that names none gets (pack.json {@code default_scores}), in the pack's
 *                      head order; empty = every score of the pack. A pack keeps its default set cheap this way: a
 *                      request pays for the union of its heads' views, and a grid head alone is 18 encoder passes.
 */
public record ModelPack(String name, String version, String description, Path dir, String contentHash,
                        ModelSpec encoder, String embeddingOutput, PreprocessSpec preprocessing,
                        Map<String, List<String>> classLists, Map<String, NavigableMap<String, HeadVersion>> heads,
                        TextEncoderSpec textEncoder, List<String> defaultScores) {

    /** Orders head versions numerically where they are numbers ("10" after "9"), else lexically. */
    public static final Comparator<String> VERSION_ORDER = (a, b) -> {
        boolean na = a.chars().allMatch(Character::isDigit);
        boolean nb = b.chars().allMatch(Character::isDigit);
        if (na && nb) {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        }
        return na ? -1 : nb ? 1 : a.compareTo(b);
    };

    public ModelPack {
        classLists = Map.copyOf(classLists);
        Map<String, NavigableMap<String, HeadVersion>> copy = new LinkedHashMap<>();
        heads.forEach((k, v) -> {
            NavigableMap<String, HeadVersion> versions = new TreeMap<>(VERSION_ORDER);
            versions.putAll(v);
            copy.put(k, java.util.Collections.unmodifiableNavigableMap(versions));
        });
        heads = java.util.Collections.unmodifiableMap(copy);
        defaultScores = List.copyOf(defaultScores);
    }

    /** A pack without a text encoder. */
    public ModelPack(String name, String version, String description, Path dir, String contentHash,
                     ModelSpec encoder, String embeddingOutput, PreprocessSpec preprocessing,
                     Map<String, List<String>> classLists, Map<String, NavigableMap<String, HeadVersion>> heads) {
        this(name, version, description, dir, contentHash, encoder, embeddingOutput, preprocessing, classLists, heads, null,
                List.of());
    }

    /** The names a request that names no score gets: {@link #defaultScores}, or every head when the pack declares none. */
    public List<String> defaultScoreNames() {
        return defaultScores.isEmpty() ? List.copyOf(heads.keySet()) : defaultScores;
    }

    /** The active (newest) version of each head, in declaration order. */
    public List<ScoreSpec> activeScores() {
        return heads.values().stream().map(v -> v.lastEntry().getValue().spec()).toList();
    }

    public int embeddingDim() {
        return Math.toIntExact(encoder.output(embeddingOutput).shape().getLast());
    }

    public ModelPack withHeadVersion(String headName, HeadVersion head, String newContentHash) {
        Map<String, NavigableMap<String, HeadVersion>> next = new LinkedHashMap<>();
        heads.forEach((k, v) -> next.put(k, new TreeMap<>(v)));
        next.computeIfAbsent(headName, k -> new TreeMap<>(VERSION_ORDER)).put(head.version(), head);
        return new ModelPack(name, version, description, dir, newContentHash, encoder, embeddingOutput, preprocessing, classLists, next,
                textEncoder, defaultScores);
    }
}
