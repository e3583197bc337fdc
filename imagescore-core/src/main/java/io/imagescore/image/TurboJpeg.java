package io.imagescore.image;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * libjpeg-turbo's TurboJPEG 2.x API ({@code libturbojpeg.so.0}, Debian {@code libturbojpeg0}) through Java's FFM
 * API, no JNI. Flags 0 = accurate integer IDCT and fancy upsampling, Pillow's defaults, so the pixels equal Pillow's
 * decode byte for byte (also at 1/2, 1/4, 1/8 DCT scaling, which equals Pillow's {@code draft}).
 *
 * <p>Buffers are passed as they are (heap arrays and heap or direct ByteBuffers) through critical downcalls (no
 * copies). The encoded buffer is read from index 0 to its limit. TurboJPEG handles are not
 * thread-safe, so each call borrows one from a pool.
 */
final class TurboJpeg {
    private static final Logger LOG = Logger.getLogger(TurboJpeg.class.getName());
    static final String LIBRARY = "libturbojpeg.so.0";
    private static final int TJPF_RGB = 0;
    private static final int TJERR_WARNING = 0;
    /** TurboJPEG colour spaces (TJCS_*). */
    static final int CS_RGB = 0;
    static final int CS_YCBCR = 1;
    static final int CS_GRAY = 2;
    static final int CS_CMYK = 3;
    static final int CS_YCCK = 4;

    /** Bound libraries by name: each is looked up once per process, whoever asks (server, CLI, tests). */
    private static final java.util.Map<String, Optional<TurboJpeg>> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    private final MethodHandle initDecompress;
    private final MethodHandle decompressHeader3;
    private final MethodHandle decompress2;
    private final MethodHandle getErrorStr2;
    private final MethodHandle getErrorCode;
    private final MethodHandle destroy;
    private final MethodHandle initTransform;
    private final MethodHandle transform;
    private final MethodHandle free;
    private final ConcurrentLinkedQueue<MemorySegment> handles = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<MemorySegment> transformHandles = new ConcurrentLinkedQueue<>();

    /** tjTransform options: crop, and copy no markers (orientation and ICC profile are read from the original). */
    private static final int TJXOPT_CROP = 4;
    private static final int TJXOPT_COPYNONE = 64;
    /** sizeof(tjtransform): tjregion r (4 ints), int op, int options, void *data, void *customFilter. */
    private static final long TRANSFORM_BYTES = 40;
    /** iMCU size in pixels per TJSAMP_* (444, 422, 420, GRAY, 440, 411), TurboJPEG's tjMCUWidth / tjMCUHeight. */
    private static final int[] MCU_WIDTH = {8, 16, 16, 8, 8, 32};
    private static final int[] MCU_HEIGHT = {8, 8, 16, 8, 16, 8};

    /** Header facts: size in pixels before orientation, TJSAMP chroma subsampling, TJCS colour space. */
    record Header(int width, int height, int subsampling, int colorspace) {
        /** Width of an iMCU in pixels; 0 for a subsampling TurboJPEG does not name. */
        int mcuWidth() {
            return subsampling >= 0 && subsampling < MCU_WIDTH.length ? MCU_WIDTH[subsampling] : 0;
        }

        int mcuHeight() {
            return subsampling >= 0 && subsampling < MCU_HEIGHT.length ? MCU_HEIGHT[subsampling] : 0;
        }
    }

    /** The outcome of a decode call that did not fail fatally; {@code warning} is libjpeg's warning text or null. */
    record Result(String warning) {
    }

    /** Thrown for a fatal libjpeg error (the message is libjpeg's). */
    static final class DecodeException extends Exception {
        DecodeException(String message) {
            super(message);
        }
    }

    /**
     * Every downcall this class makes, by symbol: the one place its descriptors are declared ({@link Downcall}).
     */
    static final Map<String, Downcall> DOWNCALLS = downcalls();

    private static Map<String, Downcall> downcalls() {
        ValueLayout p = ValueLayout.ADDRESS;
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout l = ValueLayout.JAVA_LONG; // C unsigned long on LP64
        Map<String, Downcall> d = new LinkedHashMap<>();
        d.put("tjInitDecompress", new Downcall(FunctionDescriptor.of(p), false));
        d.put("tjDecompressHeader3", new Downcall(FunctionDescriptor.of(i, p, p, l, p, p, p, p), true));
        d.put("tjDecompress2", new Downcall(FunctionDescriptor.of(i, p, p, l, p, i, i, i, i, i), true));
        d.put("tjGetErrorStr2", new Downcall(FunctionDescriptor.of(p, p), false));
        d.put("tjGetErrorCode", new Downcall(FunctionDescriptor.of(i, p), false));
        d.put("tjDestroy", new Downcall(FunctionDescriptor.of(i, p), false));
        d.put("tjInitTransform", new Downcall(FunctionDescriptor.of(p), false));
        d.put("tjTransform", new Downcall(FunctionDescriptor.of(i, p, p, l, i, p, p, p, i), true));
        d.put("tjFree", new Downcall(FunctionDescriptor.ofVoid(p), false));
        return java.util.Collections.unmodifiableMap(d);
    }

    private TurboJpeg(SymbolLookup lib) {
        initDecompress = handle(lib, "tjInitDecompress");
        decompressHeader3 = handle(lib, "tjDecompressHeader3");
        decompress2 = handle(lib, "tjDecompress2");
        getErrorStr2 = handle(lib, "tjGetErrorStr2");
        getErrorCode = handle(lib, "tjGetErrorCode");
        destroy = handle(lib, "tjDestroy");
        initTransform = handle(lib, "tjInitTransform");
        transform = handle(lib, "tjTransform");
        free = handle(lib, "tjFree");
    }

    private static MethodHandle handle(SymbolLookup lib, String name) {
        return DOWNCALLS.get(name).bind(lib, LIBRARY, name);
    }

    /**
     * Binds {@code library} (normally {@value #LIBRARY}; another name simulates a machine without it). Empty when it
     * cannot be loaded: packs whose heads were trained on libjpeg-turbo pixels then refuse to load (PixelPipelines).
     */
    static Optional<TurboJpeg> load(String library) {
        return LOADED.computeIfAbsent(library, TurboJpeg::bind);
    }

    private static Optional<TurboJpeg> bind(String library) {
        try {
            return Optional.of(new TurboJpeg(SymbolLookup.libraryLookup(library, Arena.global())));
        } catch (Throwable e) {
            LOG.log(Level.WARNING, library + " not loadable (" + e + "); JPEGs decode through ImageIO, about 3x slower"
                    + " and without DCT scaling. Install the Debian package libturbojpeg0 and run with"
                    + " --enable-native-access=ALL-UNNAMED.");
            return Optional.empty();
        }
    }

    /** The default library, {@value #LIBRARY}. */
    static Optional<TurboJpeg> instance() {
        return load(LIBRARY);
    }

    Header header(ByteBuffer jpeg) throws DecodeException {
        MemorySegment handle = borrow();
        boolean clean = false;
        try {
            int[] dims = new int[4];
            MemorySegment d = MemorySegment.ofArray(dims);
            int rc = (int) decompressHeader3.invokeExact(handle, MemorySegment.ofBuffer(jpeg), (long) jpeg.limit(),
                    d.asSlice(0, 4), d.asSlice(4, 4), d.asSlice(8, 4), d.asSlice(12, 4));
            if (rc != 0) {
                throw new DecodeException(errorText(handle));
            }
            if (dims[0] <= 0 || dims[1] <= 0) { // a stream cut inside its header reads as "tables only"
                throw new DecodeException("no image in the JPEG data (cut inside its header?)");
            }
            clean = true;
            return new Header(dims[0], dims[1], dims[2], dims[3]);
        } catch (DecodeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("tjDecompressHeader3 failed", e);
        } finally {
            giveBack(handle, clean);
        }
    }

    /**
     * Decodes into {@code dst} (RGB, width*3 stride) at the DCT scale whose output is exactly width×height
     * (ceil(original·1/denominator)). A warning (e.g. a truncated file, which libjpeg pads with grey) is returned,
     * not thrown.
     */
    Result decode(ByteBuffer jpeg, byte[] dst, int width, int height) throws DecodeException {
        MemorySegment handle = borrow();
        boolean clean = false;
        try {
            int rc = (int) decompress2.invokeExact(handle, MemorySegment.ofBuffer(jpeg), (long) jpeg.limit(),
                    MemorySegment.ofArray(dst), width, width * 3, height, TJPF_RGB, 0);
            if (rc == 0) {
                clean = true;
                return new Result(null);
            }
            String text = errorText(handle);
            int code = (int) getErrorCode.invokeExact(handle);
            if (code == TJERR_WARNING) {
                return new Result(text);
            }
            throw new DecodeException(text);
        } catch (DecodeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("tjDecompress2 failed", e);
        } finally {
            giveBack(handle, clean);
        }
    }

    /**
     * Decodes only the given rectangles {x, y, w, h} of the (unoriented) image at full scale, each through a lossless
     * crop ({@code tjTransform} with TJXOPT_CROP: the entropy-coded data is read once, the DCT blocks under each
     * rectangle are copied unchanged into a JPEG of their own) and a decode of that small JPEG. x and y must be
     * multiples of the iMCU size. The blocks are the same as in the whole image, so the pixels are the same as the
     * whole decode's except within an iMCU of a rectangle edge that is not an image edge, where chroma upsampling
     * sees no neighbour (callers widen the rectangles by an iMCU and cut the margin off). Null on any libjpeg error
     * or warning: the caller then decodes the whole image, which reports the problem as it always has.
     */
    List<RgbImage> decodeCrops(ByteBuffer jpeg, List<int[]> rects) {
        MemorySegment handle = borrowTransform();
        boolean clean = false;
        int n = rects.size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xf = arena.allocate(TRANSFORM_BYTES * n, 8); // zeroed: op NONE, data and filter NULL
            for (int i = 0; i < n; i++) {
                int[] r = rects.get(i);
                long o = TRANSFORM_BYTES * i;
                for (int k = 0; k < 4; k++) {
                    xf.set(ValueLayout.JAVA_INT, o + 4L * k, r[k]);
                }
                xf.set(ValueLayout.JAVA_INT, o + 20, TJXOPT_CROP | TJXOPT_COPYNONE);
            }
            MemorySegment bufs = arena.allocate(ValueLayout.ADDRESS, n); // NULL: TurboJPEG allocates each output
            MemorySegment sizes = arena.allocate(ValueLayout.JAVA_LONG, n);
            try {
                int rc = (int) transform.invokeExact(handle, MemorySegment.ofBuffer(jpeg), (long) jpeg.limit(), n,
                        bufs, sizes, xf, 0);
                if (rc != 0) {
                    return null;
                }
                clean = true;
                List<RgbImage> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int[] r = rects.get(i);
                    ByteBuffer crop = bufs.getAtIndex(ValueLayout.ADDRESS, i)
                            .reinterpret(sizes.getAtIndex(ValueLayout.JAVA_LONG, i)).asByteBuffer();
                    Header h = header(crop);
                    if (h.width() != r[2] || h.height() != r[3]) {
                        return null;
                    }
                    byte[] pixels = new byte[r[2] * r[3] * 3];
                    if (decode(crop, pixels, r[2], r[3]).warning() != null) {
                        return null;
                    }
                    out.add(new RgbImage(r[2], r[3], pixels));
                }
                return out;
            } catch (DecodeException e) {
                return null;
            } finally {
                for (int i = 0; i < n; i++) {
                    MemorySegment b = bufs.getAtIndex(ValueLayout.ADDRESS, i);
                    if (b.address() != 0) {
                        free.invokeExact(b);
                    }
                }
            }
        } catch (Throwable e) {
            throw new IllegalStateException("tjTransform failed", e);
        } finally {
            if (clean) {
                transformHandles.offer(handle);
            } else {
                giveBack(handle, false);
            }
        }
    }

    private MemorySegment borrowTransform() {
        return borrow(transformHandles, initTransform, "tjInitTransform");
    }

    /** A handle that saw an error or warning may keep libjpeg state (e.g. the warning flag): replace it. */
    private void giveBack(MemorySegment handle, boolean clean) {
        if (clean) {
            handles.offer(handle);
            return;
        }
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable e) {
            LOG.log(Level.FINE, "tjDestroy failed", e);
        }
    }

    private MemorySegment borrow() {
        return borrow(handles, initDecompress, "tjInitDecompress");
    }

    /** A pooled handle, or a new one from {@code init} (a TurboJPEG tjInit* function named {@code name}). */
    private static MemorySegment borrow(ConcurrentLinkedQueue<MemorySegment> pool, MethodHandle init, String name) {
        MemorySegment h = pool.poll();
        if (h != null) {
            return h;
        }
        try {
            h = (MemorySegment) init.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(name + " failed", e);
        }
        if (h.address() == 0) {
            throw new IllegalStateException(name + " returned NULL");
        }
        return h;
    }

    private String errorText(MemorySegment handle) throws Throwable {
        MemorySegment s = (MemorySegment) getErrorStr2.invokeExact(handle);
        return s.address() == 0 ? "unknown libjpeg error" : s.reinterpret(4096).getString(0);
    }
}
