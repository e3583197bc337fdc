package io.imagescore.score;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.explain.Explainer;
import io.imagescore.explain.Explanation;
import io.imagescore.explain.HeadGradient;
import io.imagescore.head.ScoreSpec;
import io.imagescore.model.TensorSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessedImage;
import io.imagescore.image.StageClock;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.opentelemetry.context.Context;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The path of a batch of images: decode + preprocess (in parallel, per-image errors) → one batched encoder pass for
 * all views of all images (chunked by the model's max batch) → heads on the averaged outputs. Every score of a pack
 * reads the same encoding. Stages are timed here, in the one class that runs them.
 */
public class ScoringPipeline {
    private static final Logger LOG = Logger.getLogger(ScoringPipeline.class);

    private final ModelBackend backend;
    private final Preprocessor preprocessor;
    private final ScoreMetrics metrics;
    /** Decoded pixels and encoded bytes of the images being decoded, across all calls. */
    private final FairBudget decoding;
    /** Model calls running at once, across all calls. */
    private final FairBudget inference;
    private final ExecutorService cpu;
    private final Limits limits;
    /** Recent wall time per tensor of each model's calls (under the current load): sizes calls near a deadline. */
    private final Pace pace = new Pace();

    /** Heap-derived default limits (the CLI's embedded mode, tests). */
    public ScoringPipeline(ModelBackend backend, Preprocessor preprocessor, ScoreMetrics metrics) {
        this(backend, preprocessor, metrics, Limits.defaults());
    }

    public ScoringPipeline(ModelBackend backend, Preprocessor preprocessor, ScoreMetrics metrics, Limits limits) {
        this.backend = backend;
        this.preprocessor = preprocessor;
        this.metrics = metrics;
        this.limits = limits;
        long waitNanos = limits.maxQueueWait().toNanos();
        this.decoding = new FairBudget("pixels", limits.maxQueued(), waitNanos, metrics, limits.pixelBudget(),
                limits.byteBudget());
        this.inference = new FairBudget("inference", limits.maxQueued(), waitNanos, metrics,
                limits.maxConcurrentInference());
        this.cpu = Executors.newFixedThreadPool(limits.preprocessThreads(),
                Thread.ofPlatform().name("preprocess-", 0).daemon().factory());
        metrics.inflightPixels(() -> decoding.inUse(0));
        LOG.debugf("admission: %d pixels, %d bytes, %d model calls, queue %d for %s, %d preprocess threads",
                limits.pixelBudget(), limits.byteBudget(), limits.maxConcurrentInference(), limits.maxQueued(),
                limits.maxQueueWait(), limits.preprocessThreads());
    }

    /** Stops the preprocessing pool (the server calls it when the pipeline is disposed). */
    public void stop() {
        cpu.shutdownNow();
    }

    /** A resolved score request: which head version produces each wanted score. */
    public record Selection(String name, HeadVersion head) {
    }

    /**
     * Resolves "name" or "name@version" ({@link ScoreRef}) against the pack; empty = the pack's default scores
     * ({@link ModelPack#defaultScoreNames}), each at its active version.
     * A malformed reference → INVALID_REQUEST; unknown names → UNKNOWN_SCORE (NOT_FOUND) listing what the pack offers.
     */
    public static List<Selection> select(ModelPack pack, List<String> wanted) {
        List<Selection> out = new ArrayList<>();
        if (wanted.isEmpty()) {
            pack.defaultScoreNames().forEach(name -> out.add(new Selection(name, pack.heads().get(name).lastEntry().getValue())));
            return out;
        }
        Set<String> seen = new LinkedHashSet<>();
        for (String w : wanted) {
            if (!seen.add(w)) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score '" + w + "' is requested twice");
            }
            ScoreRef ref = ScoreRef.parse(w);
            String name = ref.name();
            var versions = pack.heads().get(name);
            if (versions == null) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_SCORE, "unknown score '" + name + "' in pack " + pack.name()
                        + "; it offers " + pack.heads().keySet(), Map.of("score", name, "pack", pack.name()), null);
            }
            HeadVersion hv = ref.hasVersion() ? versions.get(ref.version()) : versions.lastEntry().getValue();
            if (hv == null) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_HEAD_VERSION, "score '" + name + "' has no version '"
                        + ref.version() + "'; versions: " + versions.keySet(), Map.of("score", name), null);
            }
            out.add(new Selection(name, hv));
        }
        return out;
    }

    /** Scores every image with the selected heads. The result list has the request's order. */
    public List<Outcome<ScoredImage>> score(ModelPack pack, List<ImageInput> images, List<Selection> selections,
                                            boolean includeEmbedding, PreprocessMode mode, Instant deadline) {
        return score(pack, images, selections, includeEmbedding, false, mode, deadline);
    }

    /**
     * Scores, and with {@code explain} also attributes every selected score to image regions ({@link Explainer}),
     * from the same encoder pass: the pack's spatial output is fetched beside the embedding.
     */
    public List<Outcome<ScoredImage>> score(ModelPack pack, List<ImageInput> images, List<Selection> selections,
                                            boolean includeEmbedding, boolean explain, PreprocessMode mode,
                                            Instant deadline) {
        Set<View> views = new LinkedHashSet<>();
        Set<String> outputs = new LinkedHashSet<>();
        for (Selection s : selections) {
            views.addAll(s.head().spec().views());
            outputs.add(s.head().input());
        }
        TensorSpec spatial = explain ? spatialOutput(pack) : null;
        if (spatial != null) {
            outputs.add(spatial.name());
        }
        if (includeEmbedding || selections.isEmpty()) {
            views.addAll(pack.preprocessing().views());
            outputs.add(pack.embeddingOutput());
        }
        List<Outcome<EncodedImage>> encoded = encode(pack, images, List.copyOf(views), outputs, mode, deadline);
        try (StageClock.Timing ignored = metrics.begin("heads")) {
            return heads(pack, encoded, selections, includeEmbedding, explain, spatial);
        }
    }

    /** The heads' scores; with {@code explain} also their maps (from {@code spatial}, null when the pack has none). */
    private List<Outcome<ScoredImage>> heads(ModelPack pack, List<Outcome<EncodedImage>> encoded, List<Selection> selections,
                                             boolean includeEmbedding, boolean explain, TensorSpec spatial) {
        List<Outcome<ScoredImage>> out = new ArrayList<>(encoded.size());
        for (Outcome<EncodedImage> e : encoded) {
            if (!e.isOk()) {
                out.add(Outcome.failed(e.id(), e.error()));
                continue;
            }
            EncodedImage img = e.value();
            List<ScoredImage.Scalar> scalars = new ArrayList<>();
            List<ScoredImage.Classes> classes = new ArrayList<>();
            List<float[]> inputs = new ArrayList<>(selections.size());
            List<float[]> outputs = new ArrayList<>(selections.size());
            for (Selection s : selections) {
                HeadVersion hv = s.head();
                float[] x = img.mean(hv.input(), hv.spec().views());
                float[] y = hv.head().apply(x);
                inputs.add(x);
                outputs.add(y);
                if (hv.spec().kind() == ScoreSpec.Kind.SCALAR) {
                    scalars.add(new ScoredImage.Scalar(s.name(), hv.version(), y[0]));
                } else {
                    classes.add(new ScoredImage.Classes(s.name(), hv.version(), hv.spec().classes(), y,
                            hv.ood() == null ? Double.NaN : hv.ood().inDomain(x)));
                }
            }
            float[] embedding = includeEmbedding ? img.mean(pack.embeddingOutput(), pack.preprocessing().views()) : null;
            List<Explanation> explanations = new ArrayList<>();
            Explainer.Spatial embeddingMaps = null;
            if (explain) {
                try (StageClock.Timing ignored = metrics.begin("explain")) {
                    for (int i = 0; i < selections.size(); i++) {
                        explanations.add(explain(pack, spatial, selections.get(i), img, inputs.get(i), outputs.get(i)));
                    }
                }
                if (includeEmbedding && spatial != null) {
                    embeddingMaps = spatialMaps(pack, spatial, img, pack.preprocessing().views());
                }
            }
            out.add(Outcome.ok(e.id(), new ScoredImage(img.sha256(), img.width(), img.height(), scalars, classes,
                    embedding, explanations, embeddingMaps)));
        }
        return out;
    }

    /**
     * The encoder output explanations read: by convention named {@value #SPATIAL_OUTPUT}, shape [N, C, H, W] with
     * C the embedding's length (the map the embedding pools). Null when the pack's encoder has none.
     */
    public static TensorSpec spatialOutput(ModelPack pack) {
        for (TensorSpec t : pack.encoder().outputs()) {
            if (t.name().equals(SPATIAL_OUTPUT) && t.shape().size() == 4) {
                return t;
            }
        }
        return null;
    }

    public static final String SPATIAL_OUTPUT = "spatial";

    /**
     * One score's map, or a "none" explanation naming why (no spatial output; a head on another output; no weights).
     * {@code x} and {@code y}: the head's input and output, as scoring computed them.
     */
    private static Explanation explain(ModelPack pack, TensorSpec spatial, Selection s, EncodedImage img, float[] x,
                                       float[] y) {
        HeadVersion hv = s.head();
        List<String> classes = hv.spec().kind() == ScoreSpec.Kind.SCALAR ? null : hv.spec().classes();
        String why = spatial == null ? "the pack's encoder has no spatial output"
                : !hv.input().equals(pack.embeddingOutput()) ? "the head reads '" + hv.input() + "', not the pooled embedding"
                : !HeadGradient.supported(hv.head()) ? "a " + hv.head().type() + " head on this input has no attribution"
                : null;
        if (why != null) {
            return Explanation.none(s.name(), hv.version(), why, img.width(), img.height());
        }
        return Explainer.explain(s.name(), hv.version(), hv.head(), classes, x, y,
                spatialMaps(pack, spatial, img, hv.spec().views()));
    }

    /** The spatial output of every tensor of {@code views}, each with the window it covers in the image. */
    private static Explainer.Spatial spatialMaps(ModelPack pack, TensorSpec spatial, EncodedImage img, List<View> views) {
        List<Explainer.SpatialTensor> tensors = new ArrayList<>();
        for (View v : views) {
            List<float[]> maps = img.views().get(v).perTensor().get(spatial.name());
            List<Preprocessor.Window> windows = Preprocessor.windows(img.width(), img.height(), pack.preprocessing(), v);
            for (int t = 0; t < maps.size(); t++) {
                tensors.add(new Explainer.SpatialTensor(v, t, windows.get(t), maps.get(t)));
            }
        }
        List<Long> shape = spatial.shape();
        return new Explainer.Spatial(tensors, shape.get(1).intValue(), shape.get(2).intValue(), shape.get(3).intValue(),
                img.width(), img.height());
    }

    /**
     * Decodes, preprocesses and encodes images: the shared first half of scoring, fitting and sorting.
     * Images are decoded in groups of about one encoder batch of tensors; one group is decoded while the tensors
     * of the groups before it are encoded, so about three to four batches of tensors are held at once per call.
     *
     * <p>Overload and time: every image's pixel count is read from its header first (limits → per-image error, no
     * decode); each group is admitted against the shared pixel/byte budget before it is decoded, and each model call
     * against the inference limit. The call's deadline and cancellation ({@link CallScope}, from the current gRPC
     * context) are checked before each decode, before every model call and between groups: once the call is over no
     * further decode or model call starts, and DEADLINE_EXCEEDED / CANCELLED is thrown.
     */
    public List<Outcome<EncodedImage>> encode(ModelPack pack, List<ImageInput> images, List<View> views,
                                              Set<String> outputs, PreprocessMode mode, Instant deadline) {
        CallScope scope = CallScope.of(limits.cap(deadline));
        scope.check("decoding");
        int tensorsPerImage = views.stream().mapToInt(View::tensorCount).sum();
        int maxBatch = pack.encoder().maxBatch();
        boolean overlap = this.overlap;
        int group = overlap ? Math.max(1, (maxBatch + tensorsPerImage - 1) / tensorsPerImage)
                : Math.max(1, 2 * maxBatch / tensorsPerImage);
        long[] cost = new long[images.size()];
        ImageScoreException[] rejected = new ImageScoreException[images.size()];
        for (int i = 0; i < images.size(); i++) {
            try {
                cost[i] = preprocessor.pixelCost(images.get(i).data());
            } catch (ImageScoreException e) {
                rejected[i] = e;
            } catch (RuntimeException e) {
                rejected[i] = unexpected(images.get(i), e);
            }
        }
        // a model that normalises inside its graph (the Triton UINT8 variants) gets the pixels: 1 byte per value
        TensorSpec input = backend.inputs(pack.encoder()).getFirst();
        boolean rawPixels = input.type() == Tensor.DataType.UINT8;
        // with a mirrored variant of the model (Triton), a view and its *_flip view travel once, as the view
        ModelSpec mirrored = backend.mirroredVariant(pack.encoder());
        Set<View> mirroredInModel = mirrored == null ? Set.of() : views.stream()
                .filter(v -> !v.isFlip() && views.contains(v.flipped()))
                .collect(java.util.stream.Collectors.toCollection(() -> java.util.EnumSet.noneOf(View.class)));
        Encoding encoding = new Encoding(pack, views, mirroredInModel, mirrored, outputs, scope, images.size(), input,
                rawPixels);
        List<View> sent = views.stream().filter(v -> encoding.sentAs(v) == v).toList(); // the views preprocessed
        // Two groups in flight: while the model encodes one group's tensors, the pool decodes the next, so neither the
        // cores nor the model wait for the other (decoding a group and then encoding it left cores idle in turns).
        Decoding next = null;
        try {
            next = decodeGroup(pack, images, 0, Math.min(images.size(), group), cost, rejected, sent, mode, rawPixels,
                    scope);
            for (int start = 0; start < images.size(); start += group) {
                Decoding current = next;
                next = null;
                current.await(encoding);
                if (!overlap) {
                    encoding.run(true);
                }
                int nextStart = start + group;
                if (nextStart < images.size()) {
                    scope.check("decoding images " + nextStart + ".." + (Math.min(images.size(), nextStart + group) - 1));
                    next = decodeGroup(pack, images, nextStart, Math.min(images.size(), nextStart + group), cost,
                            rejected, sent, mode, rawPixels, scope);
                }
                encoding.run(false);
            }
            encoding.run(true);
        } finally {
            if (next != null) {
                next.cancel();
            }
        }
        return encoding.results();
    }

    private volatile boolean overlap = true;

    /**
     * {@code false} restores the earlier schedule (decode a group of about two batches, then encode it, then the next
     * group), for benchmarks that compare the two (bench/overhead-bench.sh); values are the same either way.
     */
    public void overlapDecoding(boolean overlap) {
        this.overlap = overlap;
    }

    /** What the pool computes per image: its tensors and its content hash (off the calling thread). */
    private record Decoded(PreprocessedImage image, String sha256) {
    }

    /** One group's decodes on the pool, admitted against the pixel/byte budget until they have become tensors. */
    private final class Decoding {
        final List<ImageInput> images;
        final int offset;
        final ImageScoreException[] errors;
        final List<Future<Decoded>> futures = new ArrayList<>();
        final FairBudget.Grant admitted;
        final CallScope scope;

        Decoding(List<ImageInput> images, int offset, ImageScoreException[] errors, FairBudget.Grant admitted,
                 CallScope scope) {
            this.images = images;
            this.offset = offset;
            this.errors = errors;
            this.admitted = admitted;
            this.scope = scope;
        }

        /** Waits for every decode, hands the images (or their errors) to {@code encoding}, releases the budget. */
        void await(Encoding encoding) {
            try {
                for (int i = 0; i < images.size(); i++) {
                    Decoded decoded = null;
                    if (futures.get(i) != null) {
                        try {
                            decoded = futures.get(i).get();
                        } catch (ExecutionException e) {
                            if (e.getCause() instanceof ImageScoreException ise && scope.done()
                                    && (ise.code() == ErrorCode.CANCELLED || ise.code() == ErrorCode.DEADLINE_EXCEEDED)) {
                                throw ise;
                            }
                            errors[i] = e.getCause() instanceof ImageScoreException ise ? ise : unexpected(images.get(i), e.getCause());
                            metrics.imageError(errors[i].code().name());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new ImageScoreException(ErrorCode.CANCELLED, "interrupted while preprocessing", e);
                        }
                    }
                    encoding.add(offset + i, images.get(i), decoded, errors[i]);
                }
            } finally {
                cancel();
            }
        }

        /** Drops queued decodes (no-op for finished ones) and releases the group's budget. */
        void cancel() {
            futures.forEach(f -> {
                if (f != null) {
                    f.cancel(false);
                }
            });
            admitted.close();
        }
    }

    private Decoding decodeGroup(ModelPack pack, List<ImageInput> all, int start, int end, long[] cost,
                                 ImageScoreException[] rejected, List<View> views, PreprocessMode mode,
                                 boolean rawPixels, CallScope scope) {
        List<ImageInput> images = all.subList(start, end);
        ImageScoreException[] errors = java.util.Arrays.copyOfRange(rejected, start, end);
        long pixels = 0;
        long bytes = 0;
        for (int i = 0; i < images.size(); i++) {
            metrics.image(pack.name());
            if (errors[i] != null) {
                metrics.imageError(errors[i].code().name());
            } else {
                pixels += cost[start + i];
                bytes += images.get(i).size();
            }
        }
        // the group's rasters are admitted together and released once they have become tensors
        Decoding d = new Decoding(images, start, errors, decoding.acquire(scope, pixels, bytes), scope);
        try {
            for (int i = 0; i < images.size(); i++) {
                if (errors[i] != null) {
                    d.futures.add(null);
                    continue;
                }
                ImageInput image = images.get(i);
                // queued work of an ended call is dropped, and an image decoded past the call's end is not made into
                // tensors (each stage checks the call before it begins)
                StageClock checked = stage -> {
                    scope.check("the " + stage + " of image '" + image.id() + "'");
                    return metrics.begin(stage);
                };
                // the call's trace context travels to the pool thread, so its decode spans are the call's children
                d.futures.add(cpu.submit(Context.current().wrap(() -> {
                    scope.check("decoding image '" + image.id() + "'");
                    PreprocessedImage pre = rawPixels
                            ? preprocessor.preprocessPixels(image.data(), pack.preprocessing(), views, mode, checked)
                            : preprocessor.preprocess(image.data(), pack.preprocessing(), views, mode, checked);
                    return new Decoded(pre, image.sha256() != null ? image.sha256() : sha256(image.data()));
                })));
            }
        } catch (RuntimeException | Error e) {
            d.cancel();
            throw e;
        }
        return d;
    }

    /**
     * The encoder side of one call: every tensor of every view of every good image, in request order (image, view,
     * tensor: a fixed order), goes into full model batches that may span images; an image's outputs are averaged per
     * view as soon as its last tensor is back, and its tensors are dropped once they are in a batch. A view whose
     * {@code *_flip} view is also wanted goes, with a mirrored variant of the model, to that model's lane instead:
     * one tensor sent, both orientations' outputs back.
     */
    private final class Encoding {
        /**
         * An image whose tensors are queued or being encoded; {@code rows} gets each output of each tensor. Its tensors
         * are referenced only from the queue, so each is freed once it has been copied into a batch.
         */
        private final class Pending {
            final int index;
            final ImageInput image;
            final String sha256;
            final int width;
            final int height;
            final Map<View, Integer> counts = new EnumMap<>(View.class);
            final Map<String, float[][]> rows = new HashMap<>();
            int remaining;

            Pending(int index, ImageInput image, Decoded decoded, int tensors) {
                this.index = index;
                this.image = image;
                this.sha256 = decoded.sha256();
                this.width = decoded.image().width();
                this.height = decoded.image().height();
                this.remaining = tensors;
                for (String o : outputs) {
                    rows.put(o, new float[tensors][]);
                }
            }
        }

        /**
         * {@code tensor}: float[] normalised, or byte[] pixels ({@code rawPixels}). {@code mirrorSlot}: where the
         * mirrored orientation's outputs go (the mirrored lane), else -1.
         */
        private record Queued(Pending owner, int slot, int mirrorSlot, Object tensor) {
        }

        /** The tensors queued for one model: the encoder, or its mirrored variant (outputs [N, 2, …]). */
        private record Lane(String modelId, int maxBatch, int orientations, java.util.ArrayDeque<Queued> queue) {
            Lane(ModelSpec model, int orientations) {
                this(model.id(), model.maxBatch(), orientations, new java.util.ArrayDeque<>());
            }

            boolean full() {
                return queue.size() >= maxBatch;
            }
        }

        final ModelPack pack;
        final List<View> views;
        /** Base views sent once for themselves and their flip view (to {@link #mirrored}). */
        final Set<View> mirroredInModel;
        final Set<String> outputs;
        final CallScope scope;
        final List<Outcome<EncodedImage>> out;
        final Lane plain;
        final Lane mirrored;
        final String inputName;
        final boolean rawPixels;
        final int size;

        Encoding(ModelPack pack, List<View> views, Set<View> mirroredInModel, ModelSpec mirroredModel,
                 Set<String> outputs, CallScope scope, int images, TensorSpec input, boolean rawPixels) {
            this.pack = pack;
            this.views = views;
            this.mirroredInModel = mirroredInModel;
            this.outputs = outputs;
            this.scope = scope;
            this.out = new ArrayList<>(java.util.Collections.nCopies(images, null));
            this.plain = new Lane(pack.encoder(), 1);
            this.mirrored = mirroredInModel.isEmpty() ? null : new Lane(mirroredModel, 2);
            this.inputName = input.name();
            this.rawPixels = rawPixels;
            this.size = pack.preprocessing().size();
        }

        /** The view whose tensors are sent for {@code v}: its base view when the model mirrors that one. */
        private View sentAs(View v) {
            return v.isFlip() && mirroredInModel.contains(v.base()) ? v.base() : v;
        }

        void add(int index, ImageInput image, Decoded decoded, ImageScoreException error) {
            if (decoded == null) {
                out.set(index, Outcome.failed(image.id(), error));
                return;
            }
            int tensors = 0;
            Map<View, Integer> first = new EnumMap<>(View.class);
            for (View v : views) {
                first.put(v, tensors);
                tensors += decoded.image().tensorCount(sentAs(v));
            }
            Pending p = new Pending(index, image, decoded, tensors);
            for (View v : views) {
                p.counts.put(v, decoded.image().tensorCount(sentAs(v)));
                if (sentAs(v) != v) {
                    continue; // computed with its base view
                }
                List<?> ts = rawPixels ? decoded.image().pixels().get(v) : decoded.image().views().get(v);
                boolean both = mirroredInModel.contains(v);
                Lane lane = both ? mirrored : plain;
                for (int k = 0; k < ts.size(); k++) {
                    lane.queue().add(new Queued(p, first.get(v) + k, both ? first.get(v.flipped()) + k : -1, ts.get(k)));
                }
            }
        }

        /** Runs every full batch queued; with {@code flush} also the last, partial ones. */
        void run(boolean flush) {
            for (Lane lane = next(flush); lane != null; lane = next(flush)) {
                batch(lane, chunk(Math.min(lane.maxBatch(), lane.queue().size()), scope.remainingNanos(),
                        pace.get(lane.modelId())));
            }
        }

        /** A lane with a full batch queued, else (with {@code flush}) one with any; null when none. */
        private Lane next(boolean flush) {
            if (plain.full() || (mirrored != null && mirrored.full())) {
                return plain.full() ? plain : mirrored;
            }
            if (flush) {
                return !plain.queue().isEmpty() ? plain : mirrored != null && !mirrored.queue().isEmpty() ? mirrored : null;
            }
            return null;
        }

        private void batch(Lane lane, int n) {
            scope.check("a model call");
            int per = 3 * size * size;
            Object batch = rawPixels ? new byte[n * per] : new float[n * per];
            Queued[] members = new Queued[n];
            for (int j = 0; j < n; j++) {
                members[j] = lane.queue().poll();
                System.arraycopy(members[j].tensor(), 0, batch, j * per, per);
            }
            Map<String, Tensor> result;
            try (FairBudget.Grant slot = inference.acquire(scope, 1)) {
                scope.check("a model call"); // the wait may have outlived the call
                // a call with less time left than one tensor takes at the recent pace could only be terminated at the
                // deadline (and, should the check above and the start straddle it, would begin after it): not started
                long perTensor = pace.get(lane.modelId());
                long remaining = scope.remainingNanos();
                if (perTensor > 0 && remaining < perTensor) {
                    throw new ImageScoreException(ErrorCode.DEADLINE_EXCEEDED, String.format(java.util.Locale.ROOT,
                            "the deadline was %.1f ms away, less than one tensor's model time at the recent pace (%.1f ms);"
                                    + " no further model call was started", remaining / 1e6, perTensor / 1e6));
                }
                long began = System.nanoTime();
                try (StageClock.Timing ignored = metrics.begin("inference")) {
                    Tensor batchTensor = Tensor.of(rawPixels ? Tensor.DataType.UINT8 : Tensor.DataType.FP32,
                            new long[] {n, 3, size, size}, batch);
                    result = backend.infer(lane.modelId(), Map.of(inputName, batchTensor), outputs, scope.deadline());
                    pace.observe(lane.modelId(), System.nanoTime() - began, n);
                } catch (ImageScoreException e) {
                    // a backend failing because the call ended (a cancelled RPC, a remote backend giving up at the
                    // deadline less its margin) reports the call's end
                    if (e.code() == ErrorCode.BACKEND_TIMEOUT && scope.deadline() != null
                            && scope.remainingNanos() <= ModelBackend.DEADLINE_MARGIN.toNanos()) {
                        throw new ImageScoreException(ErrorCode.DEADLINE_EXCEEDED, "the deadline passed while a model"
                                + " call ran", e);
                    }
                    scope.check("a model call finished");
                    throw e;
                }
            }
            int orientations = lane.orientations();
            for (String o : outputs) {
                Tensor t = result.get(o);
                if (t == null || t.batchSize() != n || t.rowLength() % orientations != 0) {
                    throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, "encoder of " + pack.name()
                            + " returned no output '" + o + "' for a batch of " + n);
                }
                // a mirrored lane's row j is [as sent, mirrored]
                int len = t.rowLength() / orientations;
                for (int j = 0; j < n; j++) {
                    int at = j * orientations * len;
                    members[j].owner().rows.get(o)[members[j].slot()] = java.util.Arrays.copyOfRange(t.floats(), at, at + len);
                    if (orientations == 2) {
                        members[j].owner().rows.get(o)[members[j].mirrorSlot()] =
                                java.util.Arrays.copyOfRange(t.floats(), at + len, at + 2 * len);
                    }
                }
            }
            for (Queued q : members) {
                if ((q.owner().remaining -= orientations) == 0) {
                    finish(q.owner());
                }
            }
        }

        /** Averages an image's outputs per view. */
        private void finish(Pending p) {
            Map<View, EncodedImage.ViewOutputs> perView = new EnumMap<>(View.class);
            int cursor = 0;
            for (View v : views) {
                int count = p.counts.get(v);
                Map<String, float[]> means = new HashMap<>();
                Map<String, List<float[]>> perTensor = new HashMap<>();
                for (String o : outputs) {
                    float[][] r = p.rows.get(o);
                    perTensor.put(o, List.of(java.util.Arrays.copyOfRange(r, cursor, cursor + count)));
                    double[] acc = new double[r[cursor].length];
                    for (int k = 0; k < count; k++) {
                        float[] row = r[cursor + k];
                        for (int d = 0; d < acc.length; d++) {
                            acc[d] += row[d];
                        }
                    }
                    float[] mean = new float[acc.length];
                    for (int d = 0; d < acc.length; d++) {
                        mean[d] = (float) (acc[d] / count);
                    }
                    means.put(o, mean);
                }
                perView.put(v, new EncodedImage.ViewOutputs(count, means, perTensor));
                cursor += count;
            }
            out.set(p.index, Outcome.ok(p.image.id(), new EncodedImage(p.sha256, p.width, p.height, perView)));
        }

        List<Outcome<EncodedImage>> results() {
            return out;
        }
    }

    /**
     * How many of the {@code wanted} tensors the next model call takes. Without a deadline in sight, all of them (the
     * model's max batch, most efficient). Close to the deadline, only as many as the recent pace says fit in the time
     * left (at least one): a run still going at the deadline is terminated only between the model's nodes, and a
     * node of a full batch takes tens of ms on a loaded CPU (the embedded backend: 150 ms past the deadline at load
     * average 18), so the last call before the deadline is kept small and the work stops close to it.
     */
    static int chunk(int wanted, long remainingNanos, long nanosPerTensor) {
        if (remainingNanos == Long.MAX_VALUE || nanosPerTensor <= 0) {
            return wanted;
        }
        return (int) Math.max(1, Math.min(wanted, remainingNanos / nanosPerTensor));
    }

    private static ImageScoreException unexpected(ImageInput image, Throwable t) {
        LOG.errorf(t, "unexpected failure preprocessing image '%s'", image.id());
        return new ImageScoreException(ErrorCode.INTERNAL, "internal error while preprocessing this image ("
                + t.getClass().getSimpleName() + ")", t);
    }

    /** Hex sha256 of encoded bytes: the content id of an image (results, caches). */
    public static String sha256(byte[] data) {
        return sha256(java.nio.ByteBuffer.wrap(data));
    }

    /** Hex sha256 of the bytes from the buffer's position to its limit (the buffer itself is not moved). */
    public static String sha256(java.nio.ByteBuffer data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Times and traces the stages of work built on this pipeline (the sort after scoring). */
    public StageClock clock() {
        return metrics;
    }

    public String preprocessingId(ModelPack pack, PreprocessMode mode) {
        return preprocessor.preprocessingId(pack.preprocessing(), mode);
    }
}
