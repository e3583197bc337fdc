package io.imagescore.fit;

import io.imagescore.eval.Metrics;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.ArrayList;
import java.util.List;

/**
 * Multinomial logistic regression with an L2 penalty on z-scored features, minimised by L-BFGS from zero (convex, so
 * the start only affects speed; fixed, so runs repeat exactly). λ is chosen by stratified k-fold CV accuracy
 * (ties: lower log-loss); the softmax temperature is then fitted on the out-of-fold logits at that λ (Guo et al.
 * 2017 temperature scaling), so the served probabilities are calibrated on data the weights never saw.
 */
public final class LogisticRegression {
    /** Penalty grid on the mean cross-entropy: 10^-4 … 10^0.5 (MobileNetV2 features chose 0.01–0.3). */
    static final double[] LAMBDAS = RidgeRegression.grid(-4, 0.5, 0.5);
    static final int MAX_ITERATIONS = 300;

    private LogisticRegression() {
    }

    /** logits = weight·x + bias on raw features; probabilities = softmax(logits / temperature). */
    public record Model(double[][] weight, double[] bias, double temperature) {
        public double[] logits(double[] x) {
            double[] l = new double[bias.length];
            for (int k = 0; k < l.length; k++) {
                double s = bias[k];
                double[] w = weight[k];
                for (int j = 0; j < x.length; j++) {
                    s += w[j] * x[j];
                }
                l[k] = s;
            }
            return l;
        }

        public double[] probabilities(double[] x) {
            return softmax(logits(x), temperature);
        }

        Model withTemperature(double t) {
            return new Model(weight, bias, t);
        }
    }

    /**
     * @param oofProbabilities out-of-fold probabilities at the chosen λ, after temperature scaling
     */
    public record Selection(double lambda, double temperature, double[] lambdas, double[] cvAccuracy, double[] cvLogLoss,
                            double[][] oofProbabilities) {
    }

    public static Model fit(double[][] x, int[] y, int classes, double lambda) {
        return fitPath(x, y, classes, new double[] {lambda}).getFirst();
    }

    /** Fits every λ in order, each starting from the previous solution (warm start, large λ first converges fastest). */
    static List<Model> fitPath(double[][] x, int[] y, int classes, double[] lambdas) {
        Standardizer std = Standardizer.of(x);
        DMatrixRMaj z = new DMatrixRMaj(std.apply(x));
        int d = x[0].length;
        double[] theta = new double[classes * (d + 1)];
        List<Model> out = new ArrayList<>();
        for (double lambda : lambdas) {
            Objective f = new Objective(z, y, classes, lambda);
            theta = Lbfgs.minimize(f, theta, MAX_ITERATIONS, 1e-5).x();
            double[][] w = new double[classes][];
            double[] b = new double[classes];
            for (int k = 0; k < classes; k++) {
                w[k] = java.util.Arrays.copyOfRange(theta, k * d, (k + 1) * d);
                b[k] = std.foldWeights(w[k], theta[classes * d + k]);
            }
            out.add(new Model(w, b, 1.0));
        }
        return out;
    }

    /** Chooses λ by stratified CV, then the temperature on the out-of-fold logits. Folds run in parallel. */
    public static Selection select(double[][] x, int[] y, int classes, int folds, long seed) {
        int[] fold = Folds.stratified(y, classes, folds, seed);
        double[] lambdas = LAMBDAS.clone();
        java.util.Arrays.sort(lambdas);
        double[] descending = new double[lambdas.length];
        for (int i = 0; i < lambdas.length; i++) {
            descending[i] = lambdas[lambdas.length - 1 - i];
        }
        double[][][] oofLogits = new double[descending.length][x.length][];
        List<List<Model>> paths = Folds.inParallel(fold, folds,
                (train, held) -> fitPath(Folds.rows(x, train), Folds.values(y, train), classes, descending));
        for (int f = 0; f < folds; f++) {
            for (int i : Folds.members(fold, f, true)) {
                for (int l = 0; l < descending.length; l++) {
                    oofLogits[l][i] = paths.get(f).get(l).logits(x[i]);
                }
            }
        }
        CvChoice choice = CvChoice.of(List.of(oofLogits), y);
        int best = choice.best();
        double t = fitTemperature(oofLogits[best], y);
        return new Selection(descending[best], t, descending, choice.accuracy(), choice.logLoss(), probabilities(oofLogits[best], t));
    }

    /** argmin_T NLL(softmax(logits/T)) by golden-section search on log T ∈ [-4, 4] (NLL is unimodal in T here). */
    static double fitTemperature(double[][] logits, int[] y) {
        double lo = -4;
        double hi = 4;
        double phi = (Math.sqrt(5) - 1) / 2;
        double a = hi - phi * (hi - lo);
        double b = lo + phi * (hi - lo);
        double fa = Metrics.logLoss(probabilities(logits, Math.exp(a)), y);
        double fb = Metrics.logLoss(probabilities(logits, Math.exp(b)), y);
        for (int i = 0; i < 80; i++) {
            if (fa < fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - phi * (hi - lo);
                fa = Metrics.logLoss(probabilities(logits, Math.exp(a)), y);
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + phi * (hi - lo);
                fb = Metrics.logLoss(probabilities(logits, Math.exp(b)), y);
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    static double[][] probabilities(double[][] logits, double t) {
        double[][] p = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            p[i] = softmax(logits[i], t);
        }
        return p;
    }

    static double[] softmax(double[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l / t);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int k = 0; k < p.length; k++) {
            p[k] = Math.exp(logits[k] / t - max);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return p;
    }

    /** Mean cross-entropy + λ/2·‖W‖² over θ = [W (K×d, row-major), b (K)]. */
    private static final class Objective implements Lbfgs.Objective {
        final DMatrixRMaj z;
        final int[] y;
        final int classes;
        final double lambda;
        final DMatrixRMaj w;
        final DMatrixRMaj logits;
        final DMatrixRMaj gw;

        Objective(DMatrixRMaj z, int[] y, int classes, double lambda) {
            this.z = z;
            this.y = y;
            this.classes = classes;
            this.lambda = lambda;
            this.w = new DMatrixRMaj(classes, z.numCols);
            this.logits = new DMatrixRMaj(z.numRows, classes);
            this.gw = new DMatrixRMaj(classes, z.numCols);
        }

        @Override
        public double valueAndGradient(double[] theta, double[] grad) {
            int d = z.numCols;
            int n = z.numRows;
            System.arraycopy(theta, 0, w.getData(), 0, classes * d);
            CommonOps_DDRM.multTransB(z, w, logits);
            double[] l = logits.getData();
            double loss = 0;
            double[] gb = new double[classes];
            for (int i = 0; i < n; i++) {
                int row = i * classes;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    l[row + k] += theta[classes * d + k];
                    max = Math.max(max, l[row + k]);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    sum += Math.exp(l[row + k] - max);
                }
                double logSum = max + Math.log(sum);
                loss += logSum - l[row + y[i]];
                for (int k = 0; k < classes; k++) {
                    double g = (Math.exp(l[row + k] - logSum) - (k == y[i] ? 1 : 0)) / n;
                    l[row + k] = g; // reuse as dLoss/dlogit
                    gb[k] += g;
                }
            }
            CommonOps_DDRM.multTransA(logits, z, gw);
            double[] g = gw.getData();
            double penalty = 0;
            for (int j = 0; j < classes * d; j++) {
                penalty += theta[j] * theta[j];
                grad[j] = g[j] + lambda * theta[j];
            }
            System.arraycopy(gb, 0, grad, classes * d, classes);
            return loss / n + 0.5 * lambda * penalty;
        }
    }
}
