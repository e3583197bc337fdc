package io.imagescore.explain;

import io.imagescore.head.CalibratedHead;
import io.imagescore.head.Head;
import io.imagescore.head.KernelHead;
import io.imagescore.head.LinearHead;
import io.imagescore.head.MlpHead;
import io.imagescore.head.SoftmaxHead;

/**
 * The value and input gradient of what an explanation attributes: a scalar head's raw output (before any
 * {@link CalibratedHead} calibration, which is monotone), or a classifier's centred logit {@code s_k − mean_j s_j} of
 * class k (softmax depends on nothing else). Exact closed forms per head type, in double: the gradient at x for
 * linear and MLP heads ({@link #of}), the integrated gradient from zero for kernel heads ({@link #integratedGradient}).
 */
public final class HeadGradient {

    /** {@code value} = a·h(x); {@code gradient} = ∇ₓ(a·h(x)), or its path average for {@link #integratedGradient}. */
    public record Result(double value, double[] gradient) {
    }

    private HeadGradient() {
    }

    /** Whether this class can attribute the head (a softmax over a model's own logits cannot: no head weights). */
    public static boolean supported(Head head) {
        return switch (head) {
            case SoftmaxHead s -> s.logits() != null && supported(s.logits());
            case CalibratedHead c -> supported(c.inner());
            case LinearHead l -> true;
            case KernelHead k -> !k.projection().l2Normalize();
            case MlpHead m -> true;
        };
    }

    /** For a scalar head (target −1) its raw output; for a classifier the centred logit of class {@code target}. */
    public static Result of(Head head, float[] x, int target) {
        return switch (head) {
            case SoftmaxHead s -> weighted(s.logits(), x, centred(s.classes(), target));
            case CalibratedHead c -> of(c.inner(), x, target);
            default -> weighted(head, x, new double[] {1});
        };
    }

    /** The weights a of class {@code target}'s centred logit s_target − mean_j s_j over {@code classes} logits. */
    private static double[] centred(int classes, int target) {
        double[] a = new double[classes];
        for (int c = 0; c < classes; c++) {
            a[c] = (c == target ? 1.0 : 0.0) - 1.0 / classes;
        }
        return a;
    }

    /** a·h(x) and its gradient for the heads that compute logits / raw scores. */
    static Result weighted(Head head, float[] x, double[] a) {
        return switch (head) {
            case LinearHead l -> linear(l, x, a);
            // a kernel head's gradient at one point is first order only: it is explained by integratedGradient
            case KernelHead k -> throw new IllegalArgumentException("kernel heads are explained by integratedGradient");
            case MlpHead m -> mlp(m, x, a);
            case CalibratedHead c -> weighted(c.inner(), x, a);
            case SoftmaxHead s -> throw new IllegalArgumentException("nested softmax head");
        };
    }

    private static Result linear(LinearHead l, float[] x, double[] a) {
        int in = l.inputDim();
        float[] xin = l.l2Normalize() ? Head.l2Normalized(x) : x;
        double[] g = new double[in];
        double value = 0;
        for (int o = 0; o < l.outputDim(); o++) {
            if (a[o] == 0) {
                continue;
            }
            double acc = l.bias()[o];
            for (int i = 0, row = o * in; i < in; i++) {
                g[i] += a[o] * l.weight()[row + i];
                acc += (double) l.weight()[row + i] * xin[i];
            }
            value += a[o] * acc;
        }
        return new Result(value, l.l2Normalize() ? throughL2(x, xin, g) : g);
    }

    /** ∇ₓ f(x/‖x‖) = (g − (g·x̂) x̂) / ‖x‖ for g = ∇f at x̂. */
    private static double[] throughL2(float[] x, float[] unit, double[] g) {
        double norm = 0;
        double dot = 0;
        for (int i = 0; i < x.length; i++) {
            norm += (double) x[i] * x[i];
            dot += g[i] * unit[i];
        }
        norm = Math.sqrt(norm);
        double[] out = new double[g.length];
        for (int i = 0; i < g.length && norm > 0; i++) {
            out[i] = (g[i] - dot * unit[i]) / norm;
        }
        return out;
    }

    /** Whether {@link #integratedGradient} attributes this head: RBF kernel heads, alone or under a softmax/calibration. */
    public static boolean integrated(Head head) {
        return switch (head) {
            case SoftmaxHead s -> s.logits() != null && integrated(s.logits());
            case CalibratedHead c -> integrated(c.inner());
            case KernelHead k -> !k.projection().l2Normalize();
            default -> false;
        };
    }

    /**
     * Integrated gradients from the zero-feature baseline, for {@link #integrated} heads (the target as in {@link #of}):
     * the value a·h(x̄) and the path-averaged gradient ḡ = ∫₀¹ ∇ₓ(a·h)(αx̄) dα, so that ḡ·x̄ = a·h(x̄) − a·h(0).
     */
    public static Result integratedGradient(Head head, float[] x, int target) {
        return switch (head) {
            case SoftmaxHead s -> kernelIntegrated((KernelHead) s.logits(), x, centred(s.classes(), target));
            case CalibratedHead c -> integratedGradient(c.inner(), x, target);
            case KernelHead k -> kernelIntegrated(k, x, new double[] {1});
            default -> throw new IllegalArgumentException("no integrated gradients for a " + head.type() + " head");
        };
    }

    /** 8-point Gauss–Legendre nodes and weights on [0, 1]. */
    private static final double[] GL_X;
    private static final double[] GL_W;

    static {
        double[] x = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
        double[] w = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};
        GL_X = new double[8];
        GL_W = new double[8];
        for (int i = 0; i < 4; i++) {
            GL_X[3 - i] = (1 - x[i]) / 2;
            GL_X[4 + i] = (1 + x[i]) / 2;
            GL_W[3 - i] = w[i] / 2;
            GL_W[4 + i] = w[i] / 2;
        }
    }

    /**
     * KernelHead along the straight path x(α) = αx̄: p(α) = b + αΔ (Δ = W x̄, the projection without its bias), so each
     * support vector's squared distance is the quadratic qᵢ(α) = ‖rᵢ‖² + 2α rᵢ·Δ + α²‖Δ‖² (rᵢ = b − supᵢ) and
     * ∇ₚ(a·s) = Σᵢ wᵢ (−2γ) kᵢ (rᵢ + αΔ) with wᵢ = cᵢ − mean c. Its integral needs only I0ᵢ = ∫ kᵢ and I1ᵢ = ∫ α kᵢ,
     * integrals of exp(−γ qᵢ(α)) over [0, 1], taken by composite 8-point Gauss–Legendre with panels of at most 4 in
     * γ·q (error ≈ 1e-12 relative): exact for the head's form to double rounding, for about the cost of two head
     * evaluations. Then ḡₓ = Wᵀ ḡₚ.
     */
    private static Result kernelIntegrated(KernelHead k, float[] x, double[] a) {
        LinearHead proj = k.projection();
        int n = k.supportMean().length;
        int dims = proj.outputDim();
        int in = proj.inputDim();
        int outputs = k.bias().length;
        float[] support = k.support();
        double[] delta = new double[dims];
        for (int j = 0; j < dims; j++) {
            double acc = 0;
            for (int i = 0, row = j * in; i < in; i++) {
                acc += (double) proj.weight()[row + i] * x[i];
            }
            delta[j] = acc;
        }
        double deltaSq = 0;
        for (double d : delta) {
            deltaSq += d * d;
        }
        double[] w = new double[n];
        double wMean = 0;
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < outputs; o++) {
                w[i] += a[o] * k.coef()[i * outputs + o];
            }
            wMean += w[i];
        }
        wMean /= n;
        double gamma = k.gamma();
        double[] rSq = new double[n];
        double[] rDelta = new double[n];
        double maxSlope = 0;
        for (int i = 0; i < n; i++) {
            double sq = 0;
            double dot = 0;
            for (int j = 0, off = i * dims; j < dims; j++) {
                double r = proj.bias()[j] - support[off + j];
                sq += r * r;
                dot += r * delta[j];
            }
            rSq[i] = sq;
            rDelta[i] = dot;
            maxSlope = Math.max(maxSlope, Math.abs(2 * dot));
        }
        int panels = (int) Math.max(1, Math.ceil(gamma * (maxSlope + deltaSq) / 4));
        double[] wI0 = new double[n];
        double sumWI1 = 0;
        // the value from the same distances at α = 1 (no second pass over the support vectors): as KernelHead.apply,
        // a·s = Σᵢ (kᵢ − mean k − supportMeanᵢ + kernelMean)·cᵢ + a·bias, in double
        double kSum = 0;
        double kw = 0;
        double constant = 0;
        for (int o = 0; o < outputs; o++) {
            constant += a[o] * k.bias()[o];
        }
        for (int i = 0; i < n; i++) {
            double ki = Math.exp(-gamma * (rSq[i] + 2 * rDelta[i] + deltaSq));
            kSum += ki;
            kw += ki * w[i];
            constant += (k.kernelMean() - k.supportMean()[i]) * w[i];
        }
        double value = kw - kSum / n * (wMean * n) + constant;
        for (int i = 0; i < n; i++) {
            double i0 = 0;
            double i1 = 0;
            for (int p = 0; p < panels; p++) {
                for (int q = 0; q < GL_X.length; q++) {
                    double alpha = (p + GL_X[q]) / panels;
                    double kv = GL_W[q] / panels * Math.exp(-gamma * (rSq[i] + alpha * (2 * rDelta[i] + alpha * deltaSq)));
                    i0 += kv;
                    i1 += alpha * kv;
                }
            }
            double wi = -2 * gamma * (w[i] - wMean);
            wI0[i] = wi * i0;
            sumWI1 += wi * i1;
        }
        double[] gp = new double[dims];
        for (int j = 0; j < dims; j++) {
            gp[j] = sumWI1 * delta[j];
        }
        for (int i = 0; i < n; i++) {
            double c = wI0[i];
            for (int j = 0, off = i * dims; j < dims; j++) {
                gp[j] += c * (proj.bias()[j] - support[off + j]);
            }
        }
        return new Result(value, linear(proj, x, gp).gradient());
    }

    /** Forward pass keeping each layer's input, then back-propagation of a through the layers (ReLU masks). */
    private static Result mlp(MlpHead m, float[] x, double[] a) {
        float[] h = m.l2Normalize() ? Head.l2Normalized(x) : x;
        float[][] inputs = new float[m.layers().size()][];
        for (int i = 0; i < m.layers().size(); i++) {
            MlpHead.Layer l = m.layers().get(i);
            inputs[i] = h;
            h = Head.affine(l.weight(), l.bias(), l.outDim(), l.inDim(), h);
            if (m.activation() == MlpHead.Activation.RELU && i < m.layers().size() - 1) {
                for (int j = 0; j < h.length; j++) {
                    h[j] = Math.max(0f, h[j]);
                }
            }
        }
        double value = 0;
        for (int o = 0; o < h.length; o++) {
            value += a[o] * h[o];
        }
        double[] g = a;
        for (int i = m.layers().size() - 1; i >= 0; i--) {
            MlpHead.Layer l = m.layers().get(i);
            double[] prev = new double[l.inDim()];
            for (int o = 0; o < l.outDim(); o++) {
                for (int j = 0, row = o * l.inDim(); j < l.inDim(); j++) {
                    prev[j] += g[o] * l.weight()[row + j];
                }
            }
            if (i > 0 && m.activation() == MlpHead.Activation.RELU) {
                for (int j = 0; j < prev.length; j++) {
                    if (inputs[i][j] <= 0) {
                        prev[j] = 0;
                    }
                }
            }
            g = prev;
        }
        return new Result(value, m.l2Normalize() ? throughL2(x, inputs[0], g) : g);
    }
}
