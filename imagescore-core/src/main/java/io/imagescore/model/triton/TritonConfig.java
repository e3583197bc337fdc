package io.imagescore.model.triton;

import java.time.Duration;
import java.util.List;

/**
 * Everything the Triton backend needs to reach and protect its servers. Grouped like the future
 * {@code imagescore.triton.*} config mapping; {@link #defaults(List)} holds the defaults, the {@code with*} methods
 * replace one group (tests and the CDI producer use them).
 *
 * @param endpoints Triton gRPC endpoints as {@code host:port} (Triton's default gRPC port is 8001)
 * @param requestTimeout applied when a caller passes no deadline: a remote call must never wait forever
 * @param loadTimeout per start-up check (ServerReady, ModelReady, ModelMetadata, ModelConfig)
 * @param healthTimeout per ModelReady probe behind {@link TritonBackend#ready()}
 * @param healthCacheTtl how long a readiness answer is reused, so health probes do not flood Triton
 */
public record TritonConfig(List<String> endpoints, Transport transport, Batching batching, Retry retry,
                           Breaker breaker, Duration requestTimeout, Duration loadTimeout, Duration healthTimeout,
                           Duration healthCacheTtl) {

    /**
     * @param channelsPerEndpoint HTTP/2 connections per endpoint, used round-robin so one connection (and one Triton
     *                            gRPC thread) does not carry all traffic
     * @param maxInboundMessageBytes Triton answers up to INT32_MAX; grpc-java's 4 MiB default trips on big batches
     * @param keepAliveTime client pings while a call is active; Triton's server strikes pings closer than 5 min apart
     *                      without data (min_recv_ping_interval_without_data 300 s, max_ping_strikes 2), so stay above
     *                      that; pings are never sent on idle connections (Triton's permit_without_calls=false)
     */
    public record Transport(int channelsPerEndpoint, int maxInboundMessageBytes, Duration keepAliveTime,
                            Duration keepAliveTimeout) {
        public Transport {
            require(channelsPerEndpoint >= 1, "channelsPerEndpoint must be >= 1");
            require(maxInboundMessageBytes >= 4 << 20, "maxInboundMessageBytes must be >= 4 MiB");
            require(keepAliveTime.compareTo(Duration.ofMinutes(5)) >= 0,
                    "keepAliveTime below 5 min makes Triton answer GOAWAY too_many_pings");
        }
    }

    /**
     * @param maxDelay how long the first request of a batch waits for others to join
     * @param maxInFlight batches per model on the wire at once; while all are busy, new requests pile up into the
     *                    next (bigger) batch, which is what a busy Triton wants
     */
    public record Batching(Duration maxDelay, int maxInFlight) {
        public Batching {
            require(!maxDelay.isNegative(), "maxDelay must not be negative");
            require(maxInFlight >= 1, "maxInFlight must be >= 1");
        }
    }

    /** Retries only for UNAVAILABLE (which is how grpc-java reports transport failures), within the deadline. */
    public record Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {
        public Retry {
            require(maxAttempts >= 1, "maxAttempts must be >= 1");
            require(multiplier >= 1, "multiplier must be >= 1");
        }
    }

    /** A count-based resilience4j breaker per endpoint. */
    public record Breaker(int windowSize, int minimumCalls, float failureRatePercent, Duration openDuration,
                          int halfOpenCalls) {
        public Breaker {
            require(windowSize >= 1 && minimumCalls >= 1 && halfOpenCalls >= 1, "breaker sizes must be >= 1");
            require(failureRatePercent > 0 && failureRatePercent <= 100, "failureRatePercent must be in (0, 100]");
        }
    }

    public TritonConfig {
        endpoints = List.copyOf(endpoints);
        require(!endpoints.isEmpty(), "at least one Triton endpoint is required");
    }

    public static TritonConfig defaults(List<String> endpoints) {
        return new TritonConfig(endpoints,
                new Transport(2, 256 << 20, Duration.ofMinutes(10), Duration.ofSeconds(20)),
                new Batching(Duration.ofMillis(2), 4),
                new Retry(3, Duration.ofMillis(50), Duration.ofSeconds(1), 2.0),
                new Breaker(20, 10, 50f, Duration.ofSeconds(10), 3),
                Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    public TritonConfig withTransport(Transport t) {
        return new TritonConfig(endpoints, t, batching, retry, breaker, requestTimeout, loadTimeout, healthTimeout, healthCacheTtl);
    }

    public TritonConfig withBatching(Batching b) {
        return new TritonConfig(endpoints, transport, b, retry, breaker, requestTimeout, loadTimeout, healthTimeout, healthCacheTtl);
    }

    public TritonConfig withRetry(Retry r) {
        return new TritonConfig(endpoints, transport, batching, r, breaker, requestTimeout, loadTimeout, healthTimeout, healthCacheTtl);
    }

    public TritonConfig withBreaker(Breaker b) {
        return new TritonConfig(endpoints, transport, batching, retry, b, requestTimeout, loadTimeout, healthTimeout, healthCacheTtl);
    }

    public TritonConfig withRequestTimeout(Duration d) {
        return new TritonConfig(endpoints, transport, batching, retry, breaker, d, loadTimeout, healthTimeout, healthCacheTtl);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
