package io.imagescore.image;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.ImageDecoder.Crops;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Encoded bytes → normalised CHW float tensors for each requested view, reproducing the torchvision/OpenAI CLIP
 * transform on Pillow 9.4 exactly: {@code Image.open → exif_transpose → convert('RGB') → Resize(S, BICUBIC) →
 * CenterCrop(S) → ToTensor → Normalize} (uint8 pixels byte-identical, tensors in the same float32 arithmetic).
 *
 * <p>Thread-safe; callers spread images over cores by calling it concurrently. At most {@code maxConcurrentDecodes}
 * full rasters are alive at once (further callers wait), which bounds memory under load.
 */
public class Preprocessor {
    private static final String RESAMPLER = "pil94-bicubic-v1";
    /** The libjpeg-turbo library bound by default (Debian libturbojpeg0). */
    public static final String TURBOJPEG_LIBRARY = TurboJpeg.LIBRARY;

    private final ImageDecoder decoder;
    private final Semaphore decodes;
    /** The vectorised resampler passes (same bytes as the scalar ones, faster); only where the JVM has the module. */
    private final boolean vector;
    /** Grid crops decoded from their own DCT blocks; false decodes the whole image (benchmarks compare; same pixels). */
    private final boolean regionDecode;

    /** Default limits and one full decode in flight per core. */
    public Preprocessor() {
        this(ImageLimits.DEFAULT, Runtime.getRuntime().availableProcessors());
    }

    public Preprocessor(ImageLimits limits, int maxConcurrentDecodes) {
        this(limits, maxConcurrentDecodes, true);
    }

    /** {@code useTurboJpeg=false} forces the ImageIO JPEG path (tests, comparisons). */
    Preprocessor(ImageLimits limits, int maxConcurrentDecodes, boolean useTurboJpeg) {
        this(limits, maxConcurrentDecodes, true, true, useTurboJpeg ? TurboJpeg.instance() : java.util.Optional.empty());
    }

    /**
     * @param turboJpegLibrary the libjpeg-turbo library to bind ({@code libturbojpeg.so.0}); empty = JPEGs through
     *                         ImageIO (also when the library cannot be loaded, with a warning)
     * @param vectorResampler  false forces the scalar resampler passes (comparisons, benchmarks)
     * @param regionDecode     false decodes whole JPEGs for the grid views too (comparisons, benchmarks)
     */
    public Preprocessor(ImageLimits limits, int maxConcurrentDecodes, java.util.Optional<String> turboJpegLibrary,
                        boolean vectorResampler, boolean regionDecode) {
        this(limits, maxConcurrentDecodes, vectorResampler, regionDecode, turboJpegLibrary.flatMap(TurboJpeg::load));
    }

    private Preprocessor(ImageLimits limits, int maxConcurrentDecodes, boolean vectorResampler, boolean regionDecode,
                         java.util.Optional<TurboJpeg> turbo) {
        if (maxConcurrentDecodes <= 0) {
            throw new IllegalArgumentException("maxConcurrentDecodes must be positive");
        }
        this.decoder = new ImageDecoder(limits, turbo);
        this.decodes = new Semaphore(maxConcurrentDecodes, true);
        this.vector = vectorResampler && PillowResampler.VECTOR_AVAILABLE;
        this.regionDecode = regionDecode;
    }

    /** The vector passes once they are warm ({@link VectorWarmUp}); until then, and when off, the scalar passes. */
    private boolean vector() {
        return vector && VectorWarmUp.warm();
    }

    /** A preprocessor whose JPEG decoder is bound to {@code library} (a missing name simulates a machine without it). */
    public static Preprocessor withTurboJpegLibrary(String library) {
        return new Preprocessor(ImageLimits.DEFAULT, Runtime.getRuntime().availableProcessors(),
                java.util.Optional.of(library), true, true);
    }

    /**
     * The decoded pixel count of an image, read from its header only, with every per-image limit checked first
     * (empty, too many bytes, unsupported, IMAGE_TOO_LARGE): the cost admission control charges before decoding.
     */
    public long pixelCost(ByteBuffer encoded) {
        return decoder.pixels(encoded == null ? ByteBuffer.allocate(0) : encoded.slice());
    }

    public long pixelCost(byte[] encoded) {
        return pixelCost(wrap(encoded));
    }

    public PreprocessedImage preprocess(byte[] encoded, PreprocessSpec spec, List<View> views, PreprocessMode mode) {
        return preprocess(wrap(encoded), spec, views, mode, StageClock.NONE);
    }

    /** null reads as no bytes (EMPTY_IMAGE). */
    private static ByteBuffer wrap(byte[] encoded) {
        return ByteBuffer.wrap(encoded == null ? new byte[0] : encoded);
    }

    /**
     * The image's bytes from the buffer's position to its limit, read in place (heap or direct, read-only is fine):
     * a request's bytes are never copied. Each decode is timed as stage "decode", each pixels → tensors pass as
     * "preprocess".
     */
    public PreprocessedImage preprocess(ByteBuffer bytes, PreprocessSpec spec, List<View> views, PreprocessMode mode,
                                        StageClock clock) {
        return preprocess(bytes, spec, views, mode, clock, false);
    }

    /**
     * As {@link #preprocess(ByteBuffer, PreprocessSpec, List, PreprocessMode, StageClock)}, but the views are the
     * un-normalised CHW pixels ({@link PreprocessedImage#pixels()}), for a model that normalises inside its graph:
     * the same pixels the float tensors are computed from.
     */
    public PreprocessedImage preprocessPixels(ByteBuffer bytes, PreprocessSpec spec, List<View> views,
                                              PreprocessMode mode, StageClock clock) {
        return preprocess(bytes, spec, views, mode, clock, true);
    }

    private PreprocessedImage preprocess(ByteBuffer bytes, PreprocessSpec spec, List<View> views, PreprocessMode mode,
                                         StageClock clock, boolean pixels) {
        ByteBuffer encoded = bytes == null ? ByteBuffer.allocate(0) : bytes.slice();
        decoder.check(encoded); // empty / too many bytes / unsupported: rejected before waiting for a decode slot
        // FAST decodes at a reduced DCT scale, which native-resolution crops (the grid views) cannot use. A view's
        // pixels must not depend on which other views the same request asks for (quality_fast beside quality would
        // otherwise be computed from another decode), so a FAST request mixing both kinds decodes twice.
        List<View> nativeViews = views.stream().filter(View::nativeResolution).toList();
        List<View> scaledViews = views.stream().filter(v -> !v.nativeResolution()).toList();
        boolean fast = mode == PreprocessMode.FAST;
        try {
            decodes.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageScoreException(ErrorCode.INTERNAL, "interrupted while waiting to decode", e);
        }
        try {
            Map<View, List<byte[]>> pixelsOut = new EnumMap<>(View.class);
            Map<View, List<float[]>> floatsOut = new EnumMap<>(View.class);
            Map<View, List<byte[]>> pixelSink = pixels ? pixelsOut : null;
            // grid views alone (or beside scaled views in FAST mode, which decodes those apart anyway): decode only
            // the nine crops' blocks of a large JPEG
            Crops grid = !regionDecode || nativeViews.isEmpty() || (!fast && !scaledViews.isEmpty()) ? null
                    : gridCrops(encoded, spec, clock);
            if (grid != null) {
                try (StageClock.Timing ignored = clock.begin("preprocess")) {
                    collect(pixelViews(null, grid.crops(), spec, nativeViews), spec, pixelSink, floatsOut);
                }
                if (!scaledViews.isEmpty()) {
                    views(decode(encoded, spec.size(), clock), spec, scaledViews, clock, pixelSink, floatsOut);
                }
                return new PreprocessedImage(grid.fullWidth(), grid.fullHeight(), floatsOut, pixelsOut);
            }
            ImageDecoder.Decoded decoded;
            if (!fast || nativeViews.isEmpty() || scaledViews.isEmpty()) {
                int dctTarget = fast && nativeViews.isEmpty() ? spec.size() : 0;
                decoded = decode(encoded, dctTarget, clock);
                views(decoded, spec, views, clock, pixelSink, floatsOut);
            } else {
                views(decode(encoded, 0, clock), spec, nativeViews, clock, pixelSink, floatsOut);
                decoded = decode(encoded, spec.size(), clock);
                views(decoded, spec, scaledViews, clock, pixelSink, floatsOut);
            }
            return new PreprocessedImage(decoded.fullWidth(), decoded.fullHeight(), floatsOut, pixelsOut);
        } finally {
            decodes.release();
        }
    }

    /**
     * The nine grid crops decoded from their own JPEG blocks (ImageDecoder.decodeCrops) when they cover at most
     * {@value #REGION_MAX_AREA} of the image (with their margins), else null. Above that the lossless crops cost
     * more than they save: reading the entropy-coded data is most of a full-scale decode.
     */
    private Crops gridCrops(ByteBuffer encoded, PreprocessSpec spec, StageClock clock) {
        int s = spec.size();
        try (StageClock.Timing ignored = clock.begin("decode")) {
            return decoder.decodeCrops(encoded, (w, h) -> {
                if (Math.min(w, h) < s) {
                    return List.of(new int[] {0, 0, w, h}); // upscaled grid: needs all of it (and fails the area rule)
                }
                List<int[]> rects = new ArrayList<>(9);
                for (int gy = 0; gy < 3; gy++) {
                    for (int gx = 0; gx < 3; gx++) {
                        rects.add(new int[] {gridOrigin(w, s, gx), gridOrigin(h, s, gy), s, s});
                    }
                }
                return rects;
            }, REGION_MAX_AREA);
        }
    }

    /** Share of the image the widened grid crops may cover for a region decode (12 MP: 5 %; 1024×768: 85 %). */
    static final double REGION_MAX_AREA = 0.25;

    /** Left (top) edge of grid column (row) {@code g} ∈ {0, 1, 2}: evenly spaced from edge to edge. */
    private static int gridOrigin(int size, int s, int g) {
        return (size - s) * g / 2;
    }

    private ImageDecoder.Decoded decode(ByteBuffer encoded, int dctTarget, StageClock clock) {
        try (StageClock.Timing ignored = clock.begin("decode")) {
            return decoder.decode(encoded, dctTarget);
        }
    }

    /** The views' pixels into {@code pixelsOut}, or, when that is null, their normalised tensors into {@code floatsOut}. */
    private void views(ImageDecoder.Decoded decoded, PreprocessSpec spec, List<View> views, StageClock clock,
                       Map<View, List<byte[]>> pixelsOut, Map<View, List<float[]>> floatsOut) {
        try (StageClock.Timing ignored = clock.begin("preprocess")) {
            collect(pixelViews(decoded.image(), spec, views), spec, pixelsOut, floatsOut);
        }
    }

    private static void collect(Map<View, List<byte[]>> px, PreprocessSpec spec, Map<View, List<byte[]>> pixelsOut,
                                Map<View, List<float[]>> floatsOut) {
        if (pixelsOut != null) {
            pixelsOut.putAll(px);
        } else {
            floatsOut.putAll(normalise(px, spec));
        }
    }

    private static Map<View, List<float[]>> normalise(Map<View, List<byte[]>> pixels, PreprocessSpec spec) {
        TensorWriter writer = new TensorWriter(spec);
        Map<View, List<float[]>> out = new EnumMap<>(View.class);
        pixels.forEach((v, list) -> out.put(v, list.stream().map(writer::normalise).toList()));
        return out;
    }

    /** The whole image as the views see it (EXIF-oriented RGB, full resolution): what explanation overlays draw on. */
    public RgbImage decode(byte[] encoded) {
        ByteBuffer bytes = wrap(encoded);
        decoder.check(bytes);
        return decoder.decode(bytes, 0).image();
    }

    /**
     * Identifies the pixel pipeline (resampler, decoder, spec, mode); learned heads are tied to it. E.g.
     * {@code pil94-bicubic-v1/turbojpeg/clip224-rgb-m0.485,0.456,0.406-s0.229,0.224,0.225/exact}; fast mode with
     * libjpeg-turbo reads {@code .../turbojpeg-dct2n/.../fast}; without libjpeg-turbo the decoder part is
     * {@code imageio} and fast equals exact.
     */
    public String preprocessingId(PreprocessSpec spec, PreprocessMode mode) {
        String dec = !decoder.usesTurboJpeg() ? "imageio" : mode == PreprocessMode.FAST ? "turbojpeg-dct2n" : "turbojpeg";
        return RESAMPLER + "/" + dec + "/" + spec.id() + "/" + mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The views' CHW pixels (tensor channel order), before normalisation. */
    Map<View, List<byte[]>> pixelViews(RgbImage img, PreprocessSpec spec, List<View> views) {
        return pixelViews(img, null, spec, views);
    }

    /** {@code gridCrops}: the grid's nine crops when already decoded (then {@code img} may be null for grid views). */
    private Map<View, List<byte[]>> pixelViews(RgbImage img, List<RgbImage> gridCrops, PreprocessSpec spec,
                                               List<View> views) {
        Map<View, List<byte[]>> out = new EnumMap<>(View.class);
        TensorWriter writer = new TensorWriter(spec);
        RgbImage centre = null;
        RgbImage whole = null;
        List<RgbImage> grid = gridCrops;
        for (View view : views) {
            List<byte[]> tensors = new ArrayList<>(view.tensorCount());
            boolean flip = view.isFlip();
            switch (view) {
                case CENTER, CENTER_FLIP -> {
                    centre = centre != null ? centre : centre(img, spec);
                    tensors.add(writer.pixels(centre, 0, 0, flip));
                }
                case WHOLE, WHOLE_FLIP -> {
                    whole = whole != null ? whole : PillowResampler.resize(img, spec.size(), spec.size(), vector());
                    tensors.add(writer.pixels(whole, 0, 0, flip));
                }
                case GRID3, GRID3_FLIP -> {
                    grid = grid != null ? grid : grid(img, spec.size());
                    for (RgbImage crop : grid) {
                        tensors.add(writer.pixels(crop, 0, 0, flip));
                    }
                }
            }
            out.put(view, tensors);
        }
        return out;
    }

    /**
     * Where one S×S tensor of a view lies in the (EXIF-oriented) image: tensor pixel column u ∈ [0,S) maps to image
     * x = x0 + (x1 − x0)·u/S (rows likewise), read right to left when {@code flipped}. A letterboxed tensor's window
     * extends past the image (its bars). Explanations map their cells back through it.
     */
    public record Window(double x0, double y0, double x1, double y1, boolean flipped) {
    }

    /** The windows of {@code view}'s tensors on a {@code width}×{@code height} image, in tensor order (the same geometry as {@link #views}). */
    public static List<Window> windows(int width, int height, PreprocessSpec spec, View view) {
        int s = spec.size();
        boolean flip = view.isFlip();
        List<Window> out = new ArrayList<>(view.tensorCount());
        switch (view) {
            case WHOLE, WHOLE_FLIP -> out.add(new Window(0, 0, width, height, flip));
            case CENTER, CENTER_FLIP -> {
                switch (spec.resize()) {
                    case SQUASH -> out.add(new Window(0, 0, width, height, flip));
                    case CLIP -> {
                        int[] size = shortSideTo(width, height, s);
                        double fx = (double) width / size[0];
                        double fy = (double) height / size[1];
                        int left = (int) Math.rint((size[0] - s) / 2.0);
                        int top = (int) Math.rint((size[1] - s) / 2.0);
                        out.add(new Window(left * fx, top * fy, (left + s) * fx, (top + s) * fy, flip));
                    }
                    case LETTERBOX -> {
                        if (width >= height) {
                            int nh = Math.max(1, (int) Math.rint((double) height / width * s));
                            double f = (double) height / nh;
                            int y = width == height ? 0 : (int) Math.rint((s - nh) * 0.5);
                            out.add(new Window(0, -y * f, width, (s - y) * f, flip));
                        } else {
                            int nw = Math.max(1, (int) Math.rint((double) width / height * s));
                            double f = (double) width / nw;
                            int x = (int) Math.rint((s - nw) * 0.5);
                            out.add(new Window(-x * f, 0, (s - x) * f, height, flip));
                        }
                    }
                }
            }
            case GRID3, GRID3_FLIP -> {
                boolean upscale = Math.min(width, height) < s;
                int[] size = upscale ? shortSideTo(width, height, s) : new int[] {width, height};
                double fx = (double) width / size[0];
                double fy = (double) height / size[1];
                for (int gy = 0; gy < 3; gy++) {
                    for (int gx = 0; gx < 3; gx++) {
                        int x = gridOrigin(size[0], s, gx);
                        int y = gridOrigin(size[1], s, gy);
                        out.add(new Window(x * fx, y * fy, (x + s) * fx, (y + s) * fy, flip));
                    }
                }
            }
        }
        return out;
    }

    /** The pack's resize policy applied to the whole image, as an S×S image. */
    RgbImage centre(RgbImage img, PreprocessSpec spec) {
        int s = spec.size();
        return switch (spec.resize()) {
            case SQUASH -> PillowResampler.resize(img, s, s, vector());
            case CLIP -> {
                int[] size = shortSideTo(img.width(), img.height(), s);
                // torchvision CenterCrop: int(round((h - S) / 2.0)), Python rounds half to even
                int left = (int) Math.rint((size[0] - s) / 2.0);
                int top = (int) Math.rint((size[1] - s) / 2.0);
                yield PillowResampler.resizeWindow(img, size[0], size[1], left, top, s, s, vector());
            }
            case LETTERBOX -> letterbox(img, s);
        };
    }

    /**
     * torchvision {@code Resize(S)}: the short side becomes S, the long side {@code int(S * long / short)}
     * (a float division truncated, as Python computes it).
     */
    static int[] shortSideTo(int w, int h, int s) {
        if (w <= h) {
            return new int[] {s, (int) ((double) ((long) s * h) / w)};
        }
        return new int[] {(int) ((double) ((long) s * w) / h), s};
    }

    /** Pillow's {@code ImageOps.pad(img, (S, S), BICUBIC)}: fit inside S×S, centred on black. */
    private RgbImage letterbox(RgbImage img, int s) {
        int w = img.width();
        int h = img.height();
        if (w == h) {
            return PillowResampler.resize(img, s, s, vector());
        }
        RgbImage fitted;
        int x = 0;
        int y = 0;
        if (w > h) {
            int nh = Math.max(1, (int) Math.rint((double) h / w * s));
            fitted = nh == h && s == w ? img : PillowResampler.resize(img, s, nh, vector());
            y = (int) Math.rint((s - nh) * 0.5);
        } else {
            int nw = Math.max(1, (int) Math.rint((double) w / h * s));
            fitted = nw == w && s == h ? img : PillowResampler.resize(img, nw, s, vector());
            x = (int) Math.rint((s - nw) * 0.5);
        }
        byte[] canvas = new byte[s * s * 3];
        for (int row = 0; row < fitted.height(); row++) {
            System.arraycopy(fitted.pixels(), row * fitted.stride(), canvas, ((y + row) * s + x) * 3, fitted.stride());
        }
        return new RgbImage(s, s, canvas);
    }

    /**
     * 3×3 S×S crops at native resolution, evenly spaced from corner to corner (overlapping on small images). An
     * image whose short side is below S is first brought up to S (only the nine windows are computed).
     */
    List<RgbImage> grid(RgbImage img, int s) {
        boolean upscale = Math.min(img.width(), img.height()) < s;
        int[] size = upscale ? shortSideTo(img.width(), img.height(), s) : new int[] {img.width(), img.height()};
        List<RgbImage> crops = new ArrayList<>(9);
        for (int gy = 0; gy < 3; gy++) {
            for (int gx = 0; gx < 3; gx++) {
                int x = gridOrigin(size[0], s, gx);
                int y = gridOrigin(size[1], s, gy);
                crops.add(upscale ? PillowResampler.resizeWindow(img, size[0], size[1], x, y, s, s, vector()) : img.crop(x, y, s, s));
            }
        }
        return crops;
    }
}
