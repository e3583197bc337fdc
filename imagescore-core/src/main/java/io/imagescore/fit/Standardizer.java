package io.imagescore.fit;

/**
 * Z-scores features with the training rows' mean and standard deviation, so one penalty fits every feature; a linear
 * model fitted on z-scores is folded back onto raw embeddings ({@link #foldWeights}) so the served head reads the raw
 * embedding. Constant features get scale 1 (they carry nothing and stay at 0 after centring).
 */
record Standardizer(double[] mean, double[] scale) {

    static Standardizer of(double[][] x) {
        int d = x[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= x.length;
        }
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                double c = row[j] - mean[j];
                scale[j] += c * c;
            }
        }
        for (int j = 0; j < d; j++) {
            double sd = Math.sqrt(scale[j] / x.length);
            scale[j] = sd > 1e-12 ? sd : 1.0;
        }
        return new Standardizer(mean, scale);
    }

    double[][] apply(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = apply(x[i]);
        }
        return out;
    }

    double[] apply(double[] row) {
        double[] z = new double[row.length];
        for (int j = 0; j < row.length; j++) {
            z[j] = (row[j] - mean[j]) / scale[j];
        }
        return z;
    }

    /** For w·z + b on z-scores: the weights on raw features in place, returns the raw-feature bias. */
    double foldWeights(double[] w, double b) {
        double bias = b;
        for (int j = 0; j < w.length; j++) {
            w[j] /= scale[j];
            bias -= w[j] * mean[j];
        }
        return bias;
    }
}
