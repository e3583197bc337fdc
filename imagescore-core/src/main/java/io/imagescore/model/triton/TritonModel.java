package io.imagescore.model.triton;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.triton.ModelBatcher.Pending;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;

/** A pack model loaded in the Triton backend: its validation state, its micro-batcher and its metrics. */
final class TritonModel {
    final ModelSpec spec;
    /** Null until the model is validated on an endpoint. */
    volatile Map<String, String> wireTypes;
    /** Set when an endpoint that appeared later serves the model differently from the pack. */
    volatile String mismatch;
    final ModelBatcher batcher;
    final DistributionSummary batchSize;
    final Timer queueTime;
    final Counter retries;
    private final MeterRegistry meters;

    TritonModel(ModelSpec spec, TritonConfig config, ScheduledExecutorService scheduler, MeterRegistry meters,
                BiConsumer<TritonModel, List<Pending>> sender) {
        this.spec = spec;
        this.meters = meters;
        this.batcher = new ModelBatcher(spec.maxBatch(), config.batching(), scheduler, batch -> sender.accept(this, batch));
        this.batchSize = DistributionSummary.builder("imagescore.triton.batch.size").tag("model", spec.id())
                .description("rows per ModelInfer sent to Triton").register(meters);
        this.queueTime = Timer.builder("imagescore.triton.queue.time").tag("model", spec.id())
                .description("time a request waited in the client-side micro-batcher").register(meters);
        this.retries = Counter.builder("imagescore.triton.retries").tag("model", spec.id())
                .description("ModelInfer attempts repeated after UNAVAILABLE").register(meters);
    }

    Timer roundTrip(String outcome) {
        return Timer.builder("imagescore.triton.roundtrip").tags("model", spec.id(), "outcome", outcome)
                .description("ModelInfer round trip to Triton, per attempt").register(meters);
    }

    Counter errors(ErrorCode code) {
        return Counter.builder("imagescore.triton.errors").tags("model", spec.id(), "code", code.name())
                .description("failed inference calls by error code").register(meters);
    }

    /** Wire types found on {@code ep}: the first endpoint sets them, every other must agree. */
    void accept(TritonEndpoint ep, Map<String, String> found) {
        synchronized (this) {
            if (wireTypes != null && !wireTypes.equals(found)) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, "Triton endpoints disagree on the input types of "
                        + TritonErrors.tritonModel(spec) + ": " + wireTypes + " vs " + found + " at " + ep.address);
            }
            wireTypes = Map.copyOf(found);
        }
        ep.validated.add(spec.id());
    }
}
