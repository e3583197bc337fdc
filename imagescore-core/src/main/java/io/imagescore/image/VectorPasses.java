package io.imagescore.image;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two resampling passes of {@link PillowResampler} with the (incubating) Vector API: C2 does not vectorise the
 * byte multiply-accumulate loops by itself (measured: ~8× slower than this on AVX2). Integer sums are exact and
 * order-independent, so these produce the same bytes as the scalar passes; {@code PillowResamplerTest} compares
 * both. Loaded only when the JVM was started with {@code --add-modules jdk.incubator.vector}.
 */
final class VectorPasses {
    private static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTE = VectorSpecies.of(byte.class, VectorShape.forBitSize(INT.length() * 8));
    private static final int LANES = INT.length();
    private static final int PRECISION_BITS = PillowResampler.PRECISION_BITS;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    /** Source columns copied per sweep of the transpose: their column buffers stay in cache across rows. */
    private static final int TILE = 32;
    /**
     * Moves an RGB pixel as one 4-byte access (three 1-byte moves cost ~3× more in the transposes); the 4th byte
     * lands on a slot that is written again later, and the last pixel of a sweep moves byte by byte.
     */
    private static final VarHandle INT_VIEW = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private VectorPasses() {
    }

    /**
     * out[j] = clip8(HALF + Σ_t src[off + t·stride + j] · w[kOff + t]) for j < len: one output row of the
     * vertical pass, all taps accumulated in registers.
     */
    private static void taps(byte[] src, int off, int stride, int[] w, int kOff, int n, int len, byte[] out, int outOff) {
        int j = 0;
        for (int bound = INT.loopBound(len); j < bound; j += LANES) {
            IntVector acc = IntVector.broadcast(INT, HALF);
            for (int t = 0, p = off + j; t < n; t++, p += stride) {
                IntVector v = (IntVector) ByteVector.fromArray(BYTE, src, p).convertShape(VectorOperators.ZERO_EXTEND_B2I, INT, 0);
                acc = acc.add(v.mul(w[kOff + t]));
            }
            ((ByteVector) acc.lanewise(VectorOperators.ASHR, PRECISION_BITS).max(0).min(255)
                    .convertShape(VectorOperators.I2B, BYTE, 0)).intoArray(out, outOff + j);
        }
        for (; j < len; j++) {
            int s = HALF;
            for (int t = 0, p = off + j; t < n; t++, p += stride) {
                s += (src[p] & 0xff) * w[kOff + t];
            }
            out[outOff + j] = PillowResampler.clip8(s);
        }
    }

    static void verticalPass(byte[] mid, int midStride, int midRowOrigin, int midColOffset, PillowResampler.Kernel kernel,
                             int h, int rowBytes, byte[] out) {
        for (int i = 0; i < h; i++) {
            int rowPos = (kernel.start()[i] - midRowOrigin) * midStride + midColOffset;
            taps(mid, rowPos, midStride, kernel.weights(), i * kernel.ksize(), kernel.count()[i], rowBytes, out, i * rowBytes);
        }
    }

    /**
     * Horizontal pass on a column-major copy of the rows [firstRow, lastRow): one output column is then the vertical
     * filter of contiguous source columns, and its result is written back into the row-major {@code mid}.
     */
    static void horizontalPass(RgbImage src, PillowResampler.Kernel kernel, int w, int firstRow, int lastRow, byte[] mid) {
        int[] start = kernel.start();
        int[] count = kernel.count();
        int firstCol = Integer.MAX_VALUE;
        int lastCol = 0;
        for (int i = 0; i < w; i++) {
            firstCol = Math.min(firstCol, start[i]);
            lastCol = Math.max(lastCol, start[i] + count[i]);
        }
        int rows = lastRow - firstRow;
        int colBytes = rows * 3;
        byte[] cols = transpose(src, firstRow, rows, firstCol, lastCol);
        byte[] column = new byte[colBytes + 1]; // + 1: the 4-byte read of the last pixel
        int midStride = w * 3;
        for (int i = 0; i < w; i++) {
            taps(cols, (start[i] - firstCol) * colBytes, colBytes, kernel.weights(), i * kernel.ksize(), count[i],
                    colBytes, column, 0);
            // columns run left to right, so a 4-byte store's extra byte (the next column's R) is rewritten later;
            // the last column's would hit the next row's first pixel, already written
            int r = 0;
            int j = 0;
            int o = i * 3;
            if (i < w - 1) {
                for (; r < rows; r++, j += 3, o += midStride) {
                    INT_VIEW.set(mid, o, (int) INT_VIEW.get(column, j));
                }
            }
            for (; r < rows; r++, j += 3, o += midStride) {
                mid[o] = column[j];
                mid[o + 1] = column[j + 1];
                mid[o + 2] = column[j + 2];
            }
        }
    }

    /** Columns [firstCol, lastCol) of {@code rows} rows from {@code firstRow}, each column's RGB triples contiguous. */
    private static byte[] transpose(RgbImage src, int firstRow, int rows, int firstCol, int lastCol) {
        byte[] in = src.pixels();
        int inStride = src.stride();
        int colBytes = rows * 3;
        byte[] cols = new byte[(lastCol - firstCol) * colBytes];
        for (int x0 = firstCol; x0 < lastCol; x0 += TILE) {
            int x1 = Math.min(lastCol, x0 + TILE);
            for (int r = 0; r < rows; r++) {
                int p = (firstRow + r) * inStride + x0 * 3;
                int q = (x0 - firstCol) * colBytes + r * 3;
                if (r < rows - 1) {
                    // rows run top to bottom, so the extra byte (this column's next row) is rewritten later; the
                    // source row is not the image's last, so the 4-byte read stays inside the array
                    for (int x = x0; x < x1; x++, p += 3, q += colBytes) {
                        INT_VIEW.set(cols, q, (int) INT_VIEW.get(in, p));
                    }
                    continue;
                }
                for (int x = x0; x < x1; x++, p += 3, q += colBytes) {
                    cols[q] = in[p];
                    cols[q + 1] = in[p + 1];
                    cols[q + 2] = in[p + 2];
                }
            }
        }
        return cols;
    }
}
