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
 * class k (softmax depends on nothing else). Exact closed forms per head type, in double.
 */
public final class HeadGradient {

    /** {@code value} = a·h(x), {@code gradient} = ∇ₓ(a·h(x)). */
    public record Result(double value, double[] gradient) {
    }

    private HeadGradient() {
    }

    /** Whether {@link #of} can attribute this head (a softmax over a model's own logits cannot: no head weights). */
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
            case SoftmaxHead s -> {
                int k = s.classes();
                double[] a = new double[k];
                for (int c = 0; c < k; c++) {
                    a[c] = (c == target ? 1.0 : 0.0) - 1.0 / k;
                }
                yield weighted(s.logits(), x, a);
            }
            case CalibratedHead c -> of(c.inner(), x, target);
            default -> weighted(head, x, new double[] {1});
        };
    }

    /** a·h(x) and its gradient for the heads that compute logits / raw scores. */
    static Result weighted(Head head, float[] x, double[] a) {
        return switch (head) {
            case LinearHead l -> linear(l, x, a);
            case KernelHead k -> kernel(k, x, a);
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

    /**
     * KernelHead: s = Σᵢ (kᵢ − mean k)·coefᵢ + const with kᵢ = exp(−γ‖p − supᵢ‖²), p = P·x + b. With
     * cᵢ = a·coefᵢ: ∂(a·s)/∂p = Σᵢ (cᵢ − mean c)·(−2γ kᵢ (p − supᵢ)), then back through the projection.
     */
    private static Result kernel(KernelHead k, float[] x, double[] a) {
        float[] p = k.projection().apply(x);
        int n = k.supportMean().length;
        int dims = p.length;
        int outputs = k.bias().length;
        double[] c = new double[n];
        double cMean = 0;
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < outputs; o++) {
                c[i] += a[o] * k.coef()[i * outputs + o];
            }
            cMean += c[i];
        }
        cMean /= n;
        double[] dp = new double[dims];
        for (int i = 0; i < n; i++) {
            double d2 = 0;
            for (int j = 0, off = i * dims; j < dims; j++) {
                double t = p[j] - k.support()[off + j];
                d2 += t * t;
            }
            double w = (c[i] - cMean) * -2 * k.gamma() * Math.exp(-k.gamma() * d2);
            for (int j = 0, off = i * dims; j < dims; j++) {
                dp[j] += w * (p[j] - k.support()[off + j]);
            }
        }
        float[] s = k.apply(x);
        double value = 0;
        for (int o = 0; o < outputs; o++) {
            value += a[o] * s[o];
        }
        return new Result(value, linear(k.projection(), x, dp).gradient());
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
