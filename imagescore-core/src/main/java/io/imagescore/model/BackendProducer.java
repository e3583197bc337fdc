package io.imagescore.model;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.model.triton.TritonBackend;
import io.imagescore.model.triton.TritonConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** Chooses the backend from {@code imagescore.backend.kind}. */
@ApplicationScoped
public class BackendProducer {

    @Produces
    @ApplicationScoped
    ModelBackend backend(BackendConfig config, MeterRegistry meters, OpenTelemetry otel) {
        return switch (config.kind()) {
            case "onnx" -> new OnnxBackend(new OnnxBackend.Config(config.onnx().intraOpThreads()));
            case "triton" -> new TritonBackend(tritonConfig(config.triton()), meters, otel);
            default -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST,
                    "imagescore.backend.kind='" + config.kind() + "' is not one of: onnx, triton");
        };
    }

    static TritonConfig tritonConfig(BackendConfig.Triton t) {
        TritonConfig d = TritonConfig.defaults(t.endpoints().orElseThrow(() -> new ImageScoreException(
                ErrorCode.INVALID_REQUEST, "imagescore.backend.kind=triton needs imagescore.backend.triton.endpoints (host:port,...)")));
        return d.withTransport(new TritonConfig.Transport(t.channelsPerEndpoint(), d.transport().maxInboundMessageBytes(),
                        d.transport().keepAliveTime(), d.transport().keepAliveTimeout()))
                .withBatching(new TritonConfig.Batching(t.maxBatchDelay(), d.batching().maxInFlight()))
                .withRetry(new TritonConfig.Retry(t.retryAttempts(), d.retry().initialBackoff(), d.retry().maxBackoff(),
                        d.retry().multiplier()))
                .withBreaker(new TritonConfig.Breaker(d.breaker().windowSize(), d.breaker().minimumCalls(),
                        t.breakerFailureRatePercent(), t.breakerOpenDuration(), d.breaker().halfOpenCalls()))
                .withRequestTimeout(t.requestTimeout());
    }

    void close(@Disposes ModelBackend backend) {
        backend.close();
    }
}
