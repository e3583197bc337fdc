package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.DescribePacksResponse;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.CompiledPromptSet;
import io.imagescore.prompt.PromptScoring;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoreRef;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import io.imagescore.scorecache.ScoreKey;
import io.imagescore.scorecache.ScoreStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** gRPC edge of scoring: validates, maps proto ↔ domain, runs the pipeline off the event loop. */
@GrpcService
public class ScoreGrpcService extends ImageScoreGrpc.ImageScoreImplBase {

    @Inject
    PackRegistry packs;
    @Inject
    ScoringPipeline pipeline;
    @Inject
    ModelBackend backend;
    @Inject
    ApiConfig config;
    @Inject
    io.imagescore.config.LimitsConfig limits;
    @Inject
    ScoreMetrics metrics;
    @Inject
    PromptSetRegistry promptSets;
    @Inject
    ExperimentVariants experiments;
    @Inject
    Optional<ScoreStore> scoreStore;

    @Override
    @Blocking
    public void score(ScoreRequest request, StreamObserver<ScoreResponse> responseObserver) {
        try {
            if (request.getImagesCount() == 0) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the request has no images");
            }
            if (request.getImagesCount() > config.maxImagesPerRequest()) {
                throw new ImageScoreException(ErrorCode.TOO_MANY_IMAGES, "the request has " + request.getImagesCount()
                        + " images; at most " + config.maxImagesPerRequest() + " are allowed per Score call (use ScoreStream for more)");
            }
            Prepared p = prepare(request.getOptions());
            List<RequestImage> images = request.getImagesList().stream().map(RequestImage::of).toList();
            List<Outcome<ScoredImage>> results = run(p, images, deadline());
            // "reply": building the message and serialising it (grpc-java marshals inside onNext)
            try (io.imagescore.image.StageClock.Timing ignored = metrics.begin("reply")) {
                ScoreResponse.Builder response = ScoreResponse.newBuilder().setPack(ScoreMessages.packRef(p.pack()))
                        .setPreprocessingId(p.preprocessingId());
                if (p.promptSet() != null) {
                    response.setPromptSet(PromptSetMessages.ref(p.promptSet().ref()));
                }
                if (p.experiment() != null) {
                    response.setExperiment(p.experiment());
                }
                results.forEach(r -> response.addResults(ScoreMessages.result(r, p.topK())));
                metrics.request("Score", "ok");
                responseObserver.onNext(response.build());
            }
            responseObserver.onCompleted();
        } catch (RuntimeException | Error e) {
            fail("Score", responseObserver, e);
        }
    }

    @Override
    public StreamObserver<ScoreStreamRequest> scoreStream(StreamObserver<ScoreStreamResponse> responseObserver) {
        return new ScoreStreamSession(this, (ServerCallStreamObserver<ScoreStreamResponse>) responseObserver,
                config.streamWindow(), config.streamBatch(), limits.maxRequestBytes());
    }

    @Override
    @Blocking
    public void describePacks(DescribePacksRequest request, StreamObserver<DescribePacksResponse> responseObserver) {
        try {
            String tenant = TenantNames.tenant(request.getTenant());
            List<ModelPack> selected = request.getPack().isEmpty() ? packs.all(tenant) : List.of(packs.get(tenant, request.getPack()));
            DescribePacksResponse.Builder b = DescribePacksResponse.newBuilder().setDefaultPack(packs.defaultPack());
            for (ModelPack pack : selected) {
                b.addPacks(ScoreMessages.describe(pack, backend.kind(),
                        pipeline.preprocessingId(pack, io.imagescore.image.PreprocessMode.EXACT)));
            }
            metrics.request("DescribePacks", "ok");
            responseObserver.onNext(b.build());
            responseObserver.onCompleted();
        } catch (RuntimeException | Error e) {
            fail("DescribePacks", responseObserver, e);
        }
    }

    /**
     * Options resolved once per request or stream. {@code promptSet} is the resolved prompt-set version (null when none
     * was named) and {@code prompts} what to compute with it (null when no prompt score is wanted).
     */
    record Prepared(ModelPack pack, List<ScoringPipeline.Selection> selections, String preprocessingId, int topK,
                    io.imagescore.image.PreprocessMode mode, boolean includeEmbedding, boolean explain,
                    CompiledPromptSet promptSet,
                    PromptScoring prompts, io.imagescore.api.v1.ExperimentRef experiment, String tenant) {

        /** The scores every result carries: "name@version" of each head, then each prompt score's name (set order). */
        List<String> resolvedScores() {
            List<String> scores = new ArrayList<>();
            selections.forEach(s -> scores.add(s.name() + "@" + s.head().version()));
            if (prompts != null) {
                promptSet.spec().scoreNames().stream().filter(prompts.wanted()::contains).forEach(scores::add);
            }
            return scores;
        }

        /** What the request chose beyond pack and pixels, for the score store's key. */
        String storeKey() {
            StringBuilder k = new StringBuilder();
            selections.forEach(s -> k.append(s.name()).append('@').append(s.head().version()).append(','));
            k.append(";emb=").append(includeEmbedding).append(";explain=").append(explain);
            if (promptSet != null) {
                var r = promptSet.ref();
                k.append(";prompts=").append(r.tenant()).append('/').append(r.name()).append('@').append(r.version())
                        .append('#').append(r.contentHash()).append(';')
                        .append(prompts == null ? "" : new java.util.TreeSet<>(prompts.wanted()));
            }
            return k.toString();
        }
    }

    /**
     * Heads and prompt scores of a batch: one image encoding serves both (prompt scores read the embedding). With the
     * score store, every image whose result is stored under the same key is answered from it and only the others are
     * computed (and then stored); an image sent by content hash alone is only looked up.
     */
    List<Outcome<ScoredImage>> run(Prepared p, List<RequestImage> images, Instant deadline) {
        ScoreStore store = scoreStore.orElse(null);
        List<Outcome<ScoredImage>> out = new ArrayList<>(Collections.nCopies(images.size(), null));
        List<ScoreKey> keys = new ArrayList<>(Collections.nCopies(images.size(), null));
        Map<ScoreKey, ScoredImage> stored = Map.of();
        if (store != null) {
            for (int i = 0; i < images.size(); i++) {
                RequestImage image = images.get(i);
                String sha = image.hashOnly() ? image.contentSha256() : ScoringPipeline.sha256(image.data());
                keys.set(i, new ScoreKey(p.tenant(), sha, p.pack().contentHash(), p.storeKey(), p.preprocessingId()));
            }
            stored = store.getAll(keys); // memory, then one shared-tier lookup for all memory misses
        }
        List<Integer> computeAt = new ArrayList<>();
        List<ImageInput> compute = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            RequestImage image = images.get(i);
            ScoreKey key = keys.get(i);
            ScoredImage hit = key == null ? null : stored.get(key);
            if (hit != null) {
                out.set(i, Outcome.ok(image.id(), hit));
            } else if (image.hashOnly()) {
                out.set(i, Outcome.failed(image.id(), new ImageScoreException(ErrorCode.NOT_STORED, "no stored result for content_sha256 "
                        + image.contentSha256() + " with these options" + (store == null ? " (this server keeps no score store)" : "")
                        + "; send the image's bytes", Map.of("content_sha256", image.contentSha256()), null)));
            } else {
                computeAt.add(i);
                // hashed once: the key's hash is the result's
                compute.add(key == null ? image.input() : image.input(key.imageSha256()));
            }
        }
        if (!compute.isEmpty()) {
            List<Outcome<ScoredImage>> results = pipeline.score(p.pack(), compute, p.selections(),
                    p.includeEmbedding() || p.prompts() != null, p.explain(), p.mode(), deadline);
            if (p.prompts() != null) {
                results = p.prompts().apply(results, p.includeEmbedding(), p.explain());
            }
            Map<ScoreKey, ScoredImage> fresh = new LinkedHashMap<>();
            for (int j = 0; j < results.size(); j++) {
                Outcome<ScoredImage> r = results.get(j);
                if (r.isOk()) {
                    r = Outcome.ok(r.id(), r.value().withoutEmbeddingMaps());
                }
                int at = computeAt.get(j);
                out.set(at, r);
                if (store != null && r.isOk()) {
                    fresh.putIfAbsent(keys.get(at), r.value());
                }
            }
            if (store != null) {
                store.putAll(fresh);
            }
        }
        return out;
    }

    Prepared prepare(ScoreOptions options) {
        if (!options.getExperiment().isEmpty()) {
            ExperimentVariants.Resolved r = experiments.forScore(options);
            Prepared p = prepare(ExperimentVariants.scoreOptions(r.variant().pins(), options));
            return new Prepared(p.pack(), p.selections(), p.preprocessingId(), p.topK(), p.mode(), p.includeEmbedding(), p.explain(),
                    p.promptSet(), p.prompts(), r.ref(), p.tenant());
        }
        if (!options.getExperimentVersion().isEmpty() || !options.getVariant().isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "experiment_version or variant given without experiment");
        }
        // names first: a malformed name is INVALID_ARGUMENT before any lookup or work
        options.getScoresList().forEach(ScoreRef::parse);
        String tenant = PromptSetMessages.tenant(options.getTenant());
        TenantNames.checkOptional("prompt_set", options.getPromptSet());
        TenantNames.checkOptionalVersion("prompt_set_version", options.getPromptSetVersion());
        var mode = PreprocessModes.fromProto(options.getPreprocessModeValue());
        if (options.getTopK() < 0) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "top_k must be ≥ 0, got " + options.getTopK());
        }
        ModelPack pack = packs.get(tenant, options.getPack());
        List<String> headScores = options.getScoresList();
        CompiledPromptSet promptSet = null;
        PromptScoring prompts = null;
        if (!options.getPromptSet().isEmpty()) {
            promptSet = promptSets.resolve(pack, tenant, options.getPromptSet(), options.getPromptSetVersion(), deadline());
            PromptScoring.Split split = PromptScoring.split(pack, promptSet, options.getScoresList());
            headScores = split.heads();
            prompts = split.prompts();
        } else if (!options.getPromptSetVersion().isEmpty()) {
            // (a tenant alone is harmless: CallerInterceptor sets it to the caller's on every request)
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "prompt_set_version given without prompt_set");
        }
        // Only prompt scores wanted: no head runs (an empty head list would otherwise mean the pack's default heads).
        List<ScoringPipeline.Selection> selections = headScores.isEmpty() && !options.getScoresList().isEmpty()
                ? List.of() : ScoringPipeline.select(pack, headScores);
        return new Prepared(pack, selections, pipeline.preprocessingId(pack, mode),
                options.getTopK() == 0 ? config.topK() : options.getTopK(), mode, options.getIncludeEmbedding(), options.getExplain(),
                promptSet, prompts, null, PromptSetMessages.tenant(options.getTenant()));
    }

    ScoringPipeline pipeline() {
        return pipeline;
    }

    ScoreMetrics metrics() {
        return metrics;
    }

    /** The caller's deadline, passed down to the backend. */
    static Instant deadline() {
        io.grpc.Deadline d = io.grpc.Context.current().getDeadline();
        return d == null ? null : Instant.now().plusNanos(d.timeRemaining(java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    void fail(String rpc, StreamObserver<?> observer, Throwable e) {
        GrpcErrors.fail(metrics, rpc, observer, e);
    }
}
