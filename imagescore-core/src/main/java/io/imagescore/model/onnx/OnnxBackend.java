package io.imagescore.model.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.grpc.Context;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.LongBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Embedded ONNX Runtime (CPU). One session per model, created once at load; thread counts explicit (intra-op N,
 * inter-op 1, sequential execution: measured fastest for these CNN/ViT graphs, and deterministic). Every tensor and
 * result is closed in {@code finally}.
 *
 * <p>Every run has its own {@link OrtSession.RunOptions}: its terminate flag is set when the caller's deadline passes
 * (a timer), when the caller's gRPC context is cancelled, or when the backend closes, so ONNX Runtime stops between
 * nodes instead of finishing work nobody waits for. {@link #close()} frees the native sessions only after the last
 * run has returned: closing a session under a running {@code OrtSession.run} crashes the JVM (SIGSEGV).
 */
public final class OnnxBackend implements ModelBackend {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(OnnxBackend.class);

    /**
     * @param intraOpThreads      threads one inference may use; 0 = all cores
     * @param spinning            ONNX Runtime's {@code session.intra_op.allow_spinning}: idle intra-op threads busy-wait
     *                            for the next work item instead of sleeping (bench/README.md, "ORT intra-op spinning")
     * @param optimizedModelCache a directory where ONNX Runtime's optimised graphs are kept between starts
     *                            ({@link OptimizedModels}); empty = every start optimises again
     */
    public record Config(int intraOpThreads, boolean spinning, java.util.Optional<java.nio.file.Path> optimizedModelCache) {
        public Config(int intraOpThreads, boolean spinning) {
            this(intraOpThreads, spinning, java.util.Optional.empty());
        }

        /** The measured default: see {@link #DEFAULT_SPINNING}. */
        public Config(int intraOpThreads) {
            this(intraOpThreads, DEFAULT_SPINNING);
        }
    }

    /** Off: on shared CPUs spinning threads burn cores other calls and decodes need (bench/spinning-bench.sh). */
    public static final boolean DEFAULT_SPINNING = false;

    private final OrtEnvironment env;
    private final Config config;
    private final Map<String, Loaded> sessions = new ConcurrentHashMap<>();
    /** Runs in progress, each with its options (to terminate them); read side = a run, write side = close. */
    private final Set<OrtSession.RunOptions> running = ConcurrentHashMap.newKeySet();
    private final ReentrantReadWriteLock runs = new ReentrantReadWriteLock();
    private volatile boolean closing;

    /**
     * Sets terminate flags at deadlines; one daemon thread for all backends (it only flips flags). A run that ends in
     * time cancels its timer, and the cancelled timer leaves the queue at once: kept (the executor's default), every
     * run left an entry for the rest of its deadline (the server's default is 120 s), and the thread woke once per run
     * that late only to drop it (bench/README.md, "Service overhead", run G).
     */
    private static final ScheduledThreadPoolExecutor TIMER = deadlineTimer();

    private static ScheduledThreadPoolExecutor deadlineTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("ort-deadlines").daemon().factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** Deadline timers neither fired nor cancelled (for tests). */
    static int pendingDeadlines() {
        return TIMER.getQueue().size();
    }

    private record Loaded(ModelSpec spec, OrtSession session) {
    }

    /**
     * OS names of the threads ONNX Runtime starts, which otherwise inherit the name of the thread that made them (Linux):
     * one when the process's environment is created, the intra-op pool of each session. At most 15 characters.
     */
    static final String ENVIRONMENT_THREAD_NAME = "onnx-env";
    static final String INTRA_OP_THREAD_NAME = "onnx-intra-op";

    /** Runs {@code work} with the calling thread renamed (Thread.setName renames the OS thread too), then restores it. */
    private static <T> T namedThread(String name, OrtWork<T> work) throws OrtException, IOException {
        Thread current = Thread.currentThread();
        String old = current.getName();
        current.setName(name);
        try {
            return work.get();
        } finally {
            current.setName(old);
        }
    }

    @FunctionalInterface
    private interface OrtWork<T> {
        T get() throws OrtException, IOException;
    }

    public OnnxBackend(Config config) {
        this.config = config;
        try {
            this.env = namedThread(ENVIRONMENT_THREAD_NAME, OrtEnvironment::getEnvironment);
        } catch (OrtException | IOException e) {
            throw new AssertionError("getEnvironment declares no checked exception", e);
        }
    }

    @Override
    public String kind() {
        return "onnx";
    }

    @Override
    public synchronized void load(ModelSpec model) {
        if (sessions.containsKey(model.id())) {
            return;
        }
        if (model.file() == null) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "model " + model.id() + " declares no ONNX file; the embedded backend needs one");
        }
        try {
            OrtSession session = createSession(env, model, config);
            try {
                check(model, "input", model.inputs(), session.getInputInfo());
                check(model, "output", model.outputs(), session.getOutputInfo());
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
            sessions.put(model.id(), new Loaded(model, session));
        } catch (OrtException | IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, model.file() + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    /**
     * The session this backend runs {@code model} in, with its options (also what a benchmark compares against: the
     * same model bytes, threads and settings without this class around it).
     */
    public static OrtSession createSession(OrtEnvironment env, ModelSpec model, Config config)
            throws OrtException, IOException {
        int threads = config.intraOpThreads() > 0 ? config.intraOpThreads() : Runtime.getRuntime().availableProcessors();
        OptimizedModels.Options options = level -> {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            try {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.addConfigEntry("session.intra_op.allow_spinning", config.spinning() ? "1" : "0");
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.setOptimizationLevel(level);
                return o;
            } catch (OrtException | RuntimeException e) {
                o.close();
                throw e;
            }
        };
        // int8 weights as uint8 (the same features on every x86-64 CPU, see UnsignedInt8Weights), optimised at level
        // ALL: done here, or once per cache key when a cache directory is set. Created under the intra-op threads'
        // name, so that per-thread CPU tables (bench/README.md) do not charge inference to the pack's loading thread.
        byte[] bytes = Files.readAllBytes(model.file());
        OptimizedModels.Opened opened = namedThread(INTRA_OP_THREAD_NAME, () -> new OptimizedModels(
                config.optimizedModelCache().orElse(null)).open(env, model.file(), bytes,
                "intra-op " + threads + ", inter-op 1, sequential", options));
        if (config.optimizedModelCache().isPresent()) {
            LOG.infof("%s: optimised graph %s (%s)", model.id(), switch (opened.source()) {
                case CACHED -> "loaded from the cache";
                case SAVED -> "built and saved to the cache";
                case UNCACHED -> "built, not cached";
            }, config.optimizedModelCache().get());
        }
        return opened.session();
    }

    /** The pack must declare names, types and shapes the ONNX graph really has: a mismatch is caught at start-up. */
    private static void check(ModelSpec model, String what, List<TensorSpec> declared, Map<String, NodeInfo> actual) {
        for (TensorSpec t : declared) {
            NodeInfo info = actual.get(t.name());
            if (info == null) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, model.file() + ": the model has no " + what + " '"
                        + t.name() + "' (it has " + actual.keySet() + ")");
            }
            if (info.getInfo() instanceof TensorInfo ti) {
                OnnxJavaType expected = switch (t.type()) {
                    case FP32 -> OnnxJavaType.FLOAT;
                    case INT64 -> OnnxJavaType.INT64;
                    case UINT8 -> OnnxJavaType.UINT8;
                };
                if (ti.type != expected) {
                    throw new ImageScoreException(ErrorCode.INVALID_PACK, model.file() + ": " + what + " '" + t.name()
                            + "' is " + ti.type + " in the model but declared " + t.type());
                }
                long[] shape = ti.getShape();
                if (shape.length != t.shape().size()) {
                    throw new ImageScoreException(ErrorCode.INVALID_PACK, model.file() + ": " + what + " '" + t.name()
                            + "' has rank " + shape.length + " in the model but declared shape " + t.shape());
                }
                for (int i = 1; i < shape.length; i++) {
                    if (shape[i] > 0 && t.shape().get(i) > 0 && shape[i] != t.shape().get(i)) {
                        throw new ImageScoreException(ErrorCode.INVALID_PACK, model.file() + ": " + what + " '" + t.name()
                                + "' has shape " + java.util.Arrays.toString(shape) + " in the model but declared " + t.shape());
                    }
                }
            }
        }
    }

    @Override
    public boolean ready() {
        return !sessions.isEmpty();
    }

    @Override
    public Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
        if (closing || !runs.readLock().tryLock()) {
            throw closed();
        }
        try {
            if (closing) {
                throw closed();
            }
            return run(modelId, inputs, outputs, deadline);
        } finally {
            runs.readLock().unlock();
        }
    }

    private Map<String, Tensor> run(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
        Loaded loaded = sessions.get(modelId);
        if (loaded == null) {
            throw new ImageScoreException(ErrorCode.MODEL_NOT_READY, "model " + modelId + " is not loaded");
        }
        if (remainingNanos(deadline) <= 0) {
            throw notStarted(modelId);
        }
        Context context = Context.current();
        if (context.isCancelled()) {
            throw new ImageScoreException(ErrorCode.CANCELLED, "the call was cancelled before " + modelId + " ran");
        }
        Map<String, OnnxTensor> ortInputs = new HashMap<>();
        OrtSession.RunOptions options = null;
        ScheduledFuture<?> timer = null;
        Context.CancellationListener onCancel = null;
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                Tensor t = e.getValue();
                if (t.batchSize() > loaded.spec().maxBatch()) {
                    throw new ImageScoreException(ErrorCode.INTERNAL, "batch " + t.batchSize() + " exceeds max batch "
                            + loaded.spec().maxBatch() + " of " + modelId);
                }
                ortInputs.put(e.getKey(), switch (t.type()) {
                    case FP32 -> OnnxTensor.createTensor(env, FloatBuffer.wrap(t.floats()), t.shape());
                    case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap(t.longs()), t.shape());
                    case UINT8 -> OnnxTensor.createTensor(env, java.nio.ByteBuffer.wrap(t.bytes()), t.shape(), OnnxJavaType.UINT8);
                });
            }
            options = new OrtSession.RunOptions();
            OrtSession.RunOptions ro = options;
            running.add(ro);
            onCancel = c -> terminate(ro);
            context.addListener(onCancel, Runnable::run);
            // measured here, after the inputs were copied (a 32-image batch is 19 MB: tens of ms on a loaded CPU):
            // the timer fires at the deadline itself, and no run starts after it
            long remainingNanos = remainingNanos(deadline);
            if (remainingNanos <= 0) {
                throw notStarted(modelId);
            }
            if (deadline != null) {
                timer = TIMER.schedule(() -> terminate(ro), remainingNanos, TimeUnit.NANOSECONDS);
            }
            try (OrtSession.Result result = loaded.session().run(ortInputs, outputs, ro)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    long[] shape = t.getInfo().getShape();
                    if (t.getInfo().type == OnnxJavaType.FLOAT) {
                        FloatBuffer fb = t.getFloatBuffer();
                        float[] data = new float[fb.remaining()];
                        fb.get(data);
                        out.put(e.getKey(), Tensor.ofFloats(shape, data));
                    } else if (t.getInfo().type == OnnxJavaType.INT64) {
                        LongBuffer lb = t.getLongBuffer();
                        long[] data = new long[lb.remaining()];
                        lb.get(data);
                        out.put(e.getKey(), Tensor.ofLongs(shape, data));
                    } else {
                        throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, "output " + e.getKey() + " of "
                                + modelId + " has unsupported type " + t.getInfo().type);
                    }
                }
                return out;
            }
        } catch (OrtException e) {
            // a terminated run fails with "Exiting due to terminate flag": report why it was terminated
            if (deadline != null && !Instant.now().isBefore(deadline)) {
                throw new ImageScoreException(ErrorCode.DEADLINE_EXCEEDED, "the deadline passed while " + modelId
                        + " ran; the run was terminated", e);
            }
            if (context.isCancelled()) {
                throw new ImageScoreException(ErrorCode.CANCELLED, "the call was cancelled while " + modelId
                        + " ran; the run was terminated", e);
            }
            if (closing) {
                throw closed();
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "ONNX Runtime failed on " + modelId + ": " + e.getMessage(), e);
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            if (onCancel != null) {
                context.removeListener(onCancel);
            }
            if (options != null) {
                running.remove(options);
                synchronized (options) { // never close while terminate() is flipping the flag
                    options.close();
                }
            }
            ortInputs.values().forEach(OnnxTensor::close);
        }
    }

    private static long remainingNanos(Instant deadline) {
        if (deadline == null) {
            return Long.MAX_VALUE;
        }
        try {
            return Duration.between(Instant.now(), deadline).toNanos();
        } catch (ArithmeticException e) {
            return deadline.isBefore(Instant.now()) ? Long.MIN_VALUE : Long.MAX_VALUE; // centuries away
        }
    }

    private static ImageScoreException notStarted(String modelId) {
        return new ImageScoreException(ErrorCode.DEADLINE_EXCEEDED, "the deadline passed before " + modelId + " ran");
    }

    /** Asks ONNX Runtime to stop the run between nodes (safe from any thread while the run is registered). */
    private void terminate(OrtSession.RunOptions options) {
        synchronized (options) {
            if (!running.contains(options)) {
                return; // already finished and closed (or closing)
            }
            try {
                options.setTerminate(true);
            } catch (OrtException | RuntimeException e) {
                // the run ends on its own; nothing else to do
            }
        }
    }

    private static ImageScoreException closed() {
        return new ImageScoreException(ErrorCode.SHUTTING_DOWN, "the ONNX Runtime backend is shutting down",
                Map.of("retry_after_ms", "1000"), null);
    }

    /**
     * Terminates the runs in progress, waits until every one has returned (the write lock excludes all runs), and
     * only then frees the native sessions.
     */
    @Override
    public synchronized void close() {
        closing = true;
        running.forEach(this::terminate);
        runs.writeLock().lock();
        try {
            closeSessions();
        } finally {
            runs.writeLock().unlock();
        }
    }

    private void closeSessions() {
        for (Loaded l : sessions.values()) {
            try {
                l.session().close();
            } catch (OrtException e) {
                // closing at shutdown: nothing left to do with the error
            }
        }
        sessions.clear();
    }
}
