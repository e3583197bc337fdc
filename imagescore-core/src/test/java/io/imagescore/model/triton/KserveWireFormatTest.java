package io.imagescore.model.triton;

import io.imagescore.model.triton.v2.InferParameter;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves our .proto's field numbers and wire types against the KServe-v2 facts: the bytes here are assembled by hand
 * from (field number, wire type) pairs of ../shared/docs/kserve-v2-protocol.md §1.3, never by the generated encoder.
 */
class KserveWireFormatTest {

    private static final int VARINT = 0;
    private static final int LEN = 2;

    /** A minimal protobuf writer: tags, varints and length-delimited fields, nothing else. */
    private static final class Pb {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pb tag(int field, int wireType) {
            return varint((long) field << 3 | wireType);
        }

        Pb varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Pb varintField(int field, long v) {
            return tag(field, VARINT).varint(v);
        }

        Pb bytesField(int field, byte[] b) {
            tag(field, LEN).varint(b.length);
            out.writeBytes(b);
            return this;
        }

        Pb string(int field, String s) {
            return bytesField(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Pb message(int field, Pb sub) {
            return bytesField(field, sub.bytes());
        }

        /** proto3 packs repeated scalars: one LEN field holding the varints back to back. */
        Pb packedVarints(int field, long... values) {
            Pb inner = new Pb();
            for (long v : values) {
                inner.varint(v);
            }
            return bytesField(field, inner.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A map entry is a nested message {1: key, 2: value}. */
    private static Pb mapEntry(String key, Pb value) {
        return new Pb().string(1, key).message(2, value);
    }

    @Test
    void hand_assembled_model_infer_request_decodes_into_the_generated_class() throws Exception {
        // input 0: FP32 [1, 2] = {1.0, -2.5}, little-endian IEEE-754, written out byte by byte
        byte[] pixels = {0x00, 0x00, (byte) 0x80, 0x3F, 0x00, 0x00, 0x20, (byte) 0xC0};
        // input 1: INT64 [1, 2] = {49406, -1}
        byte[] ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(49406).putLong(-1).array();

        byte[] wire = new Pb()
                .string(1, "clip_image")                                       // model_name
                .string(2, "3")                                                // model_version
                .string(3, "req-42")                                           // id
                .message(4, mapEntry("priority", new Pb().varintField(2, 1)))  // parameters: int64_param
                .message(4, mapEntry("binary_data_output", new Pb().varintField(1, 1)))   // bool_param
                .message(4, mapEntry("note", new Pb().string(3, "fast")))     // string_param
                .message(5, new Pb()                                           // inputs[0]
                        .string(1, "pixel_values").string(2, "FP32").packedVarints(3, 1, 2)
                        .message(4, mapEntry("shm", new Pb().varintField(1, 0))))
                .message(5, new Pb().string(1, "input_ids").string(2, "INT64").packedVarints(3, 1, 2))
                .message(6, new Pb().string(1, "image_embeds")                 // outputs[0]
                        .message(2, mapEntry("classification", new Pb().varintField(2, 5))))
                .bytesField(7, pixels)                                         // raw_input_contents[0]
                .bytesField(7, ids)                                            // raw_input_contents[1]
                .bytes();

        // the first bytes, spelled out: tag (1 << 3 | 2) = 0x0A, length 10, "clip_image"
        assertThat(wire).startsWith(0x0A, 10, 'c', 'l', 'i', 'p', '_', 'i', 'm', 'a', 'g', 'e', 0x12, 1, '3');

        ModelInferRequest r = ModelInferRequest.parseFrom(wire);
        assertThat(r.getUnknownFields().asMap()).isEmpty();
        assertThat(r.getModelName()).isEqualTo("clip_image");
        assertThat(r.getModelVersion()).isEqualTo("3");
        assertThat(r.getId()).isEqualTo("req-42");
        assertThat(r.getParametersMap()).containsOnlyKeys("priority", "binary_data_output", "note");
        assertThat(r.getParametersOrThrow("priority").getParameterChoiceCase())
                .isEqualTo(InferParameter.ParameterChoiceCase.INT64_PARAM);
        assertThat(r.getParametersOrThrow("priority").getInt64Param()).isEqualTo(1);
        assertThat(r.getParametersOrThrow("binary_data_output").getBoolParam()).isTrue();
        assertThat(r.getParametersOrThrow("note").getStringParam()).isEqualTo("fast");

        assertThat(r.getInputsCount()).isEqualTo(2);
        assertThat(r.getInputs(0).getName()).isEqualTo("pixel_values");
        assertThat(r.getInputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(r.getInputs(0).getShapeList()).containsExactly(1L, 2L);
        assertThat(r.getInputs(0).getParametersOrThrow("shm").getBoolParam()).isFalse();
        assertThat(r.getInputs(0).getParametersOrThrow("shm").getParameterChoiceCase())
                .isEqualTo(InferParameter.ParameterChoiceCase.BOOL_PARAM);
        assertThat(r.getInputs(1).getName()).isEqualTo("input_ids");
        assertThat(r.getInputs(1).getDatatype()).isEqualTo("INT64");
        assertThat(r.getOutputsCount()).isEqualTo(1);
        assertThat(r.getOutputs(0).getName()).isEqualTo("image_embeds");
        assertThat(r.getOutputs(0).getParametersOrThrow("classification").getInt64Param()).isEqualTo(5);

        // and our codec reads the raw contents as the values written by hand
        var floats = KserveTensors.decodeRaw(r.getRawInputContents(0), "FP32", new long[] {1, 2}, "pixel_values");
        assertThat(floats.floats()).containsExactly(1.0f, -2.5f);
        var longs = KserveTensors.decodeRaw(r.getRawInputContents(1), "INT64", new long[] {1, 2}, "input_ids");
        assertThat(longs.longs()).containsExactly(49406L, -1L);
    }

    @Test
    void generated_model_infer_response_has_the_hand_assembled_bytes() {
        byte[] out = {0x00, 0x00, (byte) 0x80, (byte) 0xBF}; // -1.0f
        ModelInferResponse generated = ModelInferResponse.newBuilder()
                .setModelName("aesthetic").setModelVersion("1").setId("req-42")
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder()
                        .setName("score").setDatatype("FP32").addShape(1).addShape(1))
                .addRawOutputContents(com.google.protobuf.ByteString.copyFrom(out))
                .build();

        byte[] byHand = new Pb()
                .string(1, "aesthetic").string(2, "1").string(3, "req-42")
                .message(5, new Pb().string(1, "score").string(2, "FP32").packedVarints(3, 1, 1))
                .bytesField(6, out)                                             // raw_output_contents
                .bytes();

        assertThat(generated.toByteArray()).isEqualTo(byHand);
    }

    @Test
    void typed_fp32_contents_travel_as_packed_fixed32_in_field_6() throws Exception {
        // InferTensorContents.fp32_contents = 6, packed: tag (6 << 3 | 2) = 0x32, 8 bytes, two LE floats
        byte[] contents = {0x32, 8, 0x00, 0x00, (byte) 0x80, 0x3F, 0x00, 0x00, 0x20, (byte) 0xC0};
        byte[] input = new Pb().string(1, "x").string(2, "FP32").packedVarints(3, 2).bytesField(5, contents).bytes();
        var tensor = ModelInferRequest.InferInputTensor.parseFrom(input);
        assertThat(tensor.getContents().getFp32ContentsList()).containsExactly(1.0f, -2.5f);
    }
}
