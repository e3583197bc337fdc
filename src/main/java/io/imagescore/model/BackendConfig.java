package io.imagescore.model;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "imagescore.backend")
public interface BackendConfig {

    /** onnx (embedded ONNX Runtime, the default) or triton. */
    @WithDefault("onnx")
    String kind();

    Onnx onnx();

    interface Onnx {
        /** Intra-op threads per inference; 0 = all cores. */
        @WithDefault("0")
        int intraOpThreads();
    }
}
