package io.imagescore.fit;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * RBF kernel ridge classifier: one-vs-rest ridge in the kernel's feature space on centred one-hot targets, with
 * k(a, b) = exp(−γ/d·‖a − b‖²) on the top-{@value #COMPONENTS} principal components of the z-scored embedding
 * (d = embedding size). It beats the linear (logistic) head where classes are not linearly separable in the frozen
 * features: apparel 0.848 → 0.88 held-out (docs/heads.md, "Head study"). The principal components keep the stored
 * support vectors at n × 256 instead of n × 1280 with the same CV accuracy.
 *
 * <p>(γ, λ) are chosen by stratified k-fold CV accuracy (ties: lower log-loss), together with the intercept: the class
 * frequencies (the least-squares intercept, which favours frequent classes) or none (every class on an equal footing;
 * CV chose this for apparel). Then a softmax temperature is fitted on the out-of-fold scores, as for the logistic
 * head. Everything is closed form (eigendecomposition, Cholesky), so the same data give the same weights.
 */
public final class KernelRidgeClassifier {
    static final int COMPONENTS = 256;
    /** Largest training set: each CV fold holds a few n × n double matrices (6,000² × 8 B = 288 MB each). */
    public static final int MAX_EXAMPLES = 6_000;
    static final double[] GAMMAS = {0.25, 0.5, 1.0};
    /** Penalty on the mean squared error, times n in the dual: 10^-5 … 10^-2 (the study chose 3e-5 … 3e-4). */
    static final double[] LAMBDAS = RidgeRegression.grid(-5, -2, 0.5);

    private KernelRidgeClassifier() {
    }

    /**
     * The fitted model as the served {@code head.KernelHead} computes it (in float): scores(x) = (k(x) − mean(k(x))
     * − supportMean + kernelMean)·coef + bias, k(x)_i = exp(−gamma·‖p(x) − support_i‖²), p(x) = projection·x +
     * projectionBias (z-scoring folded in); probabilities = softmax(scores / temperature).
     */
    public record Model(double[][] projection, double[] projectionBias, double[][] support, double[] supportMean,
                        double kernelMean, double[][] coef, double[] bias, double gamma, double temperature) {
    }

    /** @param oofProbabilities out-of-fold probabilities at the chosen (γ, λ), after temperature scaling */
    public record Selection(double gamma, double lambda, boolean priorIntercept, double temperature, double cvAccuracy,
                            double[][] oofProbabilities) {
    }

    /** Fits on all rows with the chosen setting and temperature. */
    public static Model fit(double[][] x, int[] y, int classes, double gamma, double lambda, boolean priorIntercept,
                            double temperature) {
        Prepared p = Prepared.of(x, x);
        double c = gamma / x[0].length;
        DMatrixRMaj kernel = p.trainKernel(c);
        double[] supportMean = columnMeans(kernel);
        double kernelMean = mean(supportMean);
        centre(kernel, supportMean, supportMean, kernelMean);
        double[] prior = prior(y, classes);
        DMatrixRMaj coef = solve(kernel, centredOneHot(y, classes, prior), lambda);
        double[][] support = p.trainProjected;
        return new Model(p.projection, p.projectionBias, support, supportMean, kernelMean, rows(coef),
                priorIntercept ? prior : new double[classes], c, temperature);
    }

    /** Chooses (γ, λ) by stratified CV accuracy, then the temperature on the out-of-fold scores. Folds run in parallel. */
    public static Selection select(double[][] x, int[] y, int classes, int folds, long seed) {
        int[] fold = Folds.stratified(y, classes, folds, seed);
        double[][][][] oof = new double[GAMMAS.length][LAMBDAS.length][x.length][];
        List<double[][][][]> parts = Folds.inParallel(fold, folds,
                (train, held) -> foldScores(Folds.rows(x, train), Folds.values(y, train), Folds.rows(x, held), classes));
        for (int f = 0; f < folds; f++) {
            int[] held = Folds.members(fold, f, true);
            for (int g = 0; g < GAMMAS.length; g++) {
                for (int l = 0; l < LAMBDAS.length; l++) {
                    for (int i = 0; i < held.length; i++) {
                        oof[g][l][held[i]] = parts.get(f)[g][l][i];
                    }
                }
            }
        }
        // candidates in the order (γ, λ, intercept none before class frequencies)
        double[] prior = prior(y, classes);
        List<double[][]> candidates = new ArrayList<>();
        for (int g = 0; g < GAMMAS.length; g++) {
            for (int l = 0; l < LAMBDAS.length; l++) {
                candidates.add(oof[g][l]);
                candidates.add(plus(oof[g][l], prior));
            }
        }
        CvChoice choice = CvChoice.of(candidates, y);
        int bestG = choice.best() / (2 * LAMBDAS.length);
        int bestL = choice.best() / 2 % LAMBDAS.length;
        boolean bestPrior = choice.best() % 2 == 1;
        double[][] chosen = candidates.get(choice.best());
        double t = LogisticRegression.fitTemperature(chosen, y);
        return new Selection(GAMMAS[bestG], LAMBDAS[bestL], bestPrior, t, choice.accuracy()[choice.best()],
                LogisticRegression.probabilities(chosen, t));
    }

    private static double[][] plus(double[][] scores, double[] intercept) {
        double[][] out = new double[scores.length][];
        for (int i = 0; i < scores.length; i++) {
            out[i] = scores[i].clone();
            for (int c = 0; c < intercept.length; c++) {
                out[i][c] += intercept[c];
            }
        }
        return out;
    }

    /** Scores (without intercept) of the held-out rows for every (γ, λ), fitted on the training rows. */
    private static double[][][][] foldScores(double[][] train, int[] y, double[][] held, int classes) {
        Prepared p = Prepared.of(train, held);
        double[] prior = prior(y, classes);
        DMatrixRMaj targets = centredOneHot(y, classes, prior);
        double[][][][] out = new double[GAMMAS.length][LAMBDAS.length][][];
        for (int g = 0; g < GAMMAS.length; g++) {
            double c = GAMMAS[g] / train[0].length;
            DMatrixRMaj kernel = p.trainKernel(c);
            double[] supportMean = columnMeans(kernel);
            double kernelMean = mean(supportMean);
            centre(kernel, supportMean, supportMean, kernelMean);
            DMatrixRMaj cross = p.heldKernel(c);
            centre(cross, rowMeans(cross), supportMean, kernelMean);
            // one eigendecomposition serves every λ: (K + λnI)⁻¹Y = V diag(1/(w + λn)) VᵀY
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(kernel.numRows, true, true);
            if (!eig.decompose(kernel)) {
                throw new IllegalStateException("kernel eigendecomposition failed");
            }
            int n = kernel.numRows;
            DMatrixRMaj v = new DMatrixRMaj(n, n);
            double[] w = new double[n];
            for (int k = 0; k < n; k++) {
                w[k] = eig.getEigenvalue(k).getReal();
                DMatrixRMaj vec = eig.getEigenVector(k);
                for (int i = 0; i < n; i++) {
                    v.set(i, k, vec.get(i));
                }
            }
            DMatrixRMaj vty = new DMatrixRMaj(n, classes);
            CommonOps_DDRM.multTransA(v, targets, vty);
            DMatrixRMaj crossV = new DMatrixRMaj(cross.numRows, n);
            CommonOps_DDRM.mult(cross, v, crossV);
            for (int l = 0; l < LAMBDAS.length; l++) {
                DMatrixRMaj scaled = vty.copy();
                for (int k = 0; k < n; k++) {
                    double f = 1.0 / (w[k] + LAMBDAS[l] * n);
                    for (int c2 = 0; c2 < classes; c2++) {
                        scaled.set(k, c2, scaled.get(k, c2) * f);
                    }
                }
                DMatrixRMaj s = new DMatrixRMaj(cross.numRows, classes);
                CommonOps_DDRM.mult(crossV, scaled, s);
                out[g][l] = rows(s); // without intercept; select adds it where chosen
            }
        }
        return out;
    }

    /**
     * Training rows z-scored and projected on their top principal components, the held-out rows likewise, and their
     * squared distances (γ-independent, so computed once per fold).
     */
    private record Prepared(double[][] projection, double[] projectionBias, double[][] trainProjected,
                            double[][] heldProjected, DMatrixRMaj trainDistances, DMatrixRMaj heldDistances) {

        static Prepared of(double[][] train, double[][] held) {
            Standardizer std = Standardizer.of(train);
            DMatrixRMaj z = new DMatrixRMaj(std.apply(train));
            int d = z.numCols;
            int components = Math.min(COMPONENTS, Math.min(d, z.numRows));
            DMatrixRMaj cov = new DMatrixRMaj(d, d);
            CommonOps_DDRM.multTransA(z, z, cov); // z has zero column means: this is n × the covariance
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
            if (!eig.decompose(cov)) {
                throw new IllegalStateException("covariance eigendecomposition failed");
            }
            Integer[] order = new Integer[d];
            for (int k = 0; k < d; k++) {
                order[k] = k;
            }
            Arrays.sort(order, (a, b) -> Double.compare(eig.getEigenvalue(b).getReal(), eig.getEigenvalue(a).getReal()));
            double[][] projection = new double[components][];
            double[] bias = new double[components];
            for (int c = 0; c < components; c++) {
                DMatrixRMaj vec = eig.getEigenVector(order[c]);
                double[] w = new double[d];
                double b = 0;
                for (int j = 0; j < d; j++) {
                    w[j] = vec.get(j) / std.scale()[j]; // fold the z-scoring into the projection
                    b -= w[j] * std.mean()[j];
                }
                projection[c] = w;
                bias[c] = b;
            }
            double[][] trainProjected = project(projection, bias, train);
            double[][] heldProjected = held == train ? null : project(projection, bias, held);
            return new Prepared(projection, bias, trainProjected, heldProjected, squaredDistances(trainProjected, trainProjected),
                    heldProjected == null ? null : squaredDistances(heldProjected, trainProjected));
        }

        private static double[][] project(double[][] projection, double[] bias, double[][] x) {
            DMatrixRMaj xm = new DMatrixRMaj(x);
            DMatrixRMaj pm = new DMatrixRMaj(projection);
            DMatrixRMaj out = new DMatrixRMaj(x.length, projection.length);
            CommonOps_DDRM.multTransB(xm, pm, out);
            double[][] r = rows(out);
            for (double[] row : r) {
                for (int c = 0; c < bias.length; c++) {
                    row[c] += bias[c];
                }
            }
            return r;
        }

        DMatrixRMaj trainKernel(double c) {
            return rbf(trainDistances, c);
        }

        DMatrixRMaj heldKernel(double c) {
            return rbf(heldDistances, c);
        }
    }

    /** ‖a_i − b_j‖² from ‖a‖² + ‖b‖² − 2a·b, clamped at 0 against rounding. */
    private static DMatrixRMaj squaredDistances(double[][] a, double[][] b) {
        DMatrixRMaj d = new DMatrixRMaj(a.length, b.length);
        CommonOps_DDRM.multTransB(new DMatrixRMaj(a), new DMatrixRMaj(b), d);
        double[] na = squaredNorms(a);
        double[] nb = squaredNorms(b);
        double[] data = d.getData();
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                int idx = i * b.length + j;
                data[idx] = Math.max(0, na[i] + nb[j] - 2 * data[idx]);
            }
        }
        return d;
    }

    /** K = exp(−c·D) elementwise. */
    private static DMatrixRMaj rbf(DMatrixRMaj squaredDistances, double c) {
        DMatrixRMaj k = squaredDistances.copy();
        double[] data = k.getData();
        for (int i = 0; i < data.length; i++) {
            data[i] = Math.exp(-c * data[i]);
        }
        return k;
    }

    private static double[] squaredNorms(double[][] a) {
        double[] n = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            for (double v : a[i]) {
                n[i] += v * v;
            }
        }
        return n;
    }

    /** Kernel centring in feature space: K − rowMean − colMean + mean (train column means for both axes' support side). */
    private static void centre(DMatrixRMaj k, double[] rowMean, double[] supportMean, double kernelMean) {
        double[] data = k.getData();
        for (int i = 0; i < k.numRows; i++) {
            for (int j = 0; j < k.numCols; j++) {
                data[i * k.numCols + j] += kernelMean - rowMean[i] - supportMean[j];
            }
        }
    }

    private static double[] columnMeans(DMatrixRMaj k) {
        double[] m = new double[k.numCols];
        for (int i = 0; i < k.numRows; i++) {
            for (int j = 0; j < k.numCols; j++) {
                m[j] += k.get(i, j);
            }
        }
        for (int j = 0; j < m.length; j++) {
            m[j] /= k.numRows;
        }
        return m;
    }

    private static double[] rowMeans(DMatrixRMaj k) {
        double[] m = new double[k.numRows];
        for (int i = 0; i < k.numRows; i++) {
            for (int j = 0; j < k.numCols; j++) {
                m[i] += k.get(i, j);
            }
            m[i] /= k.numCols;
        }
        return m;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Class frequencies: the intercept of ridge on one-hot targets. */
    private static double[] prior(int[] y, int classes) {
        double[] p = new double[classes];
        for (int c : y) {
            p[c] += 1.0 / y.length;
        }
        return p;
    }

    private static DMatrixRMaj centredOneHot(int[] y, int classes, double[] prior) {
        DMatrixRMaj t = new DMatrixRMaj(y.length, classes);
        for (int i = 0; i < y.length; i++) {
            for (int c = 0; c < classes; c++) {
                t.set(i, c, (y[i] == c ? 1 : 0) - prior[c]);
            }
        }
        return t;
    }

    /** (K + λnI)⁻¹ Y by Cholesky (K is centred and positive semi-definite, so the sum is positive definite). */
    private static DMatrixRMaj solve(DMatrixRMaj kernel, DMatrixRMaj targets, double lambda) {
        int n = kernel.numRows;
        DMatrixRMaj a = kernel.copy();
        for (int i = 0; i < n; i++) {
            a.add(i, i, lambda * n);
        }
        LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(n);
        if (!solver.setA(a)) {
            throw new IllegalStateException("kernel system is not positive definite (λ = " + lambda + ")");
        }
        DMatrixRMaj coef = new DMatrixRMaj(n, targets.numCols);
        solver.solve(targets, coef);
        return coef;
    }

    private static double[][] rows(DMatrixRMaj m) {
        double[][] r = new double[m.numRows][m.numCols];
        for (int i = 0; i < m.numRows; i++) {
            System.arraycopy(m.getData(), i * m.numCols, r[i], 0, m.numCols);
        }
        return r;
    }
}
