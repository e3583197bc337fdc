package io.imagescore.image;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * libjpeg-turbo's TurboJPEG 2.x API ({@code libturbojpeg.so.0}, Debian {@code libturbojpeg0}) through Java's FFM
 * API, no JNI. Flags 0 = accurate integer IDCT and fancy upsampling, Pillow's defaults, so the pixels equal Pillow's
 * decode byte for byte (also at 1/2, 1/4, 1/8 DCT scaling, which equals Pillow's {@code draft}).
 *
 * <p>Buffers are passed as Java heap arrays through critical downcalls (no copies). TurboJPEG handles are not
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

    private static final Optional<TurboJpeg> INSTANCE = Boolean.getBoolean("imagescore.turbojpeg.disabled")
            ? disabled() : load(System.getProperty("imagescore.turbojpeg.library", LIBRARY));

    private final MethodHandle initDecompress;
    private final MethodHandle decompressHeader3;
    private final MethodHandle decompress2;
    private final MethodHandle getErrorStr2;
    private final MethodHandle getErrorCode;
    private final MethodHandle destroy;
    private final ConcurrentLinkedQueue<MemorySegment> handles = new ConcurrentLinkedQueue<>();

    /** Header facts: size in pixels before orientation, TJCS colour space. */
    record Header(int width, int height, int colorspace) {
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

    private TurboJpeg(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        Linker.Option heap = Linker.Option.critical(true);
        initDecompress = linker.downcallHandle(find(lib, "tjInitDecompress"), FunctionDescriptor.of(ValueLayout.ADDRESS));
        decompressHeader3 = linker.downcallHandle(find(lib, "tjDecompressHeader3"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS), heap);
        decompress2 = linker.downcallHandle(find(lib, "tjDecompress2"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), heap);
        getErrorStr2 = linker.downcallHandle(find(lib, "tjGetErrorStr2"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        getErrorCode = linker.downcallHandle(find(lib, "tjGetErrorCode"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        destroy = linker.downcallHandle(find(lib, "tjDestroy"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " not in " + LIBRARY));
    }

    private static Optional<TurboJpeg> disabled() {
        LOG.info("libjpeg-turbo disabled by -Dimagescore.turbojpeg.disabled; JPEGs decode through ImageIO");
        return Optional.empty();
    }

    /**
     * Binds {@code library} (normally {@value #LIBRARY}; another name simulates a machine without it). Empty when it
     * cannot be loaded: packs whose heads were trained on libjpeg-turbo pixels then refuse to load (PixelPipelines).
     */
    static Optional<TurboJpeg> load(String library) {
        try {
            return Optional.of(new TurboJpeg(SymbolLookup.libraryLookup(library, Arena.global())));
        } catch (Throwable e) {
            LOG.log(Level.WARNING, library + " not loadable (" + e + "); JPEGs decode through ImageIO, about 3x slower"
                    + " and without DCT scaling. Install the Debian package libturbojpeg0 and run with"
                    + " --enable-native-access=ALL-UNNAMED.");
            return Optional.empty();
        }
    }

    static Optional<TurboJpeg> instance() {
        return INSTANCE;
    }

    Header header(byte[] jpeg) throws DecodeException {
        MemorySegment handle = borrow();
        boolean clean = false;
        try {
            int[] dims = new int[4];
            MemorySegment d = MemorySegment.ofArray(dims);
            int rc = (int) decompressHeader3.invokeExact(handle, MemorySegment.ofArray(jpeg), (long) jpeg.length,
                    d.asSlice(0, 4), d.asSlice(4, 4), d.asSlice(8, 4), d.asSlice(12, 4));
            if (rc != 0) {
                throw new DecodeException(errorText(handle));
            }
            if (dims[0] <= 0 || dims[1] <= 0) { // a stream cut inside its header reads as "tables only"
                throw new DecodeException("no image in the JPEG data (cut inside its header?)");
            }
            clean = true;
            return new Header(dims[0], dims[1], dims[3]);
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
    Result decode(byte[] jpeg, byte[] dst, int width, int height) throws DecodeException {
        MemorySegment handle = borrow();
        boolean clean = false;
        try {
            int rc = (int) decompress2.invokeExact(handle, MemorySegment.ofArray(jpeg), (long) jpeg.length,
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
        MemorySegment h = handles.poll();
        if (h != null) {
            return h;
        }
        try {
            h = (MemorySegment) initDecompress.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("tjInitDecompress failed", e);
        }
        if (h.address() == 0) {
            throw new IllegalStateException("tjInitDecompress returned NULL");
        }
        return h;
    }

    private String errorText(MemorySegment handle) throws Throwable {
        MemorySegment s = (MemorySegment) getErrorStr2.invokeExact(handle);
        return s.address() == 0 ? "unknown libjpeg error" : s.reinterpret(4096).getString(0);
    }
}
