package io.imagescore.image;

/**
 * Bicubic resize that is bit-identical to Pillow's {@code Image.resize(size, BICUBIC)} for 8-bit RGB
 * (Pillow 9.4, {@code libImaging/Resample.c}): a separable two-pass filter, horizontal pass first into an 8-bit
 * intermediate image, then vertical; double-precision coefficients normalised per output pixel, then converted to
 * fixed point with {@value #PRECISION_BITS} fractional bits, accumulated in 32-bit ints from a rounding bias and
 * clipped to 0..255. Written here rather than taken from a library because model heads are fitted on Pillow's exact
 * pixels and no Java library reproduces them (Java2D's bicubic differs by several levels).
 *
 * <p>Only the requested output window is computed: each output pixel depends on its own coefficients only, so a
 * window of the full-size result is identical to resizing fully and cropping, without the wasted columns and rows.
 */
final class PillowResampler {
    static final int PRECISION_BITS = 32 - 8 - 2;
    private static final long VECTOR_HORIZONTAL_MAX_BYTES = 8L << 20;
    /**
     * Whether the JVM has the incubating Vector API module (the launchers and tests add it), which the vectorised
     * passes ({@link VectorPasses}) need; without it the scalar passes below give the same bytes more slowly. The
     * caller may still choose scalar ({@code imagescore.resampler.vector=false}: comparisons, benchmarks).
     */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final double BICUBIC_SUPPORT = 2.0;

    private PillowResampler() {
    }

    /**
     * Fixed-point filter of one axis for outputs [from, from + n): for output i, taps
     * {@code weights[(i-from)*ksize ..][0, count[i-from])} apply to input indices {@code start[i-from] ..}.
     */
    record Kernel(int from, int ksize, int[] start, int[] count, int[] weights) {
    }

    static Kernel kernel(int inSize, int outSize) {
        return kernel(inSize, outSize, 0, outSize);
    }

    /** Only the outputs [from, to) of the filter, so a window of a huge upscale costs only the window. */
    static Kernel kernel(int inSize, int outSize, int from, int to) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = BICUBIC_SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int n = to - from;
        int[] start = new int[n];
        int[] count = new int[n];
        int[] weights = new int[n * ksize];
        double[] k = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int xx = from; xx < to; xx++) {
            int i = xx - from;
            double center = (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = bicubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? k[x] / ww : k[x];
                weights[i * ksize + x] = v < 0
                        ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            start[i] = xmin;
            count[i] = xmax;
        }
        return new Kernel(from, ksize, start, count, weights);
    }

    /** Keys' cubic convolution with a = -0.5, evaluated in the same operation order as Pillow (same doubles). */
    private static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    static RgbImage resize(RgbImage src, int outW, int outH, boolean vector) {
        return resizeWindow(src, outW, outH, 0, 0, outW, outH, vector);
    }

    /** {@code vector}: the vectorised passes (needs the Vector API module) or the scalar ones; same bytes. */
    static RgbImage resizeWindow(RgbImage src, int outW, int outH, int x0, int y0, int w, int h, boolean vector) {
        if (outW <= 0 || outH <= 0 || x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > outW || y0 + h > outH) {
            throw new IllegalArgumentException("bad resize window " + w + "x" + h + "+" + x0 + "+" + y0
                    + " of " + outW + "x" + outH);
        }
        boolean needHorizontal = outW != src.width();
        boolean needVertical = outH != src.height();
        if (!needHorizontal && !needVertical) {
            return src.crop(x0, y0, w, h);
        }
        Kernel vertical = needVertical ? kernel(src.height(), outH, y0, y0 + h) : null;
        // source rows the requested output rows read
        int firstRow = needVertical ? vertical.start()[0] : y0;
        int lastRow = needVertical ? vertical.start()[h - 1] + vertical.count()[h - 1] : y0 + h;

        byte[] mid;
        int midStride;
        int midRowOrigin; // source row number of mid's row 0
        int midColOffset; // byte offset of the window's first column inside a mid row
        if (needHorizontal) {
            Kernel horizontal = kernel(src.width(), outW, x0, x0 + w);
            midStride = w * 3;
            mid = new byte[(lastRow - firstRow) * midStride];
            // the vectorised horizontal pass first transposes the rows it reads; beyond a few MB (12 MP photos) that
            // copy leaves the caches and costs what vectorising saves (measured), so large sources stay scalar
            if (vector && (long) (lastRow - firstRow) * src.width() * 3 <= VECTOR_HORIZONTAL_MAX_BYTES) {
                VectorPasses.horizontalPass(src, horizontal, w, firstRow, lastRow, mid);
            } else {
                horizontalPass(src, horizontal, w, firstRow, lastRow, mid);
            }
            midRowOrigin = firstRow;
            midColOffset = 0;
        } else {
            mid = src.pixels();
            midStride = src.stride();
            midRowOrigin = 0;
            midColOffset = x0 * 3;
        }
        if (!needVertical) {
            byte[] out = new byte[w * h * 3];
            for (int row = 0; row < h; row++) {
                System.arraycopy(mid, (y0 + row - midRowOrigin) * midStride + midColOffset, out, row * w * 3, w * 3);
            }
            return new RgbImage(w, h, out);
        }
        byte[] out = new byte[w * h * 3];
        if (vector) {
            VectorPasses.verticalPass(mid, midStride, midRowOrigin, midColOffset, vertical, h, w * 3, out);
        } else {
            verticalPass(mid, midStride, midRowOrigin, midColOffset, vertical, h, w * 3, out);
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Two rows per sweep: each weight is loaded once for both rows and the two dependency chains overlap
     * (about 20% faster than one row at a time; same sums, so the same bytes).
     */
    private static void horizontalPass(RgbImage src, Kernel kernel, int w, int firstRow, int lastRow, byte[] mid) {
        byte[] in = src.pixels();
        int inStride = src.stride();
        int ksize = kernel.ksize();
        int[] start = kernel.start();
        int[] count = kernel.count();
        int[] weights = kernel.weights();
        int midStride = w * 3;
        int row = firstRow;
        for (; row + 1 < lastRow; row += 2) {
            int inRow = row * inStride;
            int outPos = (row - firstRow) * midStride;
            for (int i = 0; i < w; i++) {
                int n = count[i];
                int kOff = i * ksize;
                int p = inRow + start[i] * 3;
                int q = p + inStride;
                int a0 = HALF;
                int a1 = HALF;
                int a2 = HALF;
                int b0 = HALF;
                int b1 = HALF;
                int b2 = HALF;
                for (int t = 0; t < n; t++, p += 3, q += 3) {
                    int k = weights[kOff + t];
                    a0 += (in[p] & 0xff) * k;
                    a1 += (in[p + 1] & 0xff) * k;
                    a2 += (in[p + 2] & 0xff) * k;
                    b0 += (in[q] & 0xff) * k;
                    b1 += (in[q + 1] & 0xff) * k;
                    b2 += (in[q + 2] & 0xff) * k;
                }
                mid[outPos] = clip8(a0);
                mid[outPos + 1] = clip8(a1);
                mid[outPos + 2] = clip8(a2);
                mid[outPos + midStride] = clip8(b0);
                mid[outPos + midStride + 1] = clip8(b1);
                mid[outPos + midStride + 2] = clip8(b2);
                outPos += 3;
            }
        }
        if (row < lastRow) {
            horizontalPass1(src, kernel, w, row, lastRow, mid, (row - firstRow) * midStride);
        }
    }

    private static void horizontalPass1(RgbImage src, Kernel kernel, int w, int firstRow, int lastRow, byte[] mid, int midOffset) {
        byte[] in = src.pixels();
        int inStride = src.stride();
        int ksize = kernel.ksize();
        int[] start = kernel.start();
        int[] count = kernel.count();
        int[] weights = kernel.weights();
        int midStride = w * 3;
        for (int row = firstRow; row < lastRow; row++) {
            int inRow = row * inStride;
            int outPos = midOffset + (row - firstRow) * midStride;
            for (int i = 0; i < w; i++) {
                int n = count[i];
                int kOff = i * ksize;
                int p = inRow + start[i] * 3;
                int s0 = HALF;
                int s1 = HALF;
                int s2 = HALF;
                for (int t = 0; t < n; t++, p += 3) {
                    int k = weights[kOff + t];
                    s0 += (in[p] & 0xff) * k;
                    s1 += (in[p + 1] & 0xff) * k;
                    s2 += (in[p + 2] & 0xff) * k;
                }
                mid[outPos] = clip8(s0);
                mid[outPos + 1] = clip8(s1);
                mid[outPos + 2] = clip8(s2);
                outPos += 3;
            }
        }
    }

    private static void verticalPass(byte[] mid, int midStride, int midRowOrigin, int midColOffset, Kernel kernel,
                                     int h, int rowBytes, byte[] out) {
        int ksize = kernel.ksize();
        int[] start = kernel.start();
        int[] count = kernel.count();
        int[] weights = kernel.weights();
        int[] acc = new int[rowBytes];
        for (int i = 0; i < h; i++) {
            java.util.Arrays.fill(acc, HALF);
            int n = count[i];
            int kOff = i * ksize;
            int rowPos = (start[i] - midRowOrigin) * midStride + midColOffset;
            // integer sums are order-independent, so taps may run in the outer loop (contiguous, vectorisable)
            for (int t = 0; t < n; t++, rowPos += midStride) {
                int k = weights[kOff + t];
                for (int j = 0; j < rowBytes; j++) {
                    acc[j] += (mid[rowPos + j] & 0xff) * k;
                }
            }
            int outPos = i * rowBytes;
            for (int j = 0; j < rowBytes; j++) {
                out[outPos + j] = clip8(acc[j]);
            }
        }
    }

    static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
