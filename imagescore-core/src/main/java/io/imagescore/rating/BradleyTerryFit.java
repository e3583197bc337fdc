package io.imagescore.rating;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.Arrays;

/**
 * The maximum a posteriori scores of the Bradley–Terry model (Rao–Kupper ties) under independent Gaussian priors,
 * and the diagonal of the negative Hessian there (Laplace approximation):
 *
 * <pre>
 *   maximise F(s) = Σ_j log P(y_j | s_{a_j} − s_{b_j}) − Σ_i (s_i − μ0_i)² / (2·v0_i)
 * </pre>
 *
 * by Newton's method; each step solves (P + Σ_j w_j (e_a − e_b)(e_a − e_b)ᵀ) δ = ∇F, w_j = −∂² log P / ∂d², by
 * conjugate gradients with a diagonal preconditioner (O(judgements) per iteration, no n × n matrix), then halves
 * the step until F does not fall. F is strictly concave (log-concave likelihoods, Gaussian prior), so the maximum is
 * unique and any start converges; a warm start (the current means) needs few steps. Work is bounded by
 * {@value #MAX_NEWTON} Newton steps of at most {@value #MAX_CG} CG iterations.
 */
final class BradleyTerryFit {
    private static final int MAX_NEWTON = 30;
    private static final int MAX_CG = 300;

    private BradleyTerryFit() {
    }

    /** The judgements, stored compactly (item indexes as shown and the outcome). */
    static final class Judgements {
        private int[] first = new int[64];
        private int[] second = new int[64];
        private byte[] outcome = new byte[64];
        private int size;

        void add(int a, int b, PairOutcome y) {
            if (size == first.length) {
                first = Arrays.copyOf(first, 2 * size);
                second = Arrays.copyOf(second, 2 * size);
                outcome = Arrays.copyOf(outcome, 2 * size);
            }
            first[size] = a;
            second[size] = b;
            outcome[size] = (byte) y.ordinal();
            size++;
        }

        int size() {
            return size;
        }

        int first(int j) {
            return first[j];
        }

        int second(int j) {
            return second[j];
        }

        PairOutcome outcome(int j) {
            return OUTCOMES[outcome[j]];
        }
    }

    private static final PairOutcome[] OUTCOMES = PairOutcome.values();

    /**
     * @param start     where Newton's method starts (not changed)
     * @param precision out: the diagonal of −∇²F at the maximum (1 / Laplace variance, ignoring correlations)
     * @return the maximising scores
     */
    static double[] fit(double[] start, double[] priorMean, double[] priorVar, Judgements js, double tieMargin,
                        double[] precision) {
        int n = start.length;
        double[] s = start.clone();
        double[] grad = new double[n];
        double[] w = new double[js.size];
        double[] step = new double[n];
        double[] trial = new double[n];
        double value = evaluate(s, priorMean, priorVar, js, tieMargin, grad, w, precision);
        for (int it = 0; it < MAX_NEWTON; it++) {
            solve(w, js, priorVar, precision, grad, step);
            double t = 1;
            double next;
            while (true) {
                for (int i = 0; i < n; i++) {
                    trial[i] = s[i] + t * step[i];
                }
                next = evaluate(trial, priorMean, priorVar, js, tieMargin, null, null, null);
                if (next >= value - 1e-12 * Math.abs(value) || t < 1e-6) {
                    break;
                }
                t /= 2;
            }
            double moved = 0;
            for (int i = 0; i < n; i++) {
                moved = Math.max(moved, Math.abs(trial[i] - s[i]));
            }
            System.arraycopy(trial, 0, s, 0, n);
            value = evaluate(s, priorMean, priorVar, js, tieMargin, grad, w, precision);
            if (moved < 1e-7) {
                break;
            }
        }
        return s;
    }

    /**
     * The Laplace covariance at {@code s} (the maximum): (−∇²F)⁻¹ = (P + Σ_j w_j (e_a − e_b)(e_a − e_b)ᵀ)⁻¹, P the
     * prior precisions, n × n row-major. Dense Cholesky inversion, O(n³) (about 0.05 s at 500 items).
     */
    static double[] covariance(double[] s, double[] priorVar, Judgements js, double tieMargin) {
        int n = s.length;
        DMatrixRMaj h = new DMatrixRMaj(n, n);
        double[] d = h.data;
        for (int i = 0; i < n; i++) {
            d[i * n + i] = 1 / priorVar[i];
        }
        double[] ll = new double[3];
        for (int j = 0; j < js.size; j++) {
            int a = js.first[j];
            int b = js.second[j];
            BradleyTerry.logLikelihood(OUTCOMES[js.outcome[j]], s[a] - s[b], tieMargin, ll);
            double w = -ll[2];
            d[a * n + a] += w;
            d[b * n + b] += w;
            d[a * n + b] -= w;
            d[b * n + a] -= w;
        }
        DMatrixRMaj inverse = new DMatrixRMaj(n, n);
        if (!CommonOps_DDRM.invertSPD(h, inverse)) {
            // cannot happen for positive prior variances (P is positive definite, each w_j ≥ 0); kept explicit
            throw new IllegalStateException("the posterior precision is not positive definite");
        }
        return inverse.data;
    }

    /** F(s); when {@code grad} is given also ∇F, the weights w_j and the diagonal of −∇²F. */
    private static double evaluate(double[] s, double[] priorMean, double[] priorVar, Judgements js, double eps,
                                   double[] grad, double[] w, double[] diag) {
        double f = 0;
        for (int i = 0; i < s.length; i++) {
            double r = s[i] - priorMean[i];
            f -= r * r / (2 * priorVar[i]);
            if (grad != null) {
                grad[i] = -r / priorVar[i];
                diag[i] = 1 / priorVar[i];
            }
        }
        double[] ll = new double[3];
        for (int j = 0; j < js.size; j++) {
            int a = js.first[j];
            int b = js.second[j];
            BradleyTerry.logLikelihood(OUTCOMES[js.outcome[j]], s[a] - s[b], eps, ll);
            f += ll[0];
            if (grad != null) {
                grad[a] += ll[1];
                grad[b] -= ll[1];
                w[j] = -ll[2];
                diag[a] += w[j];
                diag[b] += w[j];
            }
        }
        return f;
    }

    /** Preconditioned conjugate gradients for (P + Σ w_j (e_a − e_b)(e_a − e_b)ᵀ) x = rhs. */
    private static void solve(double[] w, Judgements js, double[] priorVar, double[] diag, double[] rhs, double[] x) {
        int n = rhs.length;
        Arrays.fill(x, 0);
        double[] r = rhs.clone();
        double[] z = new double[n];
        double[] p = new double[n];
        double[] ap = new double[n];
        double rz = 0;
        double rr0 = 0;
        for (int i = 0; i < n; i++) {
            z[i] = r[i] / diag[i];
            p[i] = z[i];
            rz += r[i] * z[i];
            rr0 += r[i] * r[i];
        }
        for (int it = 0; it < MAX_CG && rz > 0; it++) {
            for (int i = 0; i < n; i++) {
                ap[i] = p[i] / priorVar[i];
            }
            for (int j = 0; j < js.size; j++) {
                int a = js.first[j];
                int b = js.second[j];
                double t = w[j] * (p[a] - p[b]);
                ap[a] += t;
                ap[b] -= t;
            }
            double pap = 0;
            for (int i = 0; i < n; i++) {
                pap += p[i] * ap[i];
            }
            double alpha = rz / pap;
            double rr = 0;
            double rzNext = 0;
            for (int i = 0; i < n; i++) {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
                rr += r[i] * r[i];
                z[i] = r[i] / diag[i];
                rzNext += r[i] * z[i];
            }
            if (rr <= 1e-20 * rr0) {
                break;
            }
            double beta = rzNext / rz;
            rz = rzNext;
            for (int i = 0; i < n; i++) {
                p[i] = z[i] + beta * p[i];
            }
        }
    }
}
