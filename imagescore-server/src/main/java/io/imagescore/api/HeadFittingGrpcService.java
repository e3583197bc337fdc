package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ClassificationMetrics;
import io.imagescore.api.v1.DeleteHeadRequest;
import io.imagescore.api.v1.DeleteHeadResponse;
import io.imagescore.api.v1.DeleteHeadVersionRequest;
import io.imagescore.api.v1.EvaluateHeadRequest;
import io.imagescore.api.v1.EvaluateHeadResponse;
import io.imagescore.api.v1.FitHeadRequest;
import io.imagescore.api.v1.FitHeadResponse;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.RankingMetrics;
import io.imagescore.api.v1.RegressionMetrics;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.fit.Calibrate;
import io.imagescore.fit.Comparison;
import io.imagescore.fit.Evaluation;
import io.imagescore.fit.FitKind;
import io.imagescore.fit.FitService;
import io.imagescore.fit.FitSpec;
import io.imagescore.fit.FittedHead;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.LabelledImage;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.View;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoreRef;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * gRPC edge of head fitting: maps proto ↔ domain, runs {@link FitService}, then writes the head as a new version
 * into the data directory and swaps it into the running pack, so the next Score call sees it.
 */
@GrpcService
public class HeadFittingGrpcService extends HeadFittingGrpc.HeadFittingImplBase {

    @Inject
    Quotas quotas;
    @Inject
    PackRegistry packs;
    @Inject
    FitService fitting;
    @Inject
    ScoringPipeline pipeline;
    @Inject
    ScoreMetrics metrics;
    @Inject
    Retention retention;

    /** Version numbering + write + swap happen one fit at a time, so two fits never claim the same version. */
    private final ReentrantLock publish = new ReentrantLock();

    /**
     * Built-in heads are read-only for everyone (what one tenant fits never changes what another gets), and an existing
     * head keeps its kind: a new version of "quality" fitted from comparisons would silently change what it means.
     */
    private void requireWritable(ModelPack pack, String name, FitKind kind) {
        requireNotBuiltIn(pack, name, "fit your head under another name");
        var versions = pack.heads().get(name);
        if (versions != null && !versions.isEmpty()) {
            FitKind existing = FitKind.of(versions.lastEntry().getValue());
            if (existing != kind) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "head '" + name + "' was fitted as "
                        + existing.name().toLowerCase(java.util.Locale.ROOT) + "; a new version cannot be "
                        + kind.name().toLowerCase(java.util.Locale.ROOT) + " (fit it under another name)",
                        java.util.Map.of("field", "kind"), null);
            }
        }
    }

    private void requireNotBuiltIn(ModelPack pack, String name, String advice) {
        if (packs.builtIn(pack.name(), name)) {
            throw new ImageScoreException(ErrorCode.BUILTIN_READ_ONLY, "'" + name + "' is a built-in head of pack "
                    + pack.name() + " and read-only; " + advice, java.util.Map.of("head", name), null);
        }
    }

    @Override
    @Blocking
    public void fitHead(FitHeadRequest request, StreamObserver<FitHeadResponse> out) {
        try {
            FitHeadResponse r = fit(request);
            metrics.request("FitHead", "ok");
            out.onNext(r);
            out.onCompleted();
        } catch (RuntimeException | Error e) {
            fail("FitHead", out, e);
        }
    }

    /**
     * Fits and publishes a head version for {@code request.tenant} (already bound to the caller): the one path of
     * FitHead and of the rating campaigns' fit action (RatingResource).
     */
    FitHeadResponse fit(FitHeadRequest request) {
        String tenant = TenantNames.tenant(request.getTenant());
        TenantNames.check("name", request.getName());
        PreprocessMode mode = PreprocessModes.fromProto(request.getPreprocessModeValue());
        ModelPack pack = packs.get(tenant, request.getPack());
        FitKind kind = switch (request.getKind()) {
            case FIT_KIND_REGRESSION -> FitKind.REGRESSION;
            case FIT_KIND_CLASSES -> FitKind.CLASSES;
            case FIT_KIND_PAIRWISE -> FitKind.PAIRWISE;
            default -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "kind must be regression, classes or pairwise");
        };
        requireWritable(pack, request.getName(), kind);
        quotas.checkHead(tenant, pack, request.getName());
        List<View> views = request.getViewsCount() == 0 ? pack.preprocessing().views()
                : request.getViewsList().stream().map(HeadFittingGrpcService::view).toList();
        Calibrate.Method calibration = switch (request.getCalibration()) {
            case CALIBRATION_LINEAR -> Calibrate.Method.LINEAR;
            case CALIBRATION_ISOTONIC -> Calibrate.Method.ISOTONIC;
            default -> Calibrate.Method.NONE;
        };
        if (request.getHiddenUnits() < 0 || request.getFolds() < 0) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "hidden_units and folds must be ≥ 0");
        }
        FitSpec spec = new FitSpec(request.getName(), kind, views, request.getSeed(),
                request.getFolds() == 0 ? 5 : request.getFolds(), request.getClassesList(), calibration,
                request.getHiddenUnits(), request.getTieMargin(), request.getDescription(), request.getUnit(),
                !request.getLowerIsBetter(), mode, switch (request.getClassifier()) {
                    case CLASSIFIER_KERNEL -> FitSpec.Classifier.KERNEL;
                    case CLASSIFIER_LOGISTIC -> FitSpec.Classifier.LOGISTIC;
                    default -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "unknown classifier " + request.getClassifierValue());
                });
        List<LabelledImage> images = request.getImagesList().stream().map(HeadFittingGrpcService::image).toList();
        List<Comparison> comparisons = request.getComparisonsList().stream()
                .map(c -> new Comparison(c.getBetter(), c.getWorse(), c.getTie() ? 0.5 : 1.0)).toList();
        FittedHead head = fitting.scoped(tenant).fit(pack, spec, images, comparisons, ScoreGrpcService.deadline(), null);

        String version;
        ModelPack updated;
        publish.lock();
        try {
            version = packs.publish(tenant, pack.name(), head).version();
            retention.pruneHead(tenant, pack.name(), head.name());
            updated = packs.get(tenant, pack.name());
        } finally {
            publish.unlock();
        }
        JsonNode t = head.training();
        JsonNode cv = t.path("cv");
        FitHeadResponse.Builder r = FitHeadResponse.newBuilder().setPack(ScoreMessages.packRef(updated))
                .setName(head.name()).setVersion(version).addAllVersions(updated.heads().get(head.name()).keySet())
                .setTrainingSetSha256(t.path("training_set_sha256").asText()).setMethod(t.path("method").asText())
                .setLambda(t.path("lambda").asDouble()).setTrainingJson(t.toString())
                .setPreprocessingId(pipeline.preprocessingId(pack, mode));
        switch (kind) {
            case REGRESSION -> r.setCvRegression(RegressionMetrics.newBuilder().setSrcc(cv.path("srcc").asDouble())
                    .setPlcc(cv.path("plcc").asDouble()).setKrcc(cv.path("krcc").asDouble()).setRmse(cv.path("rmse").asDouble()));
            case CLASSES -> r.setCvClassification(ClassificationMetrics.newBuilder().setAccuracy(cv.path("accuracy").asDouble())
                    .setMacroF1(cv.path("macro_f1").asDouble()).setEce(cv.path("ece").asDouble())
                    .setLogLoss(cv.path("log_loss").asDouble())
                    .addAllClasses(updated.heads().get(head.name()).get(version).spec().classes()));
            case PAIRWISE -> r.setCvRanking(RankingMetrics.newBuilder().setPairwiseAccuracy(cv.path("pairwise_accuracy").asDouble())
                    .setKendallTau(cv.path("kendall_tau").asDouble()).setPairs(t.path("pairs").asInt()));
        }
        return r.build();
    }

    @Override
    @Blocking
    public void evaluateHead(EvaluateHeadRequest request, StreamObserver<EvaluateHeadResponse> out) {
        try {
            if (request.getScore().isEmpty()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score is required (e.g. \"quality\" or \"quality@1\")");
            }
            ScoreRef.parse(request.getScore());
            String tenant = TenantNames.tenant(request.getTenant());
            ModelPack pack = packs.get(tenant, request.getPack());
            PreprocessMode mode = PreprocessModes.fromProto(request.getPreprocessModeValue());
            List<LabelledImage> images = request.getImagesList().stream().map(HeadFittingGrpcService::image).toList();
            List<Comparison> comparisons = request.getComparisonsList().stream()
                    .map(c -> new Comparison(c.getBetter(), c.getWorse(), c.getTie() ? 0.5 : 1.0)).toList();
            Evaluation ev = fitting.scoped(tenant).evaluate(pack, request.getScore(), images, comparisons, mode, ScoreGrpcService.deadline(), null);
            EvaluateHeadResponse.Builder r = EvaluateHeadResponse.newBuilder().setPack(ScoreMessages.packRef(pack))
                    .setScore(ev.score()).setVersion(ev.version()).setExamples(ev.examples())
                    .setPreprocessingId(pipeline.preprocessingId(pack, mode));
            if (ev.regression() != null) {
                var m = ev.regression();
                r.setRegression(RegressionMetrics.newBuilder().setSrcc(m.srcc()).setPlcc(m.plcc()).setKrcc(m.krcc()).setRmse(m.rmse()));
            }
            if (ev.classification() != null) {
                var m = ev.classification();
                ClassificationMetrics.Builder c = ClassificationMetrics.newBuilder().setAccuracy(m.accuracy())
                        .setMacroF1(m.macroF1()).setEce(m.ece()).setLogLoss(m.logLoss()).addAllClasses(m.classes());
                for (int[] row : m.confusion()) {
                    for (int v : row) {
                        c.addConfusion(v);
                    }
                }
                r.setClassification(c);
            }
            if (ev.ranking() != null) {
                var m = ev.ranking();
                r.setRanking(RankingMetrics.newBuilder().setPairs(m.pairs()).setPairwiseAccuracy(m.pairwiseAccuracy())
                        .setKendallTau(m.kendallTau()));
            }
            metrics.request("EvaluateHead", "ok");
            out.onNext(r.build());
            out.onCompleted();
        } catch (RuntimeException | Error e) {
            fail("EvaluateHead", out, e);
        }
    }

    @Override
    @Blocking
    public void deleteHead(DeleteHeadRequest request, StreamObserver<DeleteHeadResponse> out) {
        GrpcErrors.answer(metrics, "DeleteHead", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            String name = TenantNames.check("name", request.getName());
            ModelPack pack = packs.get(tenant, request.getPack());
            var versions = fittedVersions(pack, name, "delete");
            retention.requireUnpinnedHead(tenant, pack.name(), name, List.copyOf(versions.keySet()));
            int deleted = packs.delete(tenant, pack.name(), name, List.copyOf(versions.keySet()));
            return DeleteHeadResponse.newBuilder().setDeletedVersions(deleted).build();
        });
    }

    @Override
    @Blocking
    public void deleteHeadVersion(DeleteHeadVersionRequest request, StreamObserver<DeleteHeadResponse> out) {
        GrpcErrors.answer(metrics, "DeleteHeadVersion", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            String name = TenantNames.check("name", request.getName());
            String version = TenantNames.checkVersion("version", request.getVersion());
            ModelPack pack = packs.get(tenant, request.getPack());
            var versions = fittedVersions(pack, name, "delete its versions");
            if (!versions.containsKey(version)) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_HEAD_VERSION, "head '" + name + "' has no version " + version
                        + "; it has " + versions.keySet(), java.util.Map.of("head", name, "version", version), null);
            }
            if (versions.lastKey().equals(version)) {
                throw new ImageScoreException(ErrorCode.ACTIVE_VERSION, "version " + version + " of head '" + name
                        + "' is the active (newest) one; delete the head, or fit a newer version first",
                        java.util.Map.of("head", name, "version", version), null);
            }
            retention.requireUnpinnedHead(tenant, pack.name(), name, List.of(version));
            int deleted = packs.delete(tenant, pack.name(), name, List.of(version));
            var left = packs.get(tenant, pack.name()).heads().get(name);
            return DeleteHeadResponse.newBuilder().setDeletedVersions(deleted)
                    .addAllVersions(left == null ? List.of() : left.keySet()).build();
        });
    }

    /** The versions of the tenant's fitted head {@code name}: built-ins are read-only, another tenant's heads absent. */
    private java.util.NavigableMap<String, io.imagescore.pack.HeadVersion> fittedVersions(ModelPack pack, String name, String what) {
        requireNotBuiltIn(pack, name, "only heads you fitted can be deleted");
        var versions = pack.heads().get(name);
        if (versions == null) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_SCORE, "no fitted head '" + name + "' in pack " + pack.name()
                    + " to " + what, java.util.Map.of("head", name), null);
        }
        return versions;
    }

    private static View view(String id) {
        try {
            return View.parse(id);
        } catch (IllegalArgumentException e) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
    }

    private static LabelledImage image(io.imagescore.api.v1.LabelledImage li) {
        ImageRef ref = switch (li.getSourceCase()) {
            case DATA -> ImageRef.ofBytes(li.getId(), li.getData().asReadOnlyByteBuffer());
            case SHA256 -> ImageRef.ofHash(li.getId(), li.getSha256());
            case SOURCE_NOT_SET -> new ImageRef(li.getId(), null, null);
        };
        return new LabelledImage(ref, li.getTargetValueCase() == io.imagescore.api.v1.LabelledImage.TargetValueCase.TARGET ? li.getTarget() : Double.NaN, li.getLabel().isEmpty() ? null : li.getLabel());
    }

    private void fail(String rpc, StreamObserver<?> observer, Throwable e) {
        GrpcErrors.fail(metrics, rpc, observer, e);
    }
}
