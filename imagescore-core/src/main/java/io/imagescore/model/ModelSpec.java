package io.imagescore.model;

import java.nio.file.Path;
import java.util.List;

/**
 * One model as a pack declares it. {@code id} is unique across packs ("pack/encoder"); the embedded backend loads
 * {@code file}, the Triton backend addresses {@code tritonName} (and optionally {@code tritonVersion}).
 */
public record ModelSpec(String id, Path file, String tritonName, String tritonVersion,
                        List<TensorSpec> inputs, List<TensorSpec> outputs, int maxBatch) {
    public ModelSpec {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public TensorSpec output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("model " + id + " has no output '" + name + "'"));
    }
}
