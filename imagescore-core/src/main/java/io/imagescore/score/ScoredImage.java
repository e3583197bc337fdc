package io.imagescore.score;

import io.imagescore.explain.Explainer;
import io.imagescore.explain.Explanation;

import java.util.List;

/**
 * The scores of one image. {@code embedding} is null unless requested; {@code explanations} empty unless requested.
 * {@code embeddingMaps}: with explanations and the embedding, the spatial maps of the embedding's views, which prompt
 * scores ({@code PromptScoring}) explain from; a working value like the embedding, never part of a result (null).
 */
public record ScoredImage(String sha256, int width, int height, List<Scalar> scalars, List<Classes> classes,
                          float[] embedding, List<Explanation> explanations, Explainer.Spatial embeddingMaps) {

    public ScoredImage(String sha256, int width, int height, List<Scalar> scalars, List<Classes> classes,
                       float[] embedding, List<Explanation> explanations) {
        this(sha256, width, height, scalars, classes, embedding, explanations, null);
    }

    public ScoredImage(String sha256, int width, int height, List<Scalar> scalars, List<Classes> classes,
                       float[] embedding) {
        this(sha256, width, height, scalars, classes, embedding, List.of());
    }

    /** This result without its working {@link #embeddingMaps} (what is returned and stored). */
    public ScoredImage withoutEmbeddingMaps() {
        return embeddingMaps == null ? this
                : new ScoredImage(sha256, width, height, scalars, classes, embedding, explanations, null);
    }

    public record Scalar(String name, String version, double value) {
    }

    /**
     * A class distribution: all probabilities in class order plus the labels, and {@code inDomain}: the head's
     * out-of-domain detector's probability-like score in [0, 1] that the image belongs to the head's domain (NaN when
     * the head has no detector).
     */
    public record Classes(String name, String version, List<String> labels, float[] probabilities, double inDomain) {

        public Classes(String name, String version, List<String> labels, float[] probabilities) {
            this(name, version, labels, probabilities, Double.NaN);
        }

        /** Indices of the k most probable classes, most probable first; ties by lower index (deterministic). */
        public int[] topK(int k) {
            Integer[] idx = new Integer[probabilities.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            java.util.Arrays.sort(idx, (a, b) -> probabilities[a] != probabilities[b]
                    ? Float.compare(probabilities[b], probabilities[a]) : Integer.compare(a, b));
            int n = Math.min(k, idx.length);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = idx[i];
            }
            return out;
        }
    }
}
