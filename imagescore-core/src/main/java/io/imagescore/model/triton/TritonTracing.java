package io.imagescore.model.triton;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.List;

/**
 * Client spans of the Triton calls and W3C trace context in their gRPC metadata. The Triton channels are plain
 * grpc-java (not Quarkus-managed clients), so Quarkus' gRPC instrumentation does not see them: {@link #interceptor}
 * writes the current context into every call's headers through the configured propagator (tracecontext:
 * {@code traceparent}), and {@link #startModelInfer} opens one CLIENT span per ModelInfer attempt.
 */
final class TritonTracing {
    private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    private static final AttributeKey<Long> RPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("imagescore.triton.model");
    private static final AttributeKey<Long> ROWS = AttributeKey.longKey("imagescore.batch.rows");
    private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("imagescore.attempt");
    private static final TextMapSetter<Metadata> HEADERS =
            (headers, key, value) -> headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    TritonTracing(OpenTelemetry otel) {
        this.tracer = otel.getTracer("io.imagescore");
        this.propagator = otel.getPropagators().getTextMapPropagator();
    }

    /**
     * A CLIENT span for one ModelInfer attempt. A batch may carry rows of several callers: its parent is the first
     * caller's context and the others are links, so every caller's trace reaches the call.
     */
    Span startModelInfer(List<Context> callers, String model, int rows, String endpoint, int attempt) {
        Context parent = callers.isEmpty() ? Context.current() : callers.getFirst();
        SpanBuilder b = tracer.spanBuilder(GRPCInferenceServiceGrpc.SERVICE_NAME + "/ModelInfer")
                .setParent(parent)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, GRPCInferenceServiceGrpc.SERVICE_NAME)
                .setAttribute(RPC_METHOD, "ModelInfer")
                .setAttribute(SERVER_ADDRESS, endpoint)
                .setAttribute(MODEL, model)
                .setAttribute(ROWS, (long) rows)
                .setAttribute(ATTEMPT, (long) attempt);
        SpanContext first = Span.fromContext(parent).getSpanContext();
        for (int i = 1; i < callers.size(); i++) {
            SpanContext other = Span.fromContext(callers.get(i)).getSpanContext();
            if (other.isValid() && !other.equals(first)) {
                b.addLink(other);
            }
        }
        return b.startSpan();
    }

    /** Ends a span started by {@link #startModelInfer} with the call's outcome (null = OK). */
    static void end(Span span, Throwable failure) {
        Status status = failure == null ? Status.OK : Status.fromThrowable(failure);
        span.setAttribute(RPC_STATUS, (long) status.getCode().value());
        if (failure != null) {
            span.setStatus(StatusCode.ERROR, status.getCode().name());
        }
        span.end();
    }

    /**
     * For the Triton channels. A lambda, not a class: Quarkus' gRPC build step warns about every ClientInterceptor
     * class it finds that is not one of its clients' interceptors.
     */
    ClientInterceptor interceptor() {
        return this::interceptCall;
    }

    private <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        Context context = Context.current(); // the stub call runs on the caller's thread, inside the attempt's span
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                propagator.inject(context, headers, HEADERS);
                super.start(listener, headers);
            }
        };
    }
}
