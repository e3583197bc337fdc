package io.imagescore.model.triton;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static io.imagescore.model.triton.TritonErrors.timeout;
import static io.imagescore.model.triton.TritonErrors.translate;
import static io.imagescore.model.triton.TritonErrors.tritonModel;

/**
 * Sends one batched ModelInfer: an endpoint whose circuit breaker permits it (round-robin), the call's deadline less a
 * margin,
 * UNAVAILABLE/CANCELLED retried with jittered exponential backoff while the deadline allows, every outcome recorded on
 * the endpoint's breaker.
 */
final class TritonCallExecutor {

    /** What the executor needs from one batched call. */
    interface Call {
        ModelSpec spec();

        long deadlineNanos();

        ModelInferRequest request();

        /** Trace contexts of the callers whose rows the request carries. */
        List<Context> callers();

        int rows();

        /** True when every caller gave up: the RPC is cancelled and counts as a failure, nothing is retried. */
        boolean abandoned();

        void sent(Future<?> rpc);

        void failedAttempt(String failure);

        void roundTrip(String outcome, long nanos);

        void retried();

        void finish(ImageScoreException error, ModelInferResponse response);
    }

    /**
     * ModelInfer, declared to grpc-java as a call of unknown kind (the wire exchange is the same unary one) so that its
     * headers are flushed when the call starts. For a unary call grpc-java holds them until the serialised message
     * follows, yet computes their grpc-timeout at the start: with a 19 MB batch, serialising on a loaded CPU took
     * longer than {@link #DEADLINE_MARGIN_NANOS}, so Triton's clock started late and its deadline outlived the caller's.
     */
    static final MethodDescriptor<ModelInferRequest, ModelInferResponse> MODEL_INFER = GRPCInferenceServiceGrpc
            .getModelInferMethod().toBuilder().setType(MethodDescriptor.MethodType.UNKNOWN).build();

    /** Each ModelInfer's own gRPC deadline is the caller's remaining time minus this. */
    private static final long DEADLINE_MARGIN_NANOS = ModelBackend.DEADLINE_MARGIN.toNanos();

    private final TritonConfig config;
    private final List<TritonEndpoint> endpoints;
    private final ScheduledExecutorService scheduler;
    private final BooleanSupplier closed;
    private final TritonTracing tracing;
    private final AtomicInteger nextEndpoint = new AtomicInteger();

    TritonCallExecutor(TritonConfig config, List<TritonEndpoint> endpoints, ScheduledExecutorService scheduler,
                       BooleanSupplier closed, TritonTracing tracing) {
        this.config = config;
        this.tracing = tracing;
        this.endpoints = endpoints;
        this.scheduler = scheduler;
        this.closed = closed;
    }

    /** {@code lastFailure}/{@code lastEndpoint}: what the previous attempt ended with, reported if time runs out. */
    void attempt(Call call, int attemptNo, Throwable lastFailure, String lastEndpoint) {
        ModelSpec spec = call.spec();
        long remaining = call.deadlineNanos() - System.nanoTime() - DEADLINE_MARGIN_NANOS;
        if (remaining <= 0) {
            call.finish(lastFailure == null ? timeout(spec, null)
                    : translate(lastFailure, spec, lastEndpoint, attemptNo - 1), null);
            return;
        }
        if (closed.getAsBoolean()) {
            call.finish(new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "the Triton backend is closed"), null);
            return;
        }
        if (call.abandoned()) {
            call.finish(timeout(spec, null), null);
            return;
        }
        TritonEndpoint ep = acquireEndpoint(spec.id(), lastEndpoint);
        if (ep == null) {
            call.finish(breakerOpen(spec), null);
            return;
        }
        long start = System.nanoTime();
        Span span = tracing.startModelInfer(call.callers(), tritonModel(spec), call.rows(), ep.address, attemptNo);
        // started outside the caller's gRPC context: a batch may serve several callers, and one caller's cancellation
        // must not cancel the others' RPC (TritonBatchCall cancels it once all have given up)
        io.grpc.Context previous = io.grpc.Context.ROOT.attach();
        try (Scope ignored = span.makeCurrent()) { // TritonTracing's interceptor sends this span as traceparent
            // the time left is read again as the call starts: its headers (grpc-timeout) leave at once (MODEL_INFER)
            long timeout = Math.max(1, call.deadlineNanos() - System.nanoTime() - DEADLINE_MARGIN_NANOS);
            var future = ClientCalls.futureUnaryCall(ep.nextChannel().newCall(MODEL_INFER,
                    CallOptions.DEFAULT.withDeadlineAfter(timeout, TimeUnit.NANOSECONDS)), call.request());
            call.sent(future);
            if (call.abandoned()) {
                future.cancel(true); // only cancel(true) cancels the RPC (GrpcFuture.interruptTask)
            }
            Futures.addCallback(future, new FutureCallback<>() {
                @Override
                public void onSuccess(ModelInferResponse response) {
                    long took = System.nanoTime() - start;
                    TritonTracing.end(span, null);
                    ep.breaker.onSuccess(took, TimeUnit.NANOSECONDS);
                    call.roundTrip("ok", took);
                    call.finish(null, response);
                }

                @Override
                public void onFailure(Throwable t) {
                    long took = System.nanoTime() - start;
                    TritonTracing.end(span, t);
                    ep.breaker.onError(took, TimeUnit.NANOSECONDS, t);
                    call.roundTrip(call.abandoned() ? "ABANDONED" : Status.fromThrowable(t).getCode().name(), took);
                    if (retryable(t) && !call.abandoned() && attemptNo < config.retry().maxAttempts() && !closed.getAsBoolean()) {
                        String failure = translate(t, spec, ep.address, attemptNo).getMessage();
                        call.failedAttempt(failure);
                        long backoff = backoffNanos(attemptNo);
                        if (System.nanoTime() + backoff < call.deadlineNanos()) {
                            call.retried();
                            try {
                                scheduler.schedule(() -> attempt(call, attemptNo + 1, t, ep.address), backoff,
                                        TimeUnit.NANOSECONDS);
                                return;
                            } catch (RejectedExecutionException shuttingDown) {
                                // fall through: report the failure we have
                            }
                        }
                    }
                    call.finish(translate(t, spec, ep.address, attemptNo), null);
                }
            }, MoreExecutors.directExecutor());
        } catch (RuntimeException e) {
            TritonTracing.end(span, e);
            ep.breaker.releasePermission();
            call.finish(translate(e, spec, ep.address, attemptNo), null);
        } finally {
            io.grpc.Context.ROOT.detach(previous);
        }
    }

    /**
     * UNAVAILABLE (grpc-java's code for connection failures, Triton's for "try again") and CANCELLED: this backend
     * cancels an RPC only when every caller gave up (then it is not retried), so a CANCELLED answer means the server or
     * the connection dropped the stream (a Triton shutting down answers CANCELLED, a closed HTTP/2 stream RST_STREAM
     * CANCEL). Inference is idempotent.
     */
    private static boolean retryable(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED;
    }

    /** Exponential backoff with "equal jitter" (half fixed, half random) so synchronized clients spread out. */
    private long backoffNanos(int attemptNo) {
        TritonConfig.Retry r = config.retry();
        double base = r.initialBackoff().toNanos() * Math.pow(r.multiplier(), attemptNo - 1);
        long capped = (long) Math.min(base, r.maxBackoff().toNanos());
        return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }

    /**
     * The next endpoint (round-robin) whose breaker permits a call, preferring those the prober last saw ready for the
     * model and, for a retry, another one than the endpoint that just failed: with several Triton replicas, a killed one
     * costs no call once the prober has seen it down (within {@link TritonProber#INTERVAL}), and a call that hit it
     * before then is retried on a live one. Falls back to any validated endpoint whose breaker permits, so a prober that
     * is merely late never blocks calls.
     */
    private TritonEndpoint acquireEndpoint(String modelId, String avoid) {
        int n = endpoints.size();
        int first = nextEndpoint.getAndIncrement();
        for (int pass = 0; pass < 3; pass++) {
            for (int i = 0; i < n; i++) {
                TritonEndpoint ep = endpoints.get(Math.floorMod(first + i, n));
                boolean preferred = switch (pass) {
                    case 0 -> ep.probedReady(modelId) && !ep.address.equals(avoid);
                    case 1 -> ep.probedReady(modelId);
                    default -> true;
                };
                if (preferred && ep.validated.contains(modelId) && ep.breaker.tryAcquirePermission()) {
                    return ep;
                }
            }
        }
        return null;
    }

    private ImageScoreException breakerOpen(ModelSpec spec) {
        String states = endpoints.stream().map(ep -> ep.address + " " + ep.breaker.getState()
                        + String.format(" (failure rate %.0f%% over the last %d calls)",
                        ep.breaker.getMetrics().getFailureRate(), ep.breaker.getMetrics().getNumberOfBufferedCalls()))
                .collect(Collectors.joining(", "));
        return new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "Triton unavailable for " + tritonModel(spec)
                + ": circuit breaker open for " + states + "; failing fast without calling Triton, a half-open probe is let through "
                + config.breaker().openDuration().toMillis() + " ms after opening", Map.of("breaker", "open"), null);
    }
}
