package io.imagescore.score;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;

/** Prometheus metrics of the scoring path: images, errors by code, latency histograms per stage. */
@ApplicationScoped
public class ScoreMetrics {
    public static final String STAGE_TIMER = "imagescore.stage";

    private final MeterRegistry registry;

    /** Also used without CDI (the CLI passes a SimpleMeterRegistry). */
    @Inject
    public ScoreMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void image(String pack) {
        Counter.builder("imagescore.images").description("Images received for scoring").tag("pack", pack)
                .register(registry).increment();
    }

    public void imageError(String code) {
        Counter.builder("imagescore.image.errors").description("Per-image errors by code").tag("code", code)
                .register(registry).increment();
    }

    public void request(String rpc, String outcome) {
        Counter.builder("imagescore.requests").description("RPCs by outcome").tag("rpc", rpc).tag("outcome", outcome)
                .register(registry).increment();
    }

    /** stage = decode (decode + preprocess), inference (one encoder batch), heads. */
    public void stage(String stage, long nanos) {
        Timer.builder(STAGE_TIMER).description("Latency per pipeline stage").tag("stage", stage)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry).record(Duration.ofNanos(nanos));
    }
}
