package io.imagescore.model.triton;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.triton.ModelBatcher.Pending;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.imagescore.model.triton.TritonErrors.tritonModel;

/** Batch assembly for ModelInfer: caller tensors checked against the spec, the batched request, the decoded answer. */
final class TritonRequests {

    private TritonRequests() {
    }

    /** Returns the batch size. Rejects here what Triton would reject, with the same facts in the message. */
    static int validateInputs(ModelSpec spec, Map<String, Tensor> inputs) {
        int rows = -1;
        for (TensorSpec in : spec.tritonInputs()) {
            Tensor t = inputs.get(in.name());
            if (t == null) {
                throw rejected("model " + spec.id() + " needs input '" + in.name() + "', got " + inputs.keySet());
            }
            if (t.type() != in.type()) {
                throw rejected("input '" + in.name() + "' of model " + spec.id() + " is " + t.type() + ", expected " + in.type());
            }
            long[] shape = t.shape();
            boolean ok = shape.length == in.shape().size() && shape.length >= 1 && shape[0] >= 1;
            for (int i = 1; ok && i < shape.length; i++) {
                long want = in.shape().get(i);
                ok = want < 0 || want == shape[i];
            }
            if (!ok) {
                throw rejected("input '" + in.name() + "' of model " + spec.id() + " has shape "
                        + java.util.Arrays.toString(shape) + ", expected " + in.shape() + " with batch >= 1");
            }
            if (rows >= 0 && shape[0] != rows) {
                throw rejected("inputs of model " + spec.id() + " disagree on the batch size: " + rows + " vs "
                        + shape[0] + " for '" + in.name() + "'");
            }
            rows = (int) shape[0];
        }
        if (inputs.size() != spec.tritonInputs().size()) {
            Set<String> extra = new LinkedHashSet<>(inputs.keySet());
            spec.tritonInputs().forEach(i -> extra.remove(i.name()));
            throw rejected("model " + spec.id() + " has no input(s) " + extra);
        }
        return rows;
    }

    static Set<String> validateOutputs(ModelSpec spec, Set<String> outputs) {
        if (outputs == null || outputs.isEmpty()) {
            return spec.outputs().stream().map(TensorSpec::name).collect(Collectors.toCollection(LinkedHashSet::new));
        }
        for (String o : outputs) {
            if (spec.outputs().stream().noneMatch(s -> s.name().equals(o))) {
                throw rejected("model " + spec.id() + " has no output '" + o + "'");
            }
        }
        return outputs;
    }

    private static ImageScoreException rejected(String message) {
        return new ImageScoreException(ErrorCode.BACKEND_REJECTED, message);
    }

    /** One ModelInfer carrying every member's rows (raw little-endian contents, each input in its wire type). */
    static ModelInferRequest build(ModelSpec spec, Map<String, String> wireTypes, List<Pending> members, int rows,
                               List<String> outputs, String id) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder()
                .setModelName(spec.tritonName())
                .setModelVersion(spec.tritonVersion() == null ? "" : spec.tritonVersion())
                .setId(id);
        for (TensorSpec in : spec.tritonInputs()) {
            String datatype = wireTypes.get(in.name());
            long[] shape = members.getFirst().inputs.get(in.name()).shape();
            shape[0] = rows;
            var tensor = b.addInputsBuilder().setName(in.name()).setDatatype(datatype);
            for (long d : shape) {
                tensor.addShape(d);
            }
            b.addRawInputContents(KserveTensors.encode(members.stream().map(p -> p.inputs.get(in.name())).toList(), datatype));
        }
        outputs.forEach(o -> b.addOutputsBuilder().setName(o));
        return b.build();
    }


    /** The answer's outputs by name, checked against the spec (batch {@code rows}); typed or raw contents. */
    static Map<String, Tensor> decode(ModelSpec spec, ModelInferResponse response, int rows, List<String> outputs) {
        int raw = response.getRawOutputContentsCount();
        if (raw > 0 && raw != response.getOutputsCount()) {
            throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, tritonModel(spec) + " answered "
                    + response.getOutputsCount() + " outputs but " + raw + " raw_output_contents");
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
            index.put(response.getOutputs(i).getName(), i);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : outputs) {
            Integer i = index.get(name);
            if (i == null) {
                throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, tritonModel(spec)
                        + " answered without output '" + name + "' (got " + index.keySet() + ")");
            }
            var o = response.getOutputs(i);
            String what = "output '" + name + "' of " + tritonModel(spec);
            long[] shape = o.getShapeList().stream().mapToLong(Long::longValue).toArray();
            TensorSpec expected = spec.output(name);
            boolean ok = shape.length == expected.shape().size() && shape.length >= 1 && shape[0] == rows;
            for (int d = 1; ok && d < shape.length; d++) {
                ok = expected.shape().get(d) < 0 || expected.shape().get(d) == shape[d];
            }
            if (!ok) {
                throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, what + " has shape "
                        + java.util.Arrays.toString(shape) + ", expected " + expected.shape() + " with batch " + rows);
            }
            if (!KserveTensors.decodable(o.getDatatype(), expected.type())) {
                throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, what + " is " + o.getDatatype()
                        + ", expected " + expected.type());
            }
            out.put(name, raw > 0
                    ? KserveTensors.decodeRaw(response.getRawOutputContents(i), o.getDatatype(), shape, what)
                    : KserveTensors.decodeTyped(o.getContents(), o.getDatatype(), shape, what));
        }
        return out;
    }
}
