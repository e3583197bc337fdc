package io.imagescore.model;

import java.util.Arrays;

/**
 * A dense, row-major tensor as the backends exchange it: FP32 (normalised images, embeddings, logits), INT64 (token
 * ids) or UINT8 (raw RGB pixels for a model that normalises inside its graph). Exactly one of {@code floats} /
 * {@code longs} / {@code bytes} is non-null, matching {@code type}.
 */
public record Tensor(DataType type, long[] shape, float[] floats, long[] longs, byte[] bytes) {

    public enum DataType { FP32, INT64, UINT8 }

    public Tensor {
        shape = shape.clone();
        long n = elementCount(shape);
        int actual = switch (type) {
            case FP32 -> floats.length;
            case INT64 -> longs.length;
            case UINT8 -> bytes.length;
        };
        if (n != actual) {
            throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " needs " + n + " elements, got " + actual);
        }
    }

    public static Tensor ofFloats(long[] shape, float[] data) {
        return new Tensor(DataType.FP32, shape, data, null, null);
    }

    public static Tensor ofLongs(long[] shape, long[] data) {
        return new Tensor(DataType.INT64, shape, null, data, null);
    }

    /** Unsigned bytes (0..255 stored in Java's signed {@code byte}). */
    public static Tensor ofUnsignedBytes(long[] shape, byte[] data) {
        return new Tensor(DataType.UINT8, shape, null, null, data);
    }

    /** A tensor of {@code type} over {@code data}: a float[], long[] or byte[] matching the type. */
    public static Tensor of(DataType type, long[] shape, Object data) {
        return switch (type) {
            case FP32 -> ofFloats(shape, (float[]) data);
            case INT64 -> ofLongs(shape, (long[]) data);
            case UINT8 -> ofUnsignedBytes(shape, (byte[]) data);
        };
    }

    /** The values: the float[], long[] or byte[] of {@link #type()}. */
    public Object data() {
        return switch (type) {
            case FP32 -> floats;
            case INT64 -> longs;
            case UINT8 -> bytes;
        };
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Size of the first (batch) dimension. */
    public int batchSize() {
        return (int) shape[0];
    }

    /** Elements per batch row. */
    public int rowLength() {
        return (int) (elementCount(shape) / shape[0]);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && type == t.type && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats) && Arrays.equals(longs, t.longs) && Arrays.equals(bytes, t.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(floats) + Arrays.hashCode(longs) + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Tensor[" + type + " " + Arrays.toString(shape) + "]";
    }
}
