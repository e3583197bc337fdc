package io.imagescore.model.triton;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.Tensor;
import io.imagescore.model.triton.v2.InferTensorContents;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * KServe-v2 tensor codec: our {@link Tensor}s to and from Triton's raw contents (little-endian, row-major, no
 * padding) and typed {@code contents}. FP16/BF16 exist only raw; they are widened to FP32 on the way in. UINT8 (raw
 * pixels for a model that normalises inside its graph) travels raw, one byte per value.
 */
final class KserveTensors {

    static final String FP32 = "FP32";
    static final String FP16 = "FP16";
    static final String BF16 = "BF16";
    static final String INT64 = "INT64";
    static final String UINT8 = "UINT8";

    private KserveTensors() {
    }

    /** The KServe datatype a tensor travels as when the server takes exactly our type. */
    static String datatypeOf(Tensor.DataType type) {
        return switch (type) {
            case FP32 -> FP32;
            case INT64 -> INT64;
            case UINT8 -> UINT8;
        };
    }

    /** Whether a server tensor of {@code datatype} can carry our {@code type} (FP32 narrows to FP16 on the wire). */
    static boolean carries(String datatype, Tensor.DataType type) {
        return switch (type) {
            case FP32 -> FP32.equals(datatype) || FP16.equals(datatype);
            case INT64 -> INT64.equals(datatype);
            case UINT8 -> UINT8.equals(datatype);
        };
    }

    static boolean decodable(String datatype, Tensor.DataType type) {
        return switch (type) {
            case FP32 -> FP32.equals(datatype) || FP16.equals(datatype) || BF16.equals(datatype);
            case INT64 -> INT64.equals(datatype);
            case UINT8 -> UINT8.equals(datatype);
        };
    }

    static int elementSize(String datatype) {
        return switch (datatype) {
            case FP32 -> 4;
            case FP16, BF16 -> 2;
            case INT64 -> 8;
            case UINT8 -> 1;
            default -> throw new IllegalArgumentException("unsupported datatype " + datatype);
        };
    }

    /** The rows of {@code parts} (one input of several requests) one after another, as raw bytes in {@code datatype}. */
    static ByteString encode(List<Tensor> parts, String datatype) {
        long elements = 0;
        for (Tensor t : parts) {
            elements += Tensor.elementCount(t.shape());
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(elements * elementSize(datatype))).order(ByteOrder.LITTLE_ENDIAN);
        switch (datatype) {
            case FP32 -> {
                var floats = buf.asFloatBuffer();
                parts.forEach(t -> floats.put(t.floats()));
            }
            case INT64 -> {
                var longs = buf.asLongBuffer();
                parts.forEach(t -> longs.put(t.longs()));
            }
            case FP16 -> {
                for (Tensor t : parts) {
                    for (float f : t.floats()) {
                        buf.putShort(Float.floatToFloat16(f));
                    }
                }
            }
            case UINT8 -> parts.forEach(t -> buf.put(t.bytes()));
            default -> throw new IllegalArgumentException("cannot send " + datatype);
        }
        // the array is ours alone and never written again: wrapping avoids a second copy of a possibly large batch
        return UnsafeByteOperations.unsafeWrap(buf.array());
    }

    /** Decodes raw output bytes; {@code what} names the tensor in error messages. */
    static Tensor decodeRaw(ByteString raw, String datatype, long[] shape, String what) {
        long n = elementCount(shape, what);
        long expected = n * elementSize(datatype);
        if (raw.size() != expected) {
            throw mismatch(what + " has " + raw.size() + " bytes, but " + datatype + " " + Arrays.toString(shape)
                    + " needs " + expected);
        }
        ByteBuffer buf = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int count = (int) n;
        return switch (datatype) {
            case FP32 -> {
                float[] f = new float[count];
                buf.asFloatBuffer().get(f);
                yield Tensor.ofFloats(shape, f);
            }
            case FP16 -> {
                float[] f = new float[count];
                for (int i = 0; i < count; i++) {
                    f[i] = Float.float16ToFloat(buf.getShort());
                }
                yield Tensor.ofFloats(shape, f);
            }
            case BF16 -> {
                float[] f = new float[count];
                for (int i = 0; i < count; i++) {
                    f[i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                }
                yield Tensor.ofFloats(shape, f);
            }
            case INT64 -> {
                long[] l = new long[count];
                buf.asLongBuffer().get(l);
                yield Tensor.ofLongs(shape, l);
            }
            case UINT8 -> {
                byte[] b = new byte[count];
                buf.get(b);
                yield Tensor.ofUnsignedBytes(shape, b);
            }
            default -> throw mismatch(what + " has unsupported datatype " + datatype);
        };
    }

    /** Decodes typed {@code contents} (what a KServe server other than Triton may answer with). */
    static Tensor decodeTyped(InferTensorContents contents, String datatype, long[] shape, String what) {
        long n = elementCount(shape, what);
        return switch (datatype) {
            case FP32 -> {
                if (contents.getFp32ContentsCount() != n) {
                    throw mismatch(what + " has " + contents.getFp32ContentsCount() + " fp32_contents, shape "
                            + Arrays.toString(shape) + " needs " + n);
                }
                float[] f = new float[(int) n];
                for (int i = 0; i < f.length; i++) {
                    f[i] = contents.getFp32Contents(i);
                }
                yield Tensor.ofFloats(shape, f);
            }
            case INT64 -> {
                if (contents.getInt64ContentsCount() != n) {
                    throw mismatch(what + " has " + contents.getInt64ContentsCount() + " int64_contents, shape "
                            + Arrays.toString(shape) + " needs " + n);
                }
                long[] l = new long[(int) n];
                for (int i = 0; i < l.length; i++) {
                    l[i] = contents.getInt64Contents(i);
                }
                yield Tensor.ofLongs(shape, l);
            }
            default -> throw mismatch(what + " has datatype " + datatype + ", which has no typed contents");
        };
    }

    /** Rows {@code [from, from + rows)} of a batched tensor. */
    static Tensor sliceRows(Tensor t, int from, int rows) {
        long[] shape = t.shape();
        shape[0] = rows;
        int len = t.rowLength();
        Object out = newArray(t.type(), rows * len);
        System.arraycopy(t.data(), from * len, out, 0, rows * len);
        return Tensor.of(t.type(), shape, out);
    }

    /** Tensors of the same type and row shape, stacked along the batch dimension. */
    static Tensor concatRows(List<Tensor> parts) {
        Tensor first = parts.getFirst();
        if (parts.size() == 1) {
            return first;
        }
        long[] shape = first.shape();
        shape[0] = parts.stream().mapToLong(Tensor::batchSize).sum();
        Object out = newArray(first.type(), (int) Tensor.elementCount(shape));
        int at = 0;
        for (Tensor p : parts) {
            int n = (int) Tensor.elementCount(p.shape());
            System.arraycopy(p.data(), 0, out, at, n);
            at += n;
        }
        return Tensor.of(first.type(), shape, out);
    }

    private static Object newArray(Tensor.DataType type, int n) {
        return switch (type) {
            case FP32 -> new float[n];
            case INT64 -> new long[n];
            case UINT8 -> new byte[n];
        };
    }

    private static long elementCount(long[] shape, String what) {
        for (long d : shape) {
            if (d < 0) {
                throw mismatch(what + " has a negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long n = Tensor.elementCount(shape);
        if (n > Integer.MAX_VALUE) {
            throw mismatch(what + " is too large: shape " + Arrays.toString(shape));
        }
        return n;
    }

    private static ImageScoreException mismatch(String message) {
        return new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, message);
    }
}
