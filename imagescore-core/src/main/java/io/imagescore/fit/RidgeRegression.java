package io.imagescore.fit;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Ridge regression on z-scored features, closed form through one symmetric eigendecomposition (EJML) per training
 * set, so every λ of the grid costs only a matrix-vector product: with Z the z-scores and y centred,
 * w(λ) = B·diag(c/(e+λ)) where (e, B, c) come from ZZᵀ (n ≤ d, the dual) or ZᵀZ (n > d). The intercept is not
 * penalised. λ is chosen by k-fold CV mean squared error.
 */
public final class RidgeRegression {
    /** λ grid as multiples of the feature count (the mean squared norm of a z-scored row): 10^-3 … 10^2. */
    static final double[] RELATIVE_LAMBDAS = grid(-3, 2, 0.25);

    private RidgeRegression() {
    }

    /** y ≈ weight·x + bias on raw (not z-scored) features. */
    public record Model(double[] weight, double bias) {
        public double predict(double[] x) {
            double s = bias;
            for (int j = 0; j < x.length; j++) {
                s += weight[j] * x[j];
            }
            return s;
        }
    }

    /** The chosen λ, its CV MSE, and the whole curve. */
    public record Selection(double lambda, double[] lambdas, double[] cvMse) {
    }

    public static Model fit(double[][] x, double[] y, double lambda) {
        return new Spectral(x, y).model(lambda);
    }

    /** Chooses λ by k-fold CV (MSE). */
    public static Selection selectLambda(double[][] x, double[] y, int folds, long seed) {
        int d = x[0].length;
        double[] lambdas = new double[RELATIVE_LAMBDAS.length];
        for (int i = 0; i < lambdas.length; i++) {
            lambdas[i] = RELATIVE_LAMBDAS[i] * d;
        }
        double[] sse = new double[lambdas.length];
        int[] fold = Folds.kFold(x.length, folds, seed);
        for (int f = 0; f < folds; f++) {
            int[] train = Folds.members(fold, f, false);
            int[] test = Folds.members(fold, f, true);
            Spectral s = new Spectral(Folds.rows(x, train), Folds.values(y, train));
            for (int l = 0; l < lambdas.length; l++) {
                Model m = s.model(lambdas[l]);
                for (int i : test) {
                    double r = m.predict(x[i]) - y[i];
                    sse[l] += r * r;
                }
            }
        }
        int best = 0;
        double[] mse = new double[lambdas.length];
        for (int l = 0; l < lambdas.length; l++) {
            mse[l] = sse[l] / x.length;
            if (mse[l] < mse[best]) {
                best = l;
            }
        }
        return new Selection(lambdas[best], lambdas, mse);
    }

    /**
     * Out-of-fold predictions of the whole procedure (λ chosen inside each outer training part), i.e. an honest
     * estimate of how a head fitted this way does on unseen images.
     */
    public static double[] nestedCvPredictions(double[][] x, double[] y, int folds, long seed) {
        double[] out = new double[x.length];
        int[] fold = Folds.kFold(x.length, folds, seed);
        for (int f = 0; f < folds; f++) {
            int[] train = Folds.members(fold, f, false);
            double[][] xt = Folds.rows(x, train);
            double[] yt = Folds.values(y, train);
            Model m = fit(xt, yt, selectLambda(xt, yt, folds, seed + 1).lambda());
            for (int i : Folds.members(fold, f, true)) {
                out[i] = m.predict(x[i]);
            }
        }
        return out;
    }

    /** The eigendecomposition of one training set, from which w(λ) is cheap for any λ. */
    private static final class Spectral {
        final Standardizer std;
        final double yMean;
        final double[] e;
        final DMatrixRMaj b; // d × r
        final double[] c;

        Spectral(double[][] x, double[] y) {
            std = Standardizer.of(x);
            int n = x.length;
            int d = x[0].length;
            DMatrixRMaj z = new DMatrixRMaj(std.apply(x));
            double mean = 0;
            for (double v : y) {
                mean += v;
            }
            yMean = mean / n;
            DMatrixRMaj yc = new DMatrixRMaj(n, 1);
            for (int i = 0; i < n; i++) {
                yc.set(i, 0, y[i] - yMean);
            }
            boolean dual = n <= d;
            int r = dual ? n : d;
            DMatrixRMaj gram = new DMatrixRMaj(r, r);
            if (dual) {
                CommonOps_DDRM.multTransB(z, z, gram);
            } else {
                CommonOps_DDRM.multTransA(z, z, gram);
            }
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(r, true, true);
            if (!eig.decompose(gram)) {
                throw new IllegalStateException("eigendecomposition failed");
            }
            DMatrixRMaj u = new DMatrixRMaj(r, r);
            e = new double[r];
            for (int k = 0; k < r; k++) {
                e[k] = Math.max(0, eig.getEigenvalue(k).getReal());
                DMatrixRMaj v = eig.getEigenVector(k);
                for (int i = 0; i < r; i++) {
                    u.set(i, k, v == null ? 0 : v.get(i, 0));
                }
            }
            DMatrixRMaj cm = new DMatrixRMaj(r, 1);
            if (dual) {
                b = new DMatrixRMaj(d, r);
                CommonOps_DDRM.multTransA(z, u, b);      // B = Zᵀ U
                CommonOps_DDRM.multTransA(u, yc, cm);    // c = Uᵀ y
            } else {
                b = u;                                   // B = V
                DMatrixRMaj zty = new DMatrixRMaj(d, 1);
                CommonOps_DDRM.multTransA(z, yc, zty);
                CommonOps_DDRM.multTransA(u, zty, cm);   // c = Vᵀ Zᵀ y
            }
            c = cm.getData().clone();
        }

        Model model(double lambda) {
            int d = b.numRows;
            int r = b.numCols;
            double[] coef = new double[r];
            for (int k = 0; k < r; k++) {
                coef[k] = c[k] / (e[k] + lambda);
            }
            double[] w = new double[d];
            double[] bd = b.getData();
            for (int j = 0; j < d; j++) {
                double s = 0;
                int row = j * r;
                for (int k = 0; k < r; k++) {
                    s += bd[row + k] * coef[k];
                }
                w[j] = s;
            }
            double bias = std.foldWeights(w, yMean);
            return new Model(w, bias);
        }
    }

    static double[] grid(double fromExp, double toExp, double step) {
        int n = (int) Math.round((toExp - fromExp) / step) + 1;
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = Math.pow(10, fromExp + i * step);
        }
        return g;
    }
}
