package io.imagescore.model.triton;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** One Triton server: a few HTTP/2 connections used round-robin, and the circuit breaker that guards them. */
final class TritonEndpoint implements AutoCloseable {

    /**
     * Codes that say the server (not the request) is in trouble and so count against the breaker. DEADLINE_EXCEEDED is
     * included because a hung server shows up as nothing else.
     */
    private static final Set<Status.Code> SERVER_FAILURES = EnumSet.of(Status.Code.UNAVAILABLE,
            Status.Code.CANCELLED, Status.Code.DEADLINE_EXCEEDED, Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS);

    final String address;
    final CircuitBreaker breaker;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    // ---- written by the endpoint's prober (TritonProber), read by readiness and routing
    /** ServerReady answered true on the latest probe. */
    volatile boolean serverOk;
    /** Why the endpoint is not usable, from the latest probe; null when it is. */
    volatile String problem = "not probed yet";
    /** Models whose metadata matched the pack on this endpoint (their wire types are known). */
    final Set<String> validated = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Validated models that answered ModelReady = true on the latest probe. */
    volatile Set<String> readyModels = Set.of();
    /** A probe failed since the breaker last opened: a later successful probe means Triton came back. */
    volatile boolean downSinceOpen;
    volatile long openedAtNanos;

    TritonEndpoint(String address, TritonConfig config, TritonTracing tracing) {
        this.address = address;
        TritonConfig.Transport t = config.transport();
        for (int i = 0; i < t.channelsPerEndpoint(); i++) {
            channels.add(NettyChannelBuilder.forTarget(address)
                    .usePlaintext()
                    .maxInboundMessageSize(t.maxInboundMessageBytes())
                    .keepAliveTime(t.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                    .keepAliveTimeout(t.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                    .keepAliveWithoutCalls(false)
                    // our own retry loop owns attempts and backoff; grpc's would multiply them
                    .disableRetry()
                    .intercept(tracing.interceptor())
                    .build());
        }
        TritonConfig.Breaker b = config.breaker();
        this.breaker = CircuitBreaker.of("triton-" + address, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.windowSize())
                .minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRatePercent())
                .waitDurationInOpenState(b.openDuration())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                .recordException(TritonEndpoint::isServerFailure)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> {
            if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                downSinceOpen = false;
                openedAtNanos = System.nanoTime();
            }
        });
    }

    /** The latest probe found the server and {@code modelId} ready (breaker state aside). */
    boolean probedReady(String modelId) {
        return serverOk && readyModels.contains(modelId);
    }

    static boolean isServerFailure(Throwable t) {
        return !(t instanceof StatusRuntimeException e) || SERVER_FAILURES.contains(e.getStatus().getCode());
    }

    ManagedChannel nextChannel() {
        return channels.get(Math.floorMod(next.getAndIncrement(), channels.size()));
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : channels) {
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
