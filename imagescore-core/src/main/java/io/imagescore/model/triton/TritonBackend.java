package io.imagescore.model.triton;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.Context;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.triton.ModelBatcher.Pending;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static io.imagescore.model.triton.TritonErrors.timeout;
import static io.imagescore.model.triton.TritonErrors.tritonModel;

/**
 * {@link ModelBackend} on NVIDIA Triton over the KServe-v2 gRPC protocol.
 *
 * <p>Flow of one {@link #infer} call: validate the tensors against the pack's spec, split them into chunks of at most
 * the max batch, queue them in the model's {@link ModelBatcher}, which coalesces concurrent callers into one
 * ModelInfer (raw little-endian contents); the batch's RPC goes to an endpoint whose circuit breaker permits it, on the
 * next of its channels, with the latest deadline of its members; UNAVAILABLE is retried with jittered exponential
 * backoff while the deadline allows; the answer is decoded by output name and split back to the callers. Each caller
 * waits at most until its own deadline. Every gRPC failure becomes an {@link ImageScoreException} in
 * {@link #translate} and nowhere else.
 *
 * <p>Constructible without CDI; the caller owns the {@link MeterRegistry}.
 */
public final class TritonBackend implements ModelBackend {

    private static final Logger LOG = Logger.getLogger(TritonBackend.class);

    private final TritonConfig config;
    private final MeterRegistry meters;
    private final List<TritonEndpoint> endpoints = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Map<String, TritonModel> models = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final List<Meter> ownMeters = new ArrayList<>();
    private final TritonModelValidator validator;
    private final TritonProber prober;
    private final TritonCallExecutor executor;
    private volatile boolean closed;

    public TritonBackend(TritonConfig config, MeterRegistry meters) {
        this(config, meters, OpenTelemetry.noop());
    }

    /** {@code otel}: where the client span of every ModelInfer goes and how its context is propagated. */
    public TritonBackend(TritonConfig config, MeterRegistry meters, OpenTelemetry otel) {
        TritonTracing tracing = new TritonTracing(otel);
        this.config = config;
        this.meters = meters;
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "triton-batcher");
            t.setDaemon(true);
            return t;
        });
        for (String address : config.endpoints()) {
            TritonEndpoint ep = new TritonEndpoint(address, config, tracing);
            endpoints.add(ep);
            ownMeters.add(Gauge.builder("imagescore.triton.breaker.state", ep, e -> breakerStateValue(e.breaker.getState()))
                    .tag("endpoint", address)
                    .description("circuit breaker of a Triton endpoint: 0 closed, 1 open, 2 half-open, 3 other")
                    .register(meters));
        }
        this.executor = new TritonCallExecutor(config, endpoints, scheduler, () -> closed, tracing);
        this.validator = new TritonModelValidator(config);
        this.prober = new TritonProber(config, validator, new TritonModelTable(models));
        prober.start(endpoints);
    }

    @Override
    public String kind() {
        return "triton";
    }

    /** The Triton model's inputs ({@link ModelSpec#tritonInputs()}). */
    @Override
    public List<io.imagescore.model.TensorSpec> inputs(ModelSpec model) {
        return model.tritonInputs();
    }

    /** The pack's mirrored Triton model ({@link ModelSpec#mirrored()}), loaded and validated with {@code model}. */
    @Override
    public ModelSpec mirroredVariant(ModelSpec model) {
        return model.mirrored();
    }

    // ---------------------------------------------------------------- start-up checks

    /**
     * Validates {@code spec} on every endpoint that answers. A model that is there but does not match the pack throws
     * INVALID_PACK (start-up stops with the list of differences); an unreachable or not-ready endpoint or model does
     * not throw: the backend is not ready, says why in {@link #notReadyReason()}, and the prober validates the model
     * when Triton appears. A mirrored variant ({@link ModelSpec#mirrored()}) is loaded and checked the same way.
     */
    @Override
    public void load(ModelSpec spec) {
        loadOne(spec);
        if (spec.mirrored() != null) {
            loadOne(spec.mirrored());
        }
    }

    private void loadOne(ModelSpec spec) {
        if (spec.maxBatch() < 1) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK,
                    "model " + spec.id() + " declares max batch " + spec.maxBatch() + "; the Triton backend needs >= 1");
        }
        TritonModel m = new TritonModel(spec, config, scheduler, meters, this::send);
        endpoints.forEach(ep -> ep.validated.remove(spec.id()));
        List<String> pending = new ArrayList<>();
        for (TritonEndpoint ep : endpoints) {
            try {
                m.accept(ep, validator.validate(ep, spec));
            } catch (ImageScoreException e) {
                if (TritonModelValidator.isMismatch(e)) {
                    throw e;
                }
                pending.add(e.getMessage());
                synchronized (ep) {
                    ep.problem = e.getMessage();
                }
            }
        }
        TritonModel previous = models.put(spec.id(), m);
        if (previous != null) {
            TritonBatchCall.failAll(previous.batcher.drain(), new ImageScoreException(ErrorCode.MODEL_NOT_READY,
                    "model " + spec.id() + " was reloaded"));
        }
        endpoints.stream().filter(ep -> ep.validated.contains(spec.id())).forEach(prober::probe);
        if (pending.isEmpty()) {
            LOG.infof("%s ready for %s on %s (input wire types %s, max batch %d)",
                    tritonModel(spec), spec.id(), config.endpoints(), m.wireTypes, spec.maxBatch());
        } else {
            LOG.warnf("%s for %s not validated on every endpoint yet; running not ready for it there and probing every "
                    + "%d ms: %s", tritonModel(spec), spec.id(), TritonProber.INTERVAL.toMillis(), String.join("; ", pending));
        }
    }

    // ---------------------------------------------------------------- readiness

    @Override
    public boolean ready() {
        return notReadyReason() == null;
    }

    /**
     * Null when every loaded model is ready on at least one endpoint whose breaker is not open, as last seen by the
     * background prober (no RPC here, so health probes are free and cannot pile up on a hung Triton).
     */
    @Override
    public String notReadyReason() {
        if (closed) {
            return "the Triton backend is closed";
        }
        List<String> reasons = new ArrayList<>();
        for (TritonModel m : models.values()) {
            if (m.mismatch != null) {
                reasons.add(m.mismatch);
            } else if (endpoints.stream().noneMatch(ep -> usable(ep, m.spec.id()))) {
                reasons.add(tritonModel(m.spec) + " for " + m.spec.id() + " is not ready: " + endpoints.stream()
                        .map(ep -> ep.breaker.getState() == CircuitBreaker.State.OPEN
                                ? ep.address + " circuit breaker open" : String.valueOf(ep.problem))
                        .collect(Collectors.joining("; ")));
            }
        }
        return reasons.isEmpty() ? null : String.join("; ", reasons);
    }

    private static boolean usable(TritonEndpoint ep, String modelId) {
        return ep.probedReady(modelId) && ep.breaker.getState() != CircuitBreaker.State.OPEN;
    }

    // ---------------------------------------------------------------- inference

    @Override
    public Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
        TritonModel m = models.get(modelId);
        if (m == null) {
            throw new ImageScoreException(ErrorCode.MODEL_NOT_READY, "model " + modelId + " is not loaded in the Triton backend");
        }
        if (closed) {
            throw new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "the Triton backend is closed");
        }
        if (m.wireTypes == null) {
            throw new ImageScoreException(ErrorCode.MODEL_NOT_READY, m.mismatch != null ? m.mismatch
                    : tritonModel(m.spec) + " is not validated on any Triton endpoint yet: " + notReadyReason());
        }
        long start = System.nanoTime();
        long deadlineNanos = start + remainingNanos(deadline);
        int rows = TritonRequests.validateInputs(m.spec, inputs);
        Set<String> wanted = TritonRequests.validateOutputs(m.spec, outputs);
        if (deadlineNanos - start <= 0) {
            throw timeout(m.spec, deadline);
        }
        List<Pending> chunks = TritonChunks.split(m.spec, inputs, rows, wanted, deadlineNanos);
        // a cancelled caller gives up its chunks at once: queued ones are never sent, an RPC that serves only this
        // caller is cancelled (TritonBatchCall)
        Context context = Context.current();
        Context.CancellationListener onCancel = c -> chunks.forEach(p -> p.result.cancel(false));
        context.addListener(onCancel, Runnable::run);
        chunks.forEach(m.batcher::submit);

        List<Map<String, Tensor>> answers = new ArrayList<>();
        try {
            for (Pending p : chunks) {
                answers.add(TritonChunks.await(m, p, deadline, context));
            }
        } finally {
            context.removeListener(onCancel);
            // a failed or timed-out chunk gives up the others, which then leave the queue unsent
            chunks.forEach(p -> p.result.cancel(false));
        }
        return TritonChunks.merge(wanted, answers);
    }

    private long remainingNanos(Instant deadline) {
        if (deadline == null) {
            return config.requestTimeout().toNanos();
        }
        try {
            return Duration.between(Instant.now(), deadline).toNanos();
        } catch (ArithmeticException farAway) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** The batcher's sender: records batch metrics and starts the first attempt. */
    private void send(TritonModel m, List<Pending> batch) {
        TritonBatchCall call;
        try {
            long now = System.nanoTime();
            batch.forEach(p -> m.queueTime.record(now - p.enqueuedNanos, TimeUnit.NANOSECONDS));
            call = new TritonBatchCall(m, batch, "imagescore-" + requestIds.incrementAndGet());
            m.batchSize.record(call.rows);
        } catch (RuntimeException e) {
            TritonBatchCall.failAll(batch, e instanceof ImageScoreException ise ? ise
                    : new ImageScoreException(ErrorCode.INTERNAL, "could not build the Triton request: " + e, e));
            m.batcher.batchFinished();
            return;
        }
        executor.attempt(call, 1, null, null);
    }

    private static int breakerStateValue(CircuitBreaker.State state) {
        return switch (state) {
            case CLOSED -> 0;
            case OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        };
    }

    @Override
    public void close() {
        closed = true;
        ImageScoreException error = new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "the Triton backend is closed");
        models.values().forEach(m -> TritonBatchCall.failAll(m.batcher.drain(), error));
        prober.close();
        endpoints.forEach(TritonEndpoint::close);
        scheduler.shutdownNow();
        // the gauges hold this backend's breakers: a successor on the same registry must be able to register its own
        ownMeters.forEach(meters::remove);
    }
}
