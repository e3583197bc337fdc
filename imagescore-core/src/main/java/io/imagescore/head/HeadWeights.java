package io.imagescore.head;

import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;

/** Builds heads from safetensors weights (the key layout of LAION's and our fitted heads). */
public final class HeadWeights {
    private HeadWeights() {
    }

    /** Keys {@code weight} [out,in] and {@code bias} [out]. */
    public static LinearHead linear(Map<String, Safetensors.F32> w, boolean l2) {
        Safetensors.F32 weight = require(w, "weight");
        Safetensors.F32 bias = require(w, "bias");
        return new LinearHead(weight.data(), bias.data(), weight.rows(), weight.cols(), l2);
    }

    /** Keys {@code layers.<i>.weight/bias}, applied in index order. */
    public static MlpHead mlp(Map<String, Safetensors.F32> w, boolean l2, MlpHead.Activation activation) {
        // LAION's keys are layers.{0,2,4,6,7}.{weight,bias}: the gaps are dropout/activation modules without weights.
        TreeMap<Integer, MlpHead.Layer> layers = new TreeMap<>();
        for (String key : w.keySet()) {
            if (!key.matches("layers\\.\\d+\\.weight")) {
                if (!key.matches("layers\\.\\d+\\.bias")) {
                    throw new IllegalArgumentException("unexpected tensor '" + key + "' (mlp heads use layers.<i>.weight/bias)");
                }
                continue;
            }
            int i = Integer.parseInt(key.split("\\.")[1]);
            Safetensors.F32 weight = w.get(key);
            Safetensors.F32 bias = require(w, "layers." + i + ".bias");
            layers.put(i, new MlpHead.Layer(weight.data(), bias.data(), weight.rows(), weight.cols()));
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("mlp head has no layers.<i>.weight tensors");
        }
        return new MlpHead(new ArrayList<>(layers.values()), activation, l2);
    }

    /**
     * Keys {@code projection.weight} [P,d], {@code projection.bias} [P], {@code support} [n,P],
     * {@code support_mean} [n], {@code coef} [n,K], {@code bias} [K] (see {@link KernelHead}).
     */
    public static KernelHead kernel(Map<String, Safetensors.F32> w, boolean l2, float gamma, float kernelMean) {
        Safetensors.F32 pw = require(w, "projection.weight");
        LinearHead projection = new LinearHead(pw.data(), require(w, "projection.bias").data(), pw.rows(), pw.cols(), l2);
        return new KernelHead(projection, require(w, "support").data(), require(w, "support_mean").data(), kernelMean,
                require(w, "coef").data(), require(w, "bias").data(), gamma);
    }

    private static Safetensors.F32 require(Map<String, Safetensors.F32> w, String key) {
        Safetensors.F32 t = w.get(key);
        if (t == null) {
            throw new IllegalArgumentException("weights lack tensor '" + key + "' (have " + w.keySet() + ")");
        }
        return t;
    }

}
