package io.imagescore.config;

import io.imagescore.score.Limits;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Overload protection of the server: admission budgets, queueing, deadlines, pools and draining. */
public interface LimitsConfig {

    /** Decoded pixels in flight across all calls; default: a sixteenth of the heap in pixels (see {@link Limits}). */
    OptionalLong pixelBudget();

    /** Encoded image bytes being decoded across all calls; default: a quarter of the heap. */
    OptionalLong byteBudget();

    /** Model calls running at once; more wait in the queue. */
    @WithDefault("2")
    int maxConcurrentInference();

    /** Calls waiting per budget; beyond it new ones get OVERLOADED at once. */
    @WithDefault("256")
    int maxQueued();

    /** Longest wait for a budget before OVERLOADED (RESOURCE_EXHAUSTED + retry_after_ms). */
    @WithDefault("2s")
    Duration maxQueueWait();

    /**
     * Longest deadline the server honours for one pipeline call (a Score, one stream batch); a call with none or a
     * longer one gets this.
     */
    @WithDefault("120s")
    Duration maxDeadline();

    /** Decode/preprocess threads; default: the cores this container may use. */
    OptionalInt preprocessThreads();

    /**
     * Largest request message; quarkus.grpc.server.max-inbound-message-size is set from it. Must stay well under the
     * heap: a request is held whole while it is scored (its images are read in place, not copied); above an eighth of
     * the heap the server warns at startup.
     */
    @WithDefault("134217728")
    int maxRequestBytes();

    /** After SIGTERM: how long running calls may take to finish before their remaining model work is terminated. */
    @WithDefault("20s")
    Duration shutdownGrace();

    default Limits limits() {
        return new Limits(pixelBudget().orElseGet(Limits::defaultPixelBudget),
                byteBudget().orElseGet(() -> Math.max(Limits.defaultByteBudget(), maxRequestBytes())),
                maxConcurrentInference(), maxQueued(), maxQueueWait(), preprocessThreads().orElseGet(Limits::cores),
                maxDeadline());
    }
}
