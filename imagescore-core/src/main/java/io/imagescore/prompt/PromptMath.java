package io.imagescore.prompt;

/**
 * CLIP prompt arithmetic, in double for reproducibility. Embeddings are compared by cosine; a softmax over
 * {@code logitScale · cosine} turns prompts into probabilities, as CLIP does for zero-shot classification.
 */
public final class PromptMath {
    private PromptMath() {
    }

    /** v scaled to unit L2 norm (a zero vector stays zero); the one implementation lives with the heads. */
    public static float[] unit(float[] v) {
        return io.imagescore.head.Head.l2Normalized(v);
    }

    public static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** Cosines of one unit image embedding with every unit prompt embedding. */
    public static double[] cosines(float[] unitImage, float[][] unitPrompts) {
        double[] c = new double[unitPrompts.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = dot(unitImage, unitPrompts[i]);
        }
        return c;
    }

    /** softmax(scale·[cosPositive, cosNegative])[0], written as a logistic (same value, no overflow). */
    public static double pairProbability(double logitScale, double cosPositive, double cosNegative) {
        return 1.0 / (1.0 + Math.exp(-logitScale * (cosPositive - cosNegative)));
    }

    /** softmax(scale·cosines), numerically stable. */
    public static double[] softmax(double logitScale, double[] cosines) {
        double max = Double.NEGATIVE_INFINITY;
        for (double c : cosines) {
            max = Math.max(max, logitScale * c);
        }
        double[] p = new double[cosines.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logitScale * cosines[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Unit mean of unit vectors (CLIP's prompt ensembling for a class). */
    public static float[] unitMean(float[][] unitVectors) {
        double[] acc = new double[unitVectors[0].length];
        for (float[] v : unitVectors) {
            for (int i = 0; i < acc.length; i++) {
                acc[i] += v[i];
            }
        }
        float[] mean = new float[acc.length];
        for (int i = 0; i < acc.length; i++) {
            mean[i] = (float) (acc[i] / unitVectors.length);
        }
        return unit(mean);
    }
}
