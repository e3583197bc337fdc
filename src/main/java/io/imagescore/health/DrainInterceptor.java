package io.imagescore.health;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.imagescore.api.GrpcErrors;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ScoreMetrics;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every imagescore call in flight for {@link Drain} and, while draining, answers new ones at once with
 * UNAVAILABLE / SHUTTING_DOWN and {@code retry_after_ms} (another replica will take them). gRPC health and
 * reflection stay open so probes see NOT_SERVING.
 */
@GlobalInterceptor
@ApplicationScoped
public class DrainInterceptor implements ServerInterceptor {
    static final String RETRY_AFTER_MS = "1000";

    @Inject
    Drain drain;
    @Inject
    ScoreMetrics metrics;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getServiceName() != null && call.getMethodDescriptor().getServiceName().startsWith("grpc.")) {
            return next.startCall(call, headers);
        }
        if (!drain.enter()) {
            metrics.rejected("shutdown");
            StatusRuntimeException e = GrpcErrors.toStatus(new ImageScoreException(ErrorCode.SHUTTING_DOWN,
                    "the server is shutting down; retry on another replica", Map.of("retry_after_ms", RETRY_AFTER_MS), null));
            call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
            return new ServerCall.Listener<>() {
            };
        }
        AtomicBoolean exited = new AtomicBoolean();
        Runnable exit = () -> {
            if (exited.compareAndSet(false, true)) {
                drain.exit();
            }
        };
        ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                try {
                    super.close(status, trailers);
                } finally {
                    exit.run();
                }
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(counted, headers);
        } catch (RuntimeException e) {
            exit.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    exit.run();
                }
            }

            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    exit.run();
                }
            }
        };
    }
}
