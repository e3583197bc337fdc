package io.imagescore.model;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * Runs a named model on a batch of tensors. Implementations: {@code model.onnx.OnnxBackend} (embedded ONNX Runtime,
 * the default) and {@code model.triton.TritonBackend} (Triton over KServe-v2 gRPC). Chosen by {@code imagescore.backend}.
 * Failures are {@link io.imagescore.error.ImageScoreException}s with a backend error code.
 */
public interface ModelBackend extends AutoCloseable {

    /** "onnx" or "triton": reported in pack descriptions and metrics. */
    String kind();

    /** The inputs this backend feeds {@code model} (the Triton backend: its Triton variant's, e.g. UINT8 pixels). */
    default java.util.List<TensorSpec> inputs(ModelSpec model) {
        return model.inputs();
    }

    /**
     * The variant of {@code model} this backend serves that returns every output for each row as sent and mirrored
     * left-right ({@link ModelSpec#mirrored()}: outputs [N, 2, …]), so a caller sends a view once for it and its
     * {@code *_flip} view; null when there is none. The embedded backend has none: it has no wire, and the flipped
     * tensor costs no more than the second row would.
     */
    default ModelSpec mirroredVariant(ModelSpec model) {
        return null;
    }

    /** Prepares a model (creates the session, or checks Triton's metadata against the spec). Called once at start-up. */
    void load(ModelSpec model);

    /** True when every loaded model can serve. Cheap: health probes and the readiness publisher call it often. */
    boolean ready();

    /** Null when {@link #ready()}, else why not (reported in the readiness data and the log). */
    default String notReadyReason() {
        return ready() ? null : "the " + kind() + " backend is not ready";
    }

    /**
     * How long before the caller's deadline a remote backend gives up (each Triton ModelInfer carries the caller's
     * remaining time less this), so its answer or its BACKEND_TIMEOUT is back before the caller's deadline passes.
     */
    java.time.Duration DEADLINE_MARGIN = java.time.Duration.ofMillis(20);

    /**
     * Runs {@code modelId} on {@code inputs} (first dimension = batch, at most the model's max batch) and returns the
     * requested outputs by name. {@code deadline} may be null (no deadline); a remote backend gives up
     * {@link #DEADLINE_MARGIN} before it with BACKEND_TIMEOUT.
     */
    Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline);

    @Override
    void close();
}
