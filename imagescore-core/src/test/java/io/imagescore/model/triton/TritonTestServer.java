package io.imagescore.model.triton;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.imagescore.model.triton.v2.DataType;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.InferBatchStatistics;
import io.imagescore.model.triton.v2.InferStatistics;
import io.imagescore.model.triton.v2.InferTensorContents;
import io.imagescore.model.triton.v2.ModelConfig;
import io.imagescore.model.triton.v2.ModelConfigRequest;
import io.imagescore.model.triton.v2.ModelConfigResponse;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;
import io.imagescore.model.triton.v2.ModelInput;
import io.imagescore.model.triton.v2.ModelMetadataRequest;
import io.imagescore.model.triton.v2.ModelMetadataResponse;
import io.imagescore.model.triton.v2.ModelOutput;
import io.imagescore.model.triton.v2.ModelReadyRequest;
import io.imagescore.model.triton.v2.ModelReadyResponse;
import io.imagescore.model.triton.v2.ModelStatistics;
import io.imagescore.model.triton.v2.ModelStatisticsRequest;
import io.imagescore.model.triton.v2.ModelStatisticsResponse;
import io.imagescore.model.triton.v2.ServerLiveRequest;
import io.imagescore.model.triton.v2.ServerLiveResponse;
import io.imagescore.model.triton.v2.ServerMetadataRequest;
import io.imagescore.model.triton.v2.ServerMetadataResponse;
import io.imagescore.model.triton.v2.ServerReadyRequest;
import io.imagescore.model.triton.v2.ServerReadyResponse;
import io.imagescore.model.triton.v2.StatisticDuration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A stand-in for Triton in tests: an in-JVM grpc-netty server on a free port that implements
 * {@code inference.GRPCInferenceService}, runs ONNX files with plain ONNX Runtime, and enforces Triton's request rules
 * with Triton's status codes and message templates (../shared/docs/kserve-v2-protocol.md §1.4, §1.6, §1.7). Answers
 * always in {@code raw_output_contents}, like Triton's gRPC frontend. Faults (latency, UNAVAILABLE bursts, hangs,
 * dropped connections) and readiness can be switched per test; {@code ModelStatistics} reports the batch sizes seen.
 * RPCs Triton has but we never call (shared memory, repository control, streaming) answer UNIMPLEMENTED.
 */
public final class TritonTestServer implements AutoCloseable {

    /** Fault switches for ModelInfer; applied before validation, in the order latency, hang, failure burst. */
    public static final class Faults {
        private volatile Duration latency = Duration.ZERO;
        private volatile boolean hang;
        private final AtomicInteger failuresLeft = new AtomicInteger();
        private volatile Status failure = Status.UNAVAILABLE;

        public Faults latency(Duration d) {
            latency = d;
            return this;
        }

        /** Every ModelInfer is held without an answer until {@link #hang(boolean) hang(false)} or close. */
        public Faults hang(boolean on) {
            hang = on;
            return this;
        }

        /** The next {@code n} ModelInfer calls fail with {@code status}. */
        public Faults failNext(int n, Status status) {
            failure = status;
            failuresLeft.set(n);
            return this;
        }

        public void reset() {
            latency = Duration.ZERO;
            hang = false;
            failuresLeft.set(0);
        }
    }

    private record Io(String name, String datatype, long[] dims) {
    }

    private static final class Model {
        final String name;
        final OrtSession session;
        final int maxBatchSize;
        final List<Io> inputs = new ArrayList<>();
        final List<Io> outputs = new ArrayList<>();
        volatile boolean ready = true;
        final Map<Long, long[]> batchStats = new TreeMap<>(); // batch size -> {count, ns}
        long inferenceCount;
        long executionCount;
        long successCount;
        long successNs;
        long lastInference;

        Model(String name, OrtSession session, int maxBatchSize) {
            this.name = name;
            this.session = session;
            this.maxBatchSize = maxBatchSize;
        }

        Io input(String n) {
            return inputs.stream().filter(i -> i.name.equals(n)).findFirst().orElse(null);
        }

        /** Shape as Triton reports it: the batch dimension -1 first when the model batches. */
        long[] fullShape(Io io) {
            if (maxBatchSize == 0) {
                return io.dims;
            }
            long[] s = new long[io.dims.length + 1];
            s[0] = -1;
            System.arraycopy(io.dims, 0, s, 1, io.dims.length);
            return s;
        }
    }

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final Map<String, Model> models = new ConcurrentHashMap<>();
    private final Faults faults = new Faults();
    private final List<StreamObserver<ModelInferResponse>> held = new CopyOnWriteArrayList<>();
    private final AtomicInteger inferCalls = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong inferRequestBytes = new java.util.concurrent.atomic.AtomicLong();
    /** The W3C {@code traceparent} header of every ModelInfer received, in order ("" when there was none). */
    private final List<String> inferTraceparents = new CopyOnWriteArrayList<>();
    private final AtomicInteger cancelledInferCalls = new AtomicInteger();
    private final java.util.concurrent.ConcurrentLinkedQueue<InferArrival> arrivals = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean serverReady = true;
    private volatile boolean typedAnswers;
    private final Service service = new Service();
    private volatile Server server;
    private final int port;

    private TritonTestServer(int requestedPort) throws IOException {
        server = serve(requestedPort);
        port = server.getPort();
    }

    private Server serve(int onPort) throws IOException {
        // a lambda: Quarkus' gRPC build step warns about ServerInterceptor classes that are not its own
        ServerInterceptor recordTraceparent = this::recordTraceparent;
        return Grpc.newServerBuilderForPort(onPort, InsecureServerCredentials.create())
                .maxInboundMessageSize(Integer.MAX_VALUE) // Triton's limit both ways
                .addService(ServerInterceptors.intercept(service, recordTraceparent)).build().start();
    }

    public static TritonTestServer start() {
        return start(0);
    }

    /** Serves on {@code port} (0: any free port), e.g. one a client was pointed at before the server existed. */
    public static TritonTestServer start(int port) {
        try {
            return new TritonTestServer(port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Triton test server", e);
        }
    }

    /**
     * The default pack's Triton models as triton-model-repo serves them (names and max_batch_size from its configs):
     * {@code mobilenetv2-default} and {@code mobilenetv2-default-mirrored}.
     */
    public TritonTestServer addDefaultPackModels() {
        Path repo = io.imagescore.testing.Shared.root().resolve("triton-model-repo");
        return addModel("mobilenetv2-default", io.imagescore.testing.Shared.defaultPackTritonModel(),
                TritonTestModels.maxBatchSize(repo.resolve("mobilenetv2-default")))
                .addModel("mobilenetv2-default-mirrored", io.imagescore.testing.Shared.defaultPackMirroredTritonModel(),
                        TritonTestModels.maxBatchSize(repo.resolve("mobilenetv2-default-mirrored")));
    }

    /** Serves {@code onnx} as {@code name} version 1; {@code maxBatchSize} as in config.pbtxt (0 = no batch dim). */
    public TritonTestServer addModel(String name, Path onnx, int maxBatchSize) {
        return addModel(name, onnx, maxBatchSize, Set.of());
    }

    /** As {@link #addModel(String, Path, int)}, declaring the named FP32 inputs as FP16 (like a TensorRT FP16 export). */
    public TritonTestServer addModel(String name, Path onnx, int maxBatchSize, Set<String> fp16Inputs) {
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(1);
            // served in the u8u8 form the embedded backend loads, so both backends compute the same features
            Model m = new Model(name, env.createSession(io.imagescore.model.onnx.UnsignedInt8Weights.rewrite(java.nio.file.Files.readAllBytes(onnx)).model(), options), maxBatchSize);
            for (Map.Entry<String, NodeInfo> e : m.session.getInputInfo().entrySet()) {
                Io io = io(e.getValue(), maxBatchSize);
                m.inputs.add(fp16Inputs.contains(io.name) ? new Io(io.name, "FP16", io.dims) : io);
            }
            for (Map.Entry<String, NodeInfo> e : m.session.getOutputInfo().entrySet()) {
                m.outputs.add(io(e.getValue(), maxBatchSize));
            }
            models.put(name, m);
            return this;
        } catch (OrtException | java.io.IOException e) {
            throw new IllegalStateException("cannot load " + onnx, e);
        }
    }

    private static Io io(NodeInfo node, int maxBatchSize) {
        TensorInfo info = (TensorInfo) node.getInfo();
        String datatype = switch (info.type) {
            case FLOAT -> "FP32";
            case INT64 -> "INT64";
            case UINT8 -> "UINT8";
            default -> throw new IllegalArgumentException("test server does not serve " + info.type);
        };
        long[] shape = info.getShape();
        long[] dims = maxBatchSize > 0 ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
        return new Io(node.getName(), datatype, dims);
    }

    public String target() {
        return "localhost:" + port;
    }

    public Faults faults() {
        return faults;
    }

    public void setModelReady(String name, boolean ready) {
        models.get(name).ready = ready;
    }

    public void setServerReady(boolean ready) {
        serverReady = ready;
    }

    /** Answer in typed {@code contents} instead of raw bytes, as KServe servers other than Triton may. */
    public void answerWithTypedContents(boolean on) {
        typedAnswers = on;
    }

    /**
     * Serialized bytes of the ModelInfer requests received since the start or the last {@link #resetStatistics()}:
     * what travelled to Triton (gRPC adds 5 bytes of framing per message, HTTP/2 its frame headers).
     */
    public long inferRequestBytes() {
        return inferRequestBytes.get();
    }

    /** Rows {@code model} has inferred since the start or the last {@link #resetStatistics()} (Triton's inference_count). */
    public long inferenceCount(String model) {
        Model m = models.get(model);
        synchronized (m) {
            return m.inferenceCount;
        }
    }

    /** ModelInfer calls received (answered, failed or held). */
    public int inferCalls() {
        return inferCalls.get();
    }

    private <Q, R> ServerCall.Listener<Q> recordTraceparent(ServerCall<Q, R> call, Metadata headers,
                                                            ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getFullMethodName().equals(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())) {
            String tp = headers.get(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER));
            inferTraceparents.add(tp == null ? "" : tp);
        }
        return next.startCall(call, headers);
    }

    /** The {@code traceparent} metadata of each ModelInfer received so far ("" where a call had none). */
    public List<String> inferTraceparents() {
        return List.copyOf(inferTraceparents);
    }

    /**
     * One ModelInfer as this server received it, on {@link System#nanoTime()}'s clock (shared with an in-JVM client):
     * when it arrived and the gRPC deadline it carried ({@code Long.MAX_VALUE} without one).
     */
    public record InferArrival(long atNanos, long deadlineNanos) {
    }

    /** ModelInfer calls the client cancelled or whose deadline passed before they were answered. */
    public int cancelledInferCalls() {
        return cancelledInferCalls.get();
    }

    /** Every ModelInfer received since the start or the last {@link #resetStatistics()}, in arrival order. */
    public List<InferArrival> inferArrivals() {
        return List.copyOf(arrivals);
    }

    /** Drops every connection (in-flight calls fail on the client) and serves again on the same port. */
    public void disconnect() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        serveAgain();
    }

    /** Kills the server (connections dropped, port closed) until {@link #serveAgain()}. */
    public void kill() {
        releaseHeld();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Serves again on the same port after {@link #kill()}, with the same models. */
    public void serveAgain() {
        // While nothing listens, a client reconnecting to localhost:port can be given that same port as its own
        // ephemeral port and connect to itself (TCP simultaneous open); the bind fails until the client drops that
        // connection, so retry for a while instead of failing the test on the race.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                server = serve(port);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("cannot serve again on port " + port, e);
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while serving again on port " + port, e);
            }
        }
    }

    /** Answers held (hung) calls with UNAVAILABLE. */
    public void releaseHeld() {
        for (StreamObserver<ModelInferResponse> o : held) {
            try {
                o.onError(Status.UNAVAILABLE.withDescription("released by the test").asRuntimeException());
            } catch (RuntimeException alreadyCancelled) {
                // the client gave up first
            }
        }
        held.clear();
    }

    /** Waits until no ModelInfer is executing (held calls do not count), so late calls cannot leak into statistics. */
    public void awaitIdle() {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (busy.get() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public void resetStatistics() {
        for (Model m : models.values()) {
            synchronized (m) {
                m.batchStats.clear();
                m.inferenceCount = m.executionCount = m.successCount = m.successNs = 0;
            }
        }
        inferCalls.set(0);
        inferRequestBytes.set(0);
        cancelledInferCalls.set(0);
        arrivals.clear();
    }

    @Override
    public void close() {
        faults.reset();
        releaseHeld();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Model m : models.values()) {
            try {
                m.session.close();
            } catch (OrtException ignored) {
                // closing anyway
            }
        }
    }

    // ------------------------------------------------------------------ the service

    private final class Service extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

        @Override
        public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
            reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
        }

        @Override
        public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
            // strict readiness: the server is ready only when every model is
            boolean ready = serverReady && models.values().stream().allMatch(m -> m.ready);
            reply(out, ServerReadyResponse.newBuilder().setReady(ready).build());
        }

        @Override
        public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
            reply(out, ServerMetadataResponse.newBuilder().setName("triton").setVersion("test")
                    .addAllExtensions(List.of("model_configuration", "binary_tensor_data", "parameters", "statistics"))
                    .build());
        }

        @Override
        public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
            run(out, () -> {
                if (!serverReady) {
                    throw error(Status.UNAVAILABLE, "Server not ready");
                }
                Model m = resolve(request.getName(), request.getVersion(), false);
                if (!m.ready && !request.getVersion().isEmpty()) {
                    throw notAtReadyState(m.name);
                }
                return ModelReadyResponse.newBuilder().setReady(m.ready).build();
            });
        }

        @Override
        public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
            run(out, () -> {
                Model m = resolve(request.getName(), request.getVersion(), true);
                ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name).addVersions("1")
                        .setPlatform("onnxruntime_onnx");
                for (Io io : m.inputs) {
                    b.addInputsBuilder().setName(io.name).setDatatype(io.datatype)
                            .addAllShape(Arrays.stream(m.fullShape(io)).boxed().toList());
                }
                for (Io io : m.outputs) {
                    b.addOutputsBuilder().setName(io.name).setDatatype(io.datatype)
                            .addAllShape(Arrays.stream(m.fullShape(io)).boxed().toList());
                }
                return b.build();
            });
        }

        @Override
        public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
            run(out, () -> {
                Model m = resolve(request.getName(), request.getVersion(), true);
                ModelConfig.Builder c = ModelConfig.newBuilder().setName(m.name).setPlatform("onnxruntime_onnx")
                        .setBackend("onnxruntime").setMaxBatchSize(m.maxBatchSize);
                for (Io io : m.inputs) {
                    c.addInput(ModelInput.newBuilder().setName(io.name).setDataType(DataType.valueOf("TYPE_" + io.datatype))
                            .addAllDims(Arrays.stream(io.dims).boxed().toList()));
                }
                for (Io io : m.outputs) {
                    c.addOutput(ModelOutput.newBuilder().setName(io.name).setDataType(DataType.valueOf("TYPE_" + io.datatype))
                            .addAllDims(Arrays.stream(io.dims).boxed().toList()));
                }
                return ModelConfigResponse.newBuilder().setConfig(c).build();
            });
        }

        @Override
        public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
            run(out, () -> {
                List<Model> selected = request.getName().isEmpty() ? List.copyOf(models.values())
                        : List.of(resolve(request.getName(), request.getVersion(), false));
                ModelStatisticsResponse.Builder b = ModelStatisticsResponse.newBuilder();
                for (Model m : selected) {
                    synchronized (m) {
                        ModelStatistics.Builder s = b.addModelStatsBuilder().setName(m.name).setVersion("1")
                                .setLastInference(m.lastInference).setInferenceCount(m.inferenceCount)
                                .setExecutionCount(m.executionCount)
                                .setInferenceStats(InferStatistics.newBuilder().setSuccess(
                                        StatisticDuration.newBuilder().setCount(m.successCount).setNs(m.successNs)));
                        m.batchStats.forEach((size, cn) -> s.addBatchStats(InferBatchStatistics.newBuilder()
                                .setBatchSize(size)
                                .setComputeInfer(StatisticDuration.newBuilder().setCount(cn[0]).setNs(cn[1]))));
                    }
                }
                return b.build();
            });
        }

        @Override
        public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
            long now = System.nanoTime();
            Deadline deadline = Context.current().getDeadline();
            arrivals.add(new InferArrival(now, deadline == null ? Long.MAX_VALUE
                    : now + deadline.timeRemaining(TimeUnit.NANOSECONDS)));
            Context.current().addListener(c -> {
                if (c.cancellationCause() != null) { // null: the call completed
                    cancelledInferCalls.incrementAndGet();
                }
            }, Runnable::run);
            inferCalls.incrementAndGet();
            inferRequestBytes.addAndGet(request.getSerializedSize());
            busy.incrementAndGet();
            try {
                modelInferWithFaults(request, out);
            } finally {
                busy.decrementAndGet();
            }
        }

        private void modelInferWithFaults(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
            Duration latency = faults.latency;
            if (!latency.isZero()) {
                try {
                    Thread.sleep(latency);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (faults.hang) {
                held.add(out);
                return;
            }
            if (faults.failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                out.onError(faults.failure.asRuntimeException());
                return;
            }
            run(out, () -> infer(request));
        }
    }

    private static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }

    private interface Body<T> {
        T get() throws OrtException;
    }

    private static <T> void run(StreamObserver<T> out, Body<T> body) {
        T value;
        try {
            value = body.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (OrtException | RuntimeException e) {
            out.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
            return;
        }
        reply(out, value);
    }

    private static StatusRuntimeException error(Status status, String message) {
        return status.withDescription(message).asRuntimeException();
    }

    private static StatusRuntimeException notAtReadyState(String model) {
        return error(Status.UNAVAILABLE, "Request for unknown model: '" + model + "' version 1 is not at ready state");
    }

    /** Triton's model/version resolution: unknown model or version NOT_FOUND, a bad version string INVALID_ARGUMENT. */
    private Model resolve(String name, String version, boolean mustBeReady) {
        Model m = models.get(name);
        if (m == null) {
            throw error(Status.NOT_FOUND, "Request for unknown model: '" + name + "' is not found");
        }
        if (!version.isEmpty()) {
            long v;
            try {
                v = Long.parseLong(version);
            } catch (NumberFormatException e) {
                throw error(Status.INVALID_ARGUMENT, "failed to get model version from specified version string '"
                        + version + "' (value: " + version + "), version should be an integral value > 0");
            }
            if (v != 1) {
                throw error(Status.NOT_FOUND, "Request for unknown model: '" + name + "' version " + v + " is not found");
            }
        }
        if (mustBeReady && !m.ready) {
            throw notAtReadyState(name);
        }
        return m;
    }

    // ------------------------------------------------------------------ ModelInfer

    private ModelInferResponse infer(ModelInferRequest request) throws OrtException {
        Model m = resolve(request.getModelName(), request.getModelVersion(), true);
        String prefix = "[request id: " + (request.getId().isEmpty() ? "<id_unknown>" : request.getId()) + "] ";
        String model = m.name;

        for (ModelInferRequest.InferInputTensor in : request.getInputsList()) {
            if (m.input(in.getName()) == null) {
                throw invalid("unexpected inference input '" + in.getName() + "' for model '" + model + "'");
            }
        }
        Set<String> given = request.getInputsList().stream().map(ModelInferRequest.InferInputTensor::getName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        List<String> missing = m.inputs.stream().map(Io::name).filter(n -> !given.contains(n)).toList();
        if (!missing.isEmpty()) {
            throw invalid(prefix + "expected " + m.inputs.size() + " inputs but got " + given.size()
                    + " inputs for model '" + model + "'. Got input(s) " + quoted(given) + ", but missing required input(s) "
                    + quoted(missing) + ". Please provide all required input(s).");
        }
        for (ModelInferRequest.InferInputTensor in : request.getInputsList()) {
            Io io = m.input(in.getName());
            String datatype = in.getDatatype().isEmpty() ? "<invalid>" : in.getDatatype();
            if (!datatype.equals(io.datatype)) {
                throw invalid(prefix + "inference input '" + in.getName() + "' data-type is '" + datatype
                        + "', but model '" + model + "' expects '" + io.datatype + "'");
            }
        }
        long batch = 0;
        if (m.maxBatchSize > 0) {
            for (ModelInferRequest.InferInputTensor in : request.getInputsList()) {
                long n = in.getShapeCount() == 0 ? -1 : in.getShape(0);
                if (batch != 0 && n != batch) {
                    throw invalid(prefix + "input '" + in.getName() + "' batch size does not match other inputs for '"
                            + model + "'");
                }
                batch = n;
            }
            if (batch > m.maxBatchSize) {
                throw invalid("inference request batch-size must be <= " + m.maxBatchSize + " for '" + model + "'");
            }
        }
        for (ModelInferRequest.InferInputTensor in : request.getInputsList()) {
            Io io = m.input(in.getName());
            long[] expected = m.fullShape(io);
            long[] got = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
            boolean ok = expected.length == got.length;
            for (int i = 0; ok && i < got.length; i++) {
                ok = got[i] >= 0 && (expected[i] < 0 || expected[i] == got[i]) && (i > 0 || m.maxBatchSize == 0 || got[i] >= 1);
            }
            if (!ok) {
                throw invalid(prefix + "unexpected shape for input '" + in.getName() + "' for model '" + model
                        + "'. Expected " + dims(expected) + ", got " + dims(got) + "."
                        + (m.maxBatchSize > 0 ? " NOTE: Setting a non-zero max_batch_size in the model config requires"
                        + " a batch dimension to be prepended to each input shape." : ""));
            }
        }
        Set<String> requested = new LinkedHashSet<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            if (m.outputs.stream().noneMatch(io -> io.name.equals(o.getName()))) {
                throw invalid("unexpected inference output '" + o.getName() + "' for model '" + model + "'");
            }
            requested.add(o.getName());
        }
        if (requested.isEmpty()) {
            m.outputs.forEach(io -> requested.add(io.name));
        }

        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            boolean raw = request.getRawInputContentsCount() > 0;
            for (int i = 0; i < request.getInputsCount(); i++) {
                ModelInferRequest.InferInputTensor in = request.getInputs(i);
                Io io = m.input(in.getName());
                long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
                long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                feeds.put(in.getName(), raw ? fromRaw(request, i, in, io, shape, elements, model)
                        : fromTyped(in, io, shape, elements, model));
            }
            long start = System.nanoTime();
            ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(model).setModelVersion("1")
                    .setId(request.getId());
            try (OrtSession.Result result = m.session.run(feeds, requested)) {
                for (String name : requested) {
                    OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
                    long[] shape = t.getInfo().getShape();
                    ByteBuffer bytes;
                    String datatype;
                    if (t.getInfo().type == OnnxJavaType.INT64) {
                        LongBuffer l = t.getLongBuffer();
                        bytes = ByteBuffer.allocate(l.remaining() * 8).order(ByteOrder.LITTLE_ENDIAN);
                        bytes.asLongBuffer().put(l);
                        datatype = "INT64";
                    } else {
                        FloatBuffer f = t.getFloatBuffer();
                        bytes = ByteBuffer.allocate(f.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
                        bytes.asFloatBuffer().put(f);
                        datatype = "FP32";
                    }
                    var tensor = b.addOutputsBuilder().setName(name).setDatatype(datatype)
                            .addAllShape(Arrays.stream(shape).boxed().toList());
                    if (typedAnswers) {
                        ByteBuffer le = ByteBuffer.wrap(bytes.array()).order(ByteOrder.LITTLE_ENDIAN);
                        var contents = InferTensorContents.newBuilder();
                        if (datatype.equals("INT64")) {
                            while (le.hasRemaining()) {
                                contents.addInt64Contents(le.getLong());
                            }
                        } else {
                            while (le.hasRemaining()) {
                                contents.addFp32Contents(le.getFloat());
                            }
                        }
                        tensor.setContents(contents);
                    } else {
                        b.addRawOutputContents(ByteString.copyFrom(bytes.array()));
                    }
                }
            }
            long ns = System.nanoTime() - start;
            long rows = m.maxBatchSize > 0 ? batch : 1;
            synchronized (m) {
                long[] cn = m.batchStats.computeIfAbsent(rows, k -> new long[2]);
                cn[0]++;
                cn[1] += ns;
                m.inferenceCount += rows;
                m.executionCount++;
                m.successCount++;
                m.successNs += ns;
                m.lastInference = System.currentTimeMillis();
            }
            return b.build();
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor fromRaw(ModelInferRequest request, int i, ModelInferRequest.InferInputTensor in, Io io,
                               long[] shape, long elements, String model) throws OrtException {
        if (hasTypedContents(in.getContents())) {
            throw invalid("contents field must not be specified when using raw_input_contents for '" + in.getName()
                    + "' for model '" + model + "'");
        }
        if (i >= request.getRawInputContentsCount()) {
            throw invalid("unable to find data for input tensor '" + in.getName() + "' for model '" + model + "' in request.");
        }
        ByteString raw = request.getRawInputContents(i);
        long expected = elements * switch (io.datatype) {
            case "INT64" -> 8;
            case "FP16" -> 2;
            case "UINT8" -> 1;
            default -> 4;
        };
        if (raw.size() != expected) {
            throw invalid("input byte size mismatch for input '" + in.getName() + "' for model '" + model
                    + "'. Expected " + expected + ", got " + raw.size());
        }
        ByteBuffer buf = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return switch (io.datatype) {
            case "UINT8" -> {
                ByteBuffer b = ByteBuffer.allocate((int) elements);
                b.put(buf).flip();
                yield OnnxTensor.createTensor(env, b, shape, OnnxJavaType.UINT8);
            }
            case "INT64" -> {
                long[] l = new long[(int) elements];
                buf.asLongBuffer().get(l);
                yield OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape);
            }
            case "FP16" -> {
                float[] f = new float[(int) elements];
                for (int k = 0; k < f.length; k++) {
                    f[k] = Float.float16ToFloat(buf.getShort());
                }
                yield OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape);
            }
            default -> {
                float[] f = new float[(int) elements];
                buf.asFloatBuffer().get(f);
                yield OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape);
            }
        };
    }

    private OnnxTensor fromTyped(ModelInferRequest.InferInputTensor in, Io io, long[] shape, long elements,
                                 String model) throws OrtException {
        InferTensorContents c = in.getContents();
        String typedAs = typedField(c);
        if (typedAs == null) {
            throw invalid("unable to find data for input tensor '" + in.getName() + "' for model '" + model + "' in request.");
        }
        if (!typedAs.equals(io.datatype)) {
            throw invalid("unexpected explicit tensor data for input tensor '" + in.getName() + "' for model '" + model
                    + "' of type '" + typedAs + "', expected datatype '" + io.datatype + "'");
        }
        int count = io.datatype.equals("INT64") ? c.getInt64ContentsCount() : c.getFp32ContentsCount();
        int size = io.datatype.equals("INT64") ? 8 : 4;
        if (count != elements) {
            throw invalid("input byte size mismatch for input '" + in.getName() + "' for model '" + model
                    + "'. Expected " + elements * size + ", got " + (long) count * size);
        }
        if (io.datatype.equals("INT64")) {
            long[] l = new long[count];
            for (int k = 0; k < count; k++) {
                l[k] = c.getInt64Contents(k);
            }
            return OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape);
        }
        float[] f = new float[count];
        for (int k = 0; k < count; k++) {
            f[k] = c.getFp32Contents(k);
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape);
    }

    private static boolean hasTypedContents(InferTensorContents c) {
        return typedField(c) != null;
    }

    /** The datatype the typed contents are written as (the widest type of the field), or null when empty. */
    private static String typedField(InferTensorContents c) {
        if (c.getFp32ContentsCount() > 0) {
            return "FP32";
        }
        if (c.getInt64ContentsCount() > 0) {
            return "INT64";
        }
        if (c.getIntContentsCount() > 0) {
            return "INT32";
        }
        if (c.getFp64ContentsCount() > 0) {
            return "FP64";
        }
        if (c.getUintContentsCount() > 0) {
            return "UINT32";
        }
        if (c.getUint64ContentsCount() > 0) {
            return "UINT64";
        }
        if (c.getBoolContentsCount() > 0) {
            return "BOOL";
        }
        if (c.getBytesContentsCount() > 0) {
            return "BYTES";
        }
        return null;
    }

    private static StatusRuntimeException invalid(String message) {
        return error(Status.INVALID_ARGUMENT, message);
    }

    private static String dims(long[] d) {
        return Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
    }

    private static String quoted(java.util.Collection<String> names) {
        return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", ", "[", "]"));
    }
}
