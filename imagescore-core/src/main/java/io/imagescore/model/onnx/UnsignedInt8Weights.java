package io.imagescore.model.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the signed int8 weights of an ONNX model's {@code QLinearConv} / {@code QLinearMatMul} nodes as uint8
 * (value + 128, zero point + 128): the dequantised weights {@code (w - zp) * scale} are unchanged, so the model is
 * the same function, but ONNX Runtime then runs its u8u8 kernels.
 * <p>
 * Why: on x86-64 CPUs with AVX2 but without AVX-512 VNNI, ORT's u8s8 kernels use {@code vpmaddubsw}, which saturates
 * pairs of products at int16, while VNNI CPUs accumulate exactly. The same model then gives different features on
 * different machines (the kitchen photo's ImageNet top-1 flips between "stove" and "microwave"). The u8u8 kernels
 * widen to int16 before multiplying and never saturate, so every x86-64 CPU computes the exact integer result — the
 * one VNNI CPUs give with the original model. Measured cost and the check under an emulated AVX2-only CPU:
 * {@code docs/heads.md} ("CPU-independent features").
 * <p>
 * The model is edited as raw protobuf fields (field numbers from onnx.proto) so no generated ONNX classes are needed;
 * only top-level graph initializers whose every use is a weight or weight zero point of those two operators change.
 */
public final class UnsignedInt8Weights {

    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OP_TYPE = 4;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int UINT8 = 2;
    private static final int INT8 = 3;

    /** Operators whose inputs 3 and 5 are the weight and its zero point (ONNX QLinearConv, QLinearMatMul). */
    private static final Set<String> WEIGHT_OPS = Set.of("QLinearConv", "QLinearMatMul");
    private static final Set<Integer> WEIGHT_INPUTS = Set.of(3, 5);

    /** The result: the model bytes to load and how many initializers were rewritten (0 = the input unchanged). */
    public record Result(byte[] model, int rewritten) {
    }

    private UnsignedInt8Weights() {
    }

    public static Result rewrite(byte[] onnxModel) throws InvalidProtocolBufferException {
        UnknownFieldSet model = UnknownFieldSet.parseFrom(onnxModel);
        List<ByteString> graphs = model.getField(MODEL_GRAPH).getLengthDelimitedList();
        if (graphs.size() != 1) {
            return new Result(onnxModel, 0);
        }
        UnknownFieldSet graph = UnknownFieldSet.parseFrom(graphs.get(0));
        Set<String> candidates = new HashSet<>();
        Set<String> otherUses = new HashSet<>();
        for (ByteString nodeBytes : graph.getField(GRAPH_NODE).getLengthDelimitedList()) {
            UnknownFieldSet node = UnknownFieldSet.parseFrom(nodeBytes);
            String op = string(node, NODE_OP_TYPE);
            List<ByteString> inputs = node.getField(NODE_INPUT).getLengthDelimitedList();
            for (int i = 0; i < inputs.size(); i++) {
                String name = inputs.get(i).toStringUtf8();
                (WEIGHT_OPS.contains(op) && WEIGHT_INPUTS.contains(i) ? candidates : otherUses).add(name);
            }
        }
        candidates.removeAll(otherUses);

        List<ByteString> initializers = graph.getField(GRAPH_INITIALIZER).getLengthDelimitedList();
        List<ByteString> rewritten = new ArrayList<>(initializers.size());
        int count = 0;
        for (ByteString tensorBytes : initializers) {
            UnknownFieldSet tensor = UnknownFieldSet.parseFrom(tensorBytes);
            if (candidates.contains(string(tensor, TENSOR_NAME)) && dataType(tensor) == INT8) {
                rewritten.add(toUnsigned(tensor).toByteString());
                count++;
            } else {
                rewritten.add(tensorBytes);
            }
        }
        if (count == 0) {
            return new Result(onnxModel, 0);
        }
        UnknownFieldSet newGraph = UnknownFieldSet.newBuilder(graph)
                .addField(GRAPH_INITIALIZER, lengthDelimited(rewritten)).build();
        UnknownFieldSet newModel = UnknownFieldSet.newBuilder(model)
                .addField(MODEL_GRAPH, lengthDelimited(List.of(newGraph.toByteString()))).build();
        return new Result(newModel.toByteArray(), count);
    }

    private static UnknownFieldSet toUnsigned(UnknownFieldSet tensor) {
        byte[] values;
        List<ByteString> raw = tensor.getField(TENSOR_RAW_DATA).getLengthDelimitedList();
        if (!raw.isEmpty()) {
            values = raw.get(0).toByteArray();
        } else {
            // int32_data holds int8 values sign-extended, packed (one length-delimited blob) or unpacked (varints)
            List<Long> ints = int32Data(tensor);
            values = new byte[ints.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (byte) ints.get(i).intValue();
            }
        }
        byte[] shifted = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            shifted[i] = (byte) (values[i] + 128); // int8 v -> uint8 v + 128, as a byte: flip the sign bit
        }
        Map<Integer, UnknownFieldSet.Field> fields = new HashMap<>(tensor.asMap());
        fields.remove(TENSOR_INT32_DATA);
        fields.put(TENSOR_DATA_TYPE, UnknownFieldSet.Field.newBuilder().addVarint(UINT8).build());
        fields.put(TENSOR_RAW_DATA, lengthDelimited(List.of(ByteString.copyFrom(shifted))));
        UnknownFieldSet.Builder b = UnknownFieldSet.newBuilder();
        fields.forEach(b::addField);
        return b.build();
    }

    private static List<Long> int32Data(UnknownFieldSet tensor) {
        UnknownFieldSet.Field f = tensor.getField(TENSOR_INT32_DATA);
        List<Long> out = new ArrayList<>(f.getVarintList());
        for (ByteString packed : f.getLengthDelimitedList()) {
            var in = packed.newCodedInput();
            try {
                while (!in.isAtEnd()) {
                    out.add((long) in.readInt32());
                }
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("malformed int32_data in an ONNX tensor", e);
            }
        }
        return out;
    }

    private static int dataType(UnknownFieldSet tensor) {
        List<Long> v = tensor.getField(TENSOR_DATA_TYPE).getVarintList();
        return v.isEmpty() ? 0 : v.get(0).intValue();
    }

    private static String string(UnknownFieldSet message, int field) {
        List<ByteString> v = message.getField(field).getLengthDelimitedList();
        return v.isEmpty() ? "" : v.get(0).toStringUtf8();
    }

    private static UnknownFieldSet.Field lengthDelimited(List<ByteString> values) {
        UnknownFieldSet.Field.Builder f = UnknownFieldSet.Field.newBuilder();
        values.forEach(f::addLengthDelimited);
        return f.build();
    }
}
