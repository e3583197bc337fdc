package io.imagescore.health;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every imagescore call in flight for {@link Drain} and, while draining, answers new ones at once with
 * UNAVAILABLE / SHUTTING_DOWN and {@code retry_after_ms} (another replica will take them). gRPC health and
 * reflection stay open so probes see NOT_SERVING.
 *
 * <p>It also runs each call in its own cancellable {@link Context}, carrying the client's {@code grpc-timeout} as its
 * deadline, and cancelled when the client cancels. Quarkus does not cancel the context it attaches, and it delivers
 * a @Blocking method's listener events (onCancel included) in order on one worker, i.e. only after the method has
 * returned (measured: a cancelled Score kept running its model calls for seconds). So cancellation is read from the
 * transport's {@code ServerCall.isCancelled()} every {@link #CANCEL_POLL_MS} ms; the pipeline and the backends
 * stop on this context.
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
        Context.CancellableContext context = callContext(headers);
        Tracked tracked = new Tracked(call, context);
        ACTIVE.add(tracked);
        AtomicBoolean exited = new AtomicBoolean();
        Runnable exit = () -> {
            if (exited.compareAndSet(false, true)) {
                ACTIVE.remove(tracked);
                context.cancel(null); // stops whatever still runs for the call; releases its deadline timer
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
            listener = Contexts.interceptCall(context, counted, headers, next);
        } catch (RuntimeException e) {
            exit.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                context.cancel(null);
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

    static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);

    /** A child of the current context, with the client's deadline when the transport left it in the headers. */
    static Context.CancellableContext callContext(Metadata headers) {
        Context current = Context.current();
        String timeout = headers.get(TIMEOUT);
        if (current.getDeadline() == null && timeout != null && timeout.length() >= 2) {
            try {
                long value = Long.parseLong(timeout.substring(0, timeout.length() - 1));
                TimeUnit unit = switch (timeout.charAt(timeout.length() - 1)) {
                    case 'H' -> TimeUnit.HOURS;
                    case 'M' -> TimeUnit.MINUTES;
                    case 'S' -> TimeUnit.SECONDS;
                    case 'm' -> TimeUnit.MILLISECONDS;
                    case 'u' -> TimeUnit.MICROSECONDS;
                    case 'n' -> TimeUnit.NANOSECONDS;
                    default -> null;
                };
                if (unit != null) {
                    return current.withDeadline(Deadline.after(value, unit), DEADLINES);
                }
            } catch (NumberFormatException e) {
                // a malformed header: no deadline, as the transport would treat it
            }
        }
        return current.withCancellation();
    }

    static final long CANCEL_POLL_MS = 20;

    private record Tracked(ServerCall<?, ?> call, Context.CancellableContext context) {
    }

    private static final java.util.Set<Tracked> ACTIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("call-deadlines").daemon().factory());

    static {
        DEADLINES.scheduleWithFixedDelay(() -> {
            for (Tracked t : ACTIVE) {
                try {
                    if (t.call().isCancelled()) {
                        t.context().cancel(null);
                    }
                } catch (RuntimeException e) {
                    // a call in an odd state: checked again next time
                }
            }
        }, CANCEL_POLL_MS, CANCEL_POLL_MS, TimeUnit.MILLISECONDS);
    }
}
