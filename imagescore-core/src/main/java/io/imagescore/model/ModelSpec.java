package io.imagescore.model;

import java.nio.file.Path;
import java.util.List;

/**
 * One model as a pack declares it. {@code id} is unique across packs ("pack/encoder"); the embedded backend loads
 * {@code file}, the Triton backend addresses {@code tritonName} (and optionally {@code tritonVersion}).
 * {@code tritonInputs} are the inputs of the Triton model when they differ from the file's (a UINT8-pixel variant that
 * normalises inside its graph, so a quarter of the bytes travel); otherwise they equal {@code inputs}.
 * {@code mirrored} (null when there is none) is the model's Triton variant that computes every row twice, as sent and
 * mirrored left-right: the same inputs, each output with an orientation axis after the batch ([N, 2, …], 1 = mirrored),
 * so a view and its {@code *_flip} view travel once ({@link ModelBackend#mirroredVariant}).
 */
public record ModelSpec(String id, Path file, String tritonName, String tritonVersion,
                        List<TensorSpec> inputs, List<TensorSpec> outputs, int maxBatch, List<TensorSpec> tritonInputs,
                        ModelSpec mirrored) {
    public ModelSpec {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        tritonInputs = tritonInputs == null ? inputs : List.copyOf(tritonInputs);
    }

    /** A model without a mirrored variant. */
    public ModelSpec(String id, Path file, String tritonName, String tritonVersion, List<TensorSpec> inputs,
                     List<TensorSpec> outputs, int maxBatch, List<TensorSpec> tritonInputs) {
        this(id, file, tritonName, tritonVersion, inputs, outputs, maxBatch, tritonInputs, null);
    }

    /** A model whose Triton variant takes the same inputs as its file. */
    public ModelSpec(String id, Path file, String tritonName, String tritonVersion, List<TensorSpec> inputs,
                     List<TensorSpec> outputs, int maxBatch) {
        this(id, file, tritonName, tritonVersion, inputs, outputs, maxBatch, null, null);
    }

    public TensorSpec output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("model " + id + " has no output '" + name + "'"));
    }
}
