package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.LabelTuningGrpc;
import io.imagescore.api.v1.TuneLabelsConfig;
import io.imagescore.api.v1.TuneLabelsRequest;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.api.v1.TuningViewpoint;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.CandidateGenerator;
import io.imagescore.prompt.LabelTuner;
import io.imagescore.prompt.LabelTuning;
import io.imagescore.prompt.PromptSet;
import io.imagescore.score.ImageInput;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * gRPC edge of label tuning: collects the config and the rated images of a client stream, then runs the same
 * {@link LabelTuning} as the {@code imagescore tune} command on a worker thread and stores the tuned version.
 */
@GrpcService
public class LabelTuningGrpcService extends LabelTuningGrpc.LabelTuningImplBase {
    /**
     * Most rated images one tuning call may send (they are held in memory until the stream ends); their bytes are
     * bounded by imagescore.limits.max-request-bytes.
     */
    static final int MAX_IMAGES = 20_000;
    private static final ExecutorService WORKERS = Executors.newVirtualThreadPerTaskExecutor();

    @Inject
    PackRegistry packs;
    @Inject
    PromptTuning tuning;
    @Inject
    ScoreMetrics metrics;
    @Inject
    io.imagescore.config.LimitsConfig limits;

    @Override
    public StreamObserver<TuneLabelsRequest> tuneLabels(StreamObserver<TuneLabelsResponse> out) {
        return new StreamObserver<>() {
            private TuneLabelsConfig config;
            private final List<LabelTuning.RatedImage> images = new ArrayList<>();
            private long bytes;
            private boolean done;

            @Override
            public synchronized void onNext(TuneLabelsRequest r) {
                if (done) {
                    return;
                }
                try {
                    if (config == null) {
                        if (!r.hasConfig()) {
                            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the first TuneLabels message must carry the config");
                        }
                        checked(r.getConfig());
                        config = r.getConfig();
                        return;
                    }
                    if (!r.hasImage()) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "config may be sent only once, as the first message");
                    }
                    if (images.size() >= MAX_IMAGES) {
                        throw new ImageScoreException(ErrorCode.TOO_MANY_IMAGES, "at most " + MAX_IMAGES + " rated images per tuning call");
                    }
                    long size = r.getImage().getImage().getData().size();
                    if (bytes + size > limits.maxRequestBytes()) { // all are held until the stream ends
                        throw new ImageScoreException(ErrorCode.TOO_MANY_IMAGES, "the rated images of one tuning call may"
                                + " total at most " + limits.maxRequestBytes() + " bytes (imagescore.limits.max-request-bytes);"
                                + " image " + (images.size() + 1) + " brings them to " + (bytes + size)
                                + ": send fewer or smaller images", Map.of("max_bytes", Long.toString(limits.maxRequestBytes())), null);
                    }
                    bytes += size;
                    Map<String, List<Double>> ratings = new LinkedHashMap<>();
                    r.getImage().getRatingsList().forEach(x -> ratings.computeIfAbsent(x.getViewpoint(), k -> new ArrayList<>()).add(x.getValue()));
                    images.add(new LabelTuning.RatedImage(ImageInput.of(r.getImage().getImage().getId(),
                            r.getImage().getImage().getData()), ratings));
                } catch (RuntimeException e) {
                    fail(e);
                }
            }

            @Override
            public synchronized void onError(Throwable t) {
                done = true;
                images.clear();
            }

            @Override
            public synchronized void onCompleted() {
                if (done) {
                    return;
                }
                done = true;
                if (config == null) {
                    fail(new ImageScoreException(ErrorCode.INVALID_REQUEST, "the stream ended without a config"));
                    return;
                }
                TuneLabelsConfig c = config;
                List<LabelTuning.RatedImage> all = List.copyOf(images);
                images.clear();
                WORKERS.submit(() -> {
                    try {
                        TuneLabelsResponse response = tune(c, all);
                        metrics.request("TuneLabels", "ok");
                        out.onNext(response);
                        out.onCompleted();
                    } catch (RuntimeException e) {
                        GrpcErrors.fail(metrics, "TuneLabels", out, e);
                    }
                });
            }

            private void fail(RuntimeException e) {
                done = true;
                images.clear();
                GrpcErrors.fail(metrics, "TuneLabels", out, e);
            }
        };
    }

    /** Checks the config's names and enum values; returns its tenant. */
    static String checked(TuneLabelsConfig c) {
        TenantNames.checkOptional("prompt_set", c.getPromptSet());
        PreprocessModes.fromProto(c.getPreprocessModeValue());
        return PromptSetMessages.tenant(c.getTenant());
    }

    TuneLabelsResponse tune(TuneLabelsConfig c, List<LabelTuning.RatedImage> images) {
        String tenant = checked(c);
        var mode = PreprocessModes.fromProto(c.getPreprocessModeValue());
        ModelPack pack = packs.get(tenant, c.getPack());
        LabelTuner.Options options = PromptTuning.options(c.getFolds(), c.getMaxPairs(), c.getSeed(), c.getScaleMin(), c.getScaleMax());
        List<LabelTuning.Viewpoint> viewpoints = c.getViewpointsList().stream().map(LabelTuningGrpcService::viewpoint).toList();
        return PromptTuning.response(tuning.tune(tenant, c.getPromptSet(), new LabelTuning.Request(pack, viewpoints, images, options, mode),
                c.getActivate(), c.getDryRun(), "label tuning, seed " + c.getSeed() + ", " + images.size() + " images"));
    }

    /** A viewpoint of the API: its candidate pairs and the words its generated candidates come from. */
    static LabelTuning.Viewpoint viewpoint(TuningViewpoint v) {
        return new LabelTuning.Viewpoint(v.getName(),
                v.getCandidatesList().stream().map(p -> new PromptSet.Pair(p.getPositive(), p.getNegative())).toList(),
                v.hasTemplates() ? new CandidateGenerator(v.getTemplates().getPositiveWordsList(), v.getTemplates().getNegativeWordsList(),
                        v.getTemplates().getNounsList(), v.getTemplates().getModifiersList(), v.getTemplates().getWordOrder(),
                        v.getTemplates().getRepetition(), v.getTemplates().getMaxCandidates()) : null);
    }
}
