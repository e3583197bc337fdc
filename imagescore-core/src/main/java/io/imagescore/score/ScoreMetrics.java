package io.imagescore.score;

import io.imagescore.image.StageClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

import java.time.Duration;

/**
 * Prometheus metrics of the scoring path: images, errors by code, latency histograms per stage; and the trace span of
 * each stage, so that one call ({@link #begin}) both times a stage and traces it.
 */
public class ScoreMetrics implements StageClock {
    public static final String STAGE_TIMER = "imagescore.stage";
    /** Instrumentation scope of the stage spans (and of the Triton client spans). */
    public static final String TRACER = "io.imagescore";

    private final MeterRegistry registry;
    private final Tracer tracer;

    /** The CLI passes a SimpleMeterRegistry: no spans. */
    public ScoreMetrics(MeterRegistry registry) {
        this(registry, OpenTelemetry.noop());
    }

    public ScoreMetrics(MeterRegistry registry, OpenTelemetry otel) {
        this.registry = registry;
        this.tracer = otel.getTracer(TRACER);
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

    /** Calls refused by admission control, by the budget that was full (pixels, inference) or "shutdown". */
    public void rejected(String reason) {
        Counter.builder("imagescore.rejected").description("Calls refused by admission control or draining")
                .tag("reason", reason).register(registry).increment();
    }

    /** Time a call waited for its turn at a budget (zero when it was admitted at once). */
    public void queueWait(String budget, long nanos) {
        Timer.builder("imagescore.queue.wait").description("Wait for admission, per budget").tag("budget", budget)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry).record(Duration.ofNanos(nanos));
    }

    /** Decoded pixels currently admitted (imagescore_inflight_pixels). */
    public void inflightPixels(java.util.function.LongSupplier pixels) {
        io.micrometer.core.instrument.Gauge.builder("imagescore.inflight.pixels", () -> (double) pixels.getAsLong())
                .description("Decoded pixels admitted and in flight").register(registry);
    }

    /**
     * Starts a stage: a span named {@code stage}, child of the current context and current until {@link Timing#close},
     * which also records the stage's latency. stage = decode (one image's decodes), preprocess (its views → tensors),
     * inference (one encoder batch), heads (every head of a call), sort (ordering after encoding).
     */
    @Override
    public Timing begin(String stage) {
        Span span = tracer.spanBuilder(stage).startSpan();
        Scope scope = span.makeCurrent();
        long t0 = System.nanoTime();
        return () -> {
            stage(stage, System.nanoTime() - t0);
            scope.close();
            span.end();
        };
    }

    private void stage(String stage, long nanos) {
        Timer.builder(STAGE_TIMER).description("Latency per pipeline stage").tag("stage", stage)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry).record(Duration.ofNanos(nanos));
    }
}
