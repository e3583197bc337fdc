package io.imagescore.api;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.inject.Singleton;

/**
 * Makes each RPC's server span current around every event of its call, wherever the call runs, so that the stage
 * spans (decode, preprocess, inference, heads, reply) are its children.
 *
 * <p>Why: Quarkus keeps the current OpenTelemetry context of a request in the request's Vert.x duplicated context,
 * one slot that the event loop and the {@code @Blocking} worker share. Its gRPC tracing interceptor makes the server
 * span current from the worker (it runs inside the blocking interceptor), while the event loop, ending the HTTP
 * authentication step, puts the HTTP {@code POST} span back into the same slot (SmallRye context propagation's
 * {@code endContext}); whichever writes last wins. With four Score calls at once, about half had every stage under
 * {@code POST}. Reading the slot again would race the same way, so the span is handed over by the SDK as it starts:
 * {@link #onStart} runs on the thread that starts the span, inside Quarkus's interceptor, and that interceptor and
 * this one (both below the blocking one) start the call on the same thread, one calling the other. The listener
 * events then come after the event loop's write (they are replayed once the call has started), and each makes the
 * span current again.
 */
@GlobalInterceptor
@Singleton
public class RpcSpanInterceptor implements ServerInterceptor, SpanProcessor {
    /** The server span started last on this thread and not yet ended, taken by the call that started it. */
    private static final ThreadLocal<Context> STARTED = new ThreadLocal<>();

    @Override
    public void onStart(Context parent, ReadWriteSpan span) {
        if (span.getKind() == SpanKind.SERVER) {
            STARTED.set(parent.with(span));
        }
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    /** Drops a span no call took (the HTTP span, a call rejected before this interceptor) when it ends here. */
    @Override
    public void onEnd(ReadableSpan span) {
        Context started = STARTED.get();
        if (started != null && Span.fromContext(started) == span) {
            STARTED.remove();
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        // Quarkus's tracing interceptor is outside or inside this one: either way its span has started once this returns
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        Context rpc = take(call.getMethodDescriptor().getFullMethodName());
        return rpc == null ? listener : new Current<>(listener, rpc);
    }

    /** This call's server span, or null when none was started for it (tracing off, not sampled). */
    private static Context take(String method) {
        Context started = STARTED.get();
        STARTED.remove();
        return started != null && Span.fromContext(started) instanceof ReadableSpan s && s.getName().equals(method)
                && !s.hasEnded() ? started : null;
    }

    private static final class Current<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final Context rpc;

        Current(ServerCall.Listener<Q> delegate, Context rpc) {
            super(delegate);
            this.rpc = rpc;
        }

        @Override
        public void onMessage(Q message) {
            inSpan(() -> super.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            inSpan(super::onHalfClose);
        }

        @Override
        public void onCancel() {
            inSpan(super::onCancel);
        }

        @Override
        public void onComplete() {
            inSpan(super::onComplete);
        }

        @Override
        public void onReady() {
            inSpan(super::onReady);
        }

        private void inSpan(Runnable event) {
            try (Scope ignored = rpc.makeCurrent()) {
                event.run();
            }
        }
    }
}
