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

        /**
         * Indices of the k most probable classes, most probable first; ties by lower index (deterministic). Every Score
         * reply computes it for each distribution (1000 ImageNet classes), so it selects instead of sorting them all:
         * one pass keeping the best k in order.
         */
        public int[] topK(int k) {
            int n = Math.min(k, probabilities.length);
            int[] top = new int[Math.max(0, n)];
            if (n <= 0) {
                return top;
            }
            if (n > SELECT_UP_TO) {
                return sortedTop(n);
            }
            int size = 0;
            for (int i = 0; i < probabilities.length; i++) {
                if (size == n && !ranksBefore(i, top[n - 1])) {
                    continue;
                }
                int j = size < n ? size++ : n - 1; // full: i replaces the last
                while (j > 0 && ranksBefore(i, top[j - 1])) {
                    top[j] = top[j - 1];
                    j--;
                }
                top[j] = i;
            }
            return top;
        }

        /** Above this many, selection (k comparisons per class) costs more than sorting all classes. */
        static final int SELECT_UP_TO = 64;

        /** The first n of all classes sorted: the order {@link #ranksBefore} defines, stable by index. */
        int[] sortedTop(int n) {
            Integer[] idx = new Integer[probabilities.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            java.util.Arrays.sort(idx, (a, b) -> ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = idx[i];
            }
            return out;
        }

        /** Class a ranks before class b: more probable (0.0 and -0.0 are equal), or equally probable and a lower index. */
        private boolean ranksBefore(int a, int b) {
            float pa = probabilities[a];
            float pb = probabilities[b];
            return pa != pb ? Float.compare(pb, pa) < 0 : a < b;
        }
    }
}
