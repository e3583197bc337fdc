package io.imagescore.model.triton;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KserveTensorsTest {

    @Test
    void fp32_rows_of_several_requests_are_concatenated_little_endian() {
        Tensor a = Tensor.ofFloats(new long[] {1, 2}, new float[] {1.0f, -2.5f});
        Tensor b = Tensor.ofFloats(new long[] {1, 2}, new float[] {0.5f, 3.0f});
        byte[] raw = KserveTensors.encode(List.of(a, b), "FP32").toByteArray();
        assertThat(raw).containsExactly(
                0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x40, 0x40);
    }

    @Test
    void int64_is_eight_little_endian_bytes_per_element() {
        byte[] raw = KserveTensors.encode(List.of(Tensor.ofLongs(new long[] {1, 1}, new long[] {49407})), "INT64").toByteArray();
        assertThat(raw).containsExactly(0xFF, 0xC0, 0, 0, 0, 0, 0, 0); // 49407 = 0xC0FF
    }

    @Test
    void fp16_is_ieee_half_precision_and_decodes_back() {
        Tensor t = Tensor.ofFloats(new long[] {1, 3}, new float[] {1.0f, -2.0f, 0.1f});
        var raw = KserveTensors.encode(List.of(t), "FP16");
        assertThat(raw.toByteArray()).startsWith(0x00, 0x3C, 0x00, 0xC0); // 1.0 = 0x3C00, -2.0 = 0xC000
        Tensor back = KserveTensors.decodeRaw(raw, "FP16", new long[] {1, 3}, "x");
        assertThat(back.floats()[0]).isEqualTo(1.0f);
        assertThat(back.floats()[2]).isCloseTo(0.1f, org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void bf16_output_is_the_top_half_of_float32() {
        var raw = com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0x80, 0x3F}); // 0x3F80 -> 1.0
        assertThat(KserveTensors.decodeRaw(raw, "BF16", new long[] {1}, "x").floats()).containsExactly(1.0f);
    }

    @Test
    void raw_output_with_the_wrong_byte_count_is_an_output_mismatch() {
        var raw = com.google.protobuf.ByteString.copyFrom(new byte[6]);
        assertThatThrownBy(() -> KserveTensors.decodeRaw(raw, "FP32", new long[] {1, 2}, "output 'o'"))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_OUTPUT_MISMATCH);
                    assertThat(e.getMessage()).isEqualTo("output 'o' has 6 bytes, but FP32 [1, 2] needs 8");
                });
    }

    @Test
    void slicing_and_concatenating_rows_round_trips() {
        Tensor t = Tensor.ofFloats(new long[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6});
        Tensor mid = KserveTensors.sliceRows(t, 1, 2);
        assertThat(mid.shape()).containsExactly(2, 2);
        assertThat(mid.floats()).containsExactly(3, 4, 5, 6);
        assertThat(KserveTensors.concatRows(List.of(KserveTensors.sliceRows(t, 0, 1), mid))).isEqualTo(t);
    }

    @Test
    void uint8_is_one_byte_per_value_0_to_255_and_round_trips() {
        Tensor a = Tensor.ofUnsignedBytes(new long[] {1, 3}, new byte[] {0, (byte) 128, (byte) 255});
        Tensor b = Tensor.ofUnsignedBytes(new long[] {1, 3}, new byte[] {1, 2, 3});
        var raw = KserveTensors.encode(List.of(a, b), "UINT8");
        assertThat(raw.toByteArray()).containsExactly(0, 128, 255, 1, 2, 3);
        Tensor both = KserveTensors.decodeRaw(raw, "UINT8", new long[] {2, 3}, "x");
        assertThat(both).isEqualTo(KserveTensors.concatRows(List.of(a, b)));
        assertThat(KserveTensors.sliceRows(both, 1, 1)).isEqualTo(b);
        assertThat(KserveTensors.carries("UINT8", Tensor.DataType.UINT8)).isTrue();
        assertThat(KserveTensors.carries("FP32", Tensor.DataType.UINT8)).isFalse();
        assertThat(KserveTensors.carries("UINT8", Tensor.DataType.FP32)).isFalse();
    }
}
