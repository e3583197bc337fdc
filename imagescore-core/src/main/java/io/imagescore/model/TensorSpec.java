package io.imagescore.model;

import java.util.List;

/** Name, data type and shape of a model input or output; -1 marks a dynamic dimension (the batch). */
public record TensorSpec(String name, Tensor.DataType type, List<Long> shape) {
    public TensorSpec {
        shape = List.copyOf(shape);
    }
}
