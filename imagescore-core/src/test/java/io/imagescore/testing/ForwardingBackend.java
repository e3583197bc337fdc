package io.imagescore.testing;

import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/** A backend that delegates everything to a real one; tests override {@link #infer} to record or hold calls. */
public class ForwardingBackend implements ModelBackend {
    protected final ModelBackend inner;

    public ForwardingBackend(ModelBackend inner) {
        this.inner = inner;
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public void load(ModelSpec model) {
        inner.load(model);
    }

    @Override
    public java.util.List<io.imagescore.model.TensorSpec> inputs(ModelSpec model) {
        return inner.inputs(model);
    }

    @Override
    public ModelSpec mirroredVariant(ModelSpec model) {
        return inner.mirroredVariant(model);
    }

    @Override
    public boolean ready() {
        return inner.ready();
    }

    @Override
    public String notReadyReason() {
        return inner.notReadyReason();
    }

    @Override
    public Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
        return inner.infer(modelId, inputs, outputs, deadline);
    }

    @Override
    public void close() {
        inner.close();
    }
}
