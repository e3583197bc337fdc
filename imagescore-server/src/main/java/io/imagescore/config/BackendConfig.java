package io.imagescore.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

public interface BackendConfig {

    /** onnx (embedded ONNX Runtime, the default) or triton. */
    @WithDefault("onnx")
    String kind();

    Onnx onnx();

    Triton triton();

    interface Onnx {
        /** Intra-op threads per inference; 0 = all cores. */
        @WithDefault("0")
        int intraOpThreads();

        /**
         * ONNX Runtime's intra-op spinning (session.intra_op.allow_spinning); unset = the measured default
         * ({@code OnnxBackend.DEFAULT_SPINNING}, bench/README.md "ORT intra-op spinning").
         */
        java.util.Optional<Boolean> intraOpSpinning();

        /**
         * Directory that keeps ONNX Runtime's optimised graph of each model between starts (created if missing): a
         * start then loads it with graph optimisation off instead of rewriting and optimising the model again (about
         * 0.3 s of CPU per cold start). Entries are keyed by the model's sha256, ONNX Runtime's version, the CPU's
         * features and the session settings, and checked against their digest before use. Unset = off. bin/serve and
         * the JVM image set it beside the application (bench/README.md, "Cold start").
         */
        Optional<java.nio.file.Path> optimizedModelCache();
    }

    /** Triton over KServe-v2 gRPC; unset values take {@code TritonConfig.defaults}. */
    interface Triton {
        /** host:port of each Triton gRPC endpoint (8001 by default on Triton). */
        Optional<List<String>> endpoints();

        /** HTTP/2 connections per endpoint, used round-robin. */
        @WithDefault("2")
        int channelsPerEndpoint();

        /** How long the client waits to fill a batch before sending it. */
        @WithDefault("2ms")
        Duration maxBatchDelay();

        /** Attempts per call for UNAVAILABLE/transport errors, within the caller's deadline. */
        @WithDefault("3")
        int retryAttempts();

        /** Failure rate (%) over the breaker's window that opens it. */
        @WithDefault("50")
        float breakerFailureRatePercent();

        /** How long the breaker stays open before half-open probes. */
        @WithDefault("10s")
        Duration breakerOpenDuration();

        /** Used when the caller sets no deadline. */
        @WithDefault("30s")
        Duration requestTimeout();
    }
}
