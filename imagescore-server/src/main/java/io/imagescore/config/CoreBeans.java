package io.imagescore.config;

import io.imagescore.api.Quotas;
import io.imagescore.api.Retention;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.FitService;
import io.imagescore.fit.TenantHeads;
import io.imagescore.image.Preprocessor;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.model.triton.TritonBackend;
import io.imagescore.model.triton.TritonConfig;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.prompt.TextEmbedder;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.scorecache.ScoreStore;
import io.imagescore.sort.SetSorter;
import io.imagescore.store.HeadFileStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;

/**
 * The server's instances of core's plain classes, built from {@link ImageScoreConfig} (the CLI builds the same classes
 * from its options, {@code score/Engine}). Class-typed beans are {@code @Singleton}: no client proxy, so core's
 * classes need no CDI-friendly constructor.
 */
@ApplicationScoped
public class CoreBeans {
    private static final Logger LOG = Logger.getLogger(CoreBeans.class);

    @Produces
    @Singleton
    Preprocessor preprocessor(ImageScoreConfig config) {
        ImageConfig image = config.image();
        ImageScoreConfig.TurboJpeg turbo = config.turboJpeg();
        if (turbo.disabled()) {
            LOG.info("libjpeg-turbo disabled by imagescore.turbojpeg.disabled; JPEGs decode through ImageIO");
        }
        // availableProcessors() honours cgroup CPU quotas (JDK container support), so the default fits the container
        return new Preprocessor(image.limits(), image.concurrentDecodes().orElse(Runtime.getRuntime().availableProcessors()),
                turbo.disabled() ? Optional.empty() : Optional.of(turbo.library()), config.resampler().vector(),
                image.regionDecode());
    }

    @Produces
    @Singleton
    io.imagescore.rating.CampaignPosteriors campaignPosteriors(io.imagescore.rating.CampaignStore store, ImageScoreConfig config) {
        return new io.imagescore.rating.CampaignPosteriors(store, config.rating().posteriorCacheBytes());
    }

    /** Chosen by {@code imagescore.backend.kind}. */
    @Produces
    @ApplicationScoped
    ModelBackend backend(ImageScoreConfig all, MeterRegistry meters, OpenTelemetry otel) {
        BackendConfig config = all.backend();
        return switch (config.kind()) {
            case "onnx" -> new OnnxBackend(new OnnxBackend.Config(config.onnx().intraOpThreads(),
                    config.onnx().intraOpSpinning().orElse(OnnxBackend.DEFAULT_SPINNING), config.onnx().optimizedModelCache()));
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

    @Produces
    @Singleton
    ScoreMetrics metrics(MeterRegistry registry, OpenTelemetry otel) {
        return new ScoreMetrics(registry, otel);
    }

    @Produces
    @Singleton
    ScoringPipeline pipeline(ModelBackend backend, Preprocessor preprocessor, ScoreMetrics metrics, LimitsConfig config) {
        long heap = Runtime.getRuntime().maxMemory();
        if (config.maxRequestBytes() > heap / 8) {
            // a request is held twice while it is parsed (gRPC's frame, then the message), a few at once
            LOG.warnf("imagescore.limits.max-request-bytes=%d is more than an eighth of the %d MiB heap: a few"
                    + " concurrent requests of that size can exhaust it; lower it or raise -Xmx", config.maxRequestBytes(),
                    heap >> 20);
        }
        return new ScoringPipeline(backend, preprocessor, metrics, config.limits());
    }

    void stop(@Disposes ScoringPipeline pipeline) {
        pipeline.stop();
    }

    /**
     * Eager, loading in the background while the rest of Quarkus starts (bench/README.md, "Cold start"): a broken pack
     * still stops the start, because health/ReadinessState waits for the load (and throws its error) at StartupEvent,
     * before the HTTP/gRPC port opens; readiness is never reported before the packs are loaded.
     */
    @Produces
    @Singleton
    @Startup
    PackRegistry packs(ImageScoreConfig config, ModelBackend backend, Preprocessor preprocessor, HeadFileStore fittedHeads) {
        PackConfig p = config.packs();
        return new PackRegistry(new PackRegistry.Settings(p.dirs(), p.defaultPack(), p.sharedDir(), config.dataDir()),
                backend, preprocessor, fittedHeads, true);
    }

    @Produces
    @Singleton
    TextEmbedder textEmbedder(ModelBackend backend) {
        return new TextEmbedder(backend);
    }

    @Produces
    @Singleton
    PromptSetRegistry promptSets(PackRegistry packs, TextEmbedder embedder, PromptSetStore store) {
        return new PromptSetRegistry(packs, embedder, store);
    }

    @Produces
    @Singleton
    FitService fitService(ScoringPipeline pipeline, ImageScoreConfig config) {
        return new FitService(pipeline, new EmbeddingCache(config.fit().cacheMaxEntries(), config.fit().cacheDir().orElse(null)));
    }

    /** A tenant's fitted heads, with the server's quotas (before a fit), retention (after) and experiment pins (before a delete). */
    @Produces
    @Singleton
    TenantHeads tenantHeads(PackRegistry packs, FitService fitting, Quotas quotas, Retention retention) {
        return new TenantHeads(packs, fitting, new TenantHeads.Policy() {
            @Override
            public void beforeFit(String tenant, ModelPack pack, String head) {
                quotas.checkHead(tenant, pack, head);
            }

            @Override
            public void afterPublish(String tenant, String pack, String head) {
                retention.pruneHead(tenant, pack, head);
            }

            @Override
            public void beforeDelete(String tenant, String pack, String head, List<String> versions) {
                retention.requireUnpinnedHead(tenant, pack, head, versions);
            }
        });
    }

    @Produces
    @Singleton
    SetSorter setSorter(ScoringPipeline pipeline) {
        return new SetSorter(pipeline);
    }

    /**
     * The service's score store; {@code imagescore.score-store.max-bytes} = 0 turns it off (an empty Optional). Its
     * shared tier is on with {@code imagescore.store.kind=postgresql} unless {@code shared-enabled=false}.
     */
    @Produces
    @Singleton
    Optional<ScoreStore> scoreStore(ImageScoreConfig config, MeterRegistry registry, StateStores stateStores) {
        ImageScoreConfig.ScoreStore c = config.scoreStore();
        if (c.maxBytes() < 0) {
            throw new IllegalStateException("imagescore.score-store.max-bytes must be ≥ 0, got " + c.maxBytes());
        }
        if (c.maxBytes() == 0) {
            return Optional.empty();
        }
        io.imagescore.scorecache.SharedScores shared = null;
        if (c.sharedEnabled().orElseGet(stateStores::postgresql)) {
            if (c.sharedMaxBytes() <= 0) {
                throw new IllegalStateException("imagescore.score-store.shared-max-bytes must be > 0, got " + c.sharedMaxBytes());
            }
            shared = stateStores.sharedScores(c.sharedMaxBytes());
            LOG.infof("score store: memory (%d bytes) backed by %s (%d bytes)", c.maxBytes(), shared.describe(), c.sharedMaxBytes());
        }
        return Optional.of(new ScoreStore(c.maxBytes(), registry, shared));
    }
}
