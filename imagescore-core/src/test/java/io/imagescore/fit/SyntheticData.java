package io.imagescore.fit;

import java.util.Random;

/** Seeded synthetic features for the numeric tests. */
final class SyntheticData {
    private SyntheticData() {
    }

    static double[][] gaussian(int n, int d, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return x;
    }

    static double[] linear(double[][] x, double[] w) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < w.length; j++) {
                y[i] += w[j] * x[i][j];
            }
        }
        return y;
    }
}
