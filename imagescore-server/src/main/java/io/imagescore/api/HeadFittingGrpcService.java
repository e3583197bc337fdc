package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
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
import io.imagescore.fit.FitReport;
import io.imagescore.fit.FitSpec;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.LabelledImage;
import io.imagescore.fit.TenantHeads;
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

/**
 * gRPC edge of head fitting: maps proto ↔ domain; {@link TenantHeads} fits, publishes (the next Score call sees the
 * new version) and deletes, {@link FitService} evaluates.
 */
@GrpcService
public class HeadFittingGrpcService extends HeadFittingGrpc.HeadFittingImplBase {

    @Inject
    PackRegistry packs;
    @Inject
    FitService fitting;
    @Inject
    TenantHeads heads;
    @Inject
    ScoringPipeline pipeline;
    @Inject
    ScoreMetrics metrics;

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
     * Translates a FitHead request into {@link TenantHeads#fit} (which fits and publishes for {@code request.tenant},
     * already bound to the caller) and its result into the response.
     */
    private FitHeadResponse fit(FitHeadRequest request) {
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
        TenantHeads.Published published = heads.fit(tenant, pack, spec, images, comparisons, ScoreGrpcService.deadline());
        FitReport report = published.report();
        FitHeadResponse.Builder r = FitHeadResponse.newBuilder().setPack(ScoreMessages.packRef(published.pack()))
                .setName(published.head().name()).setVersion(published.version()).addAllVersions(published.versions())
                .setTrainingSetSha256(report.trainingSetSha256()).setMethod(report.method())
                .setLambda(orZero(report.lambda())).setTrainingJson(published.head().training().toString())
                .setPreprocessingId(pipeline.preprocessingId(pack, mode));
        FitReport.CrossValidation cv = report.cv();
        if (cv.regression() != null) {
            r.setCvRegression(regression(cv.regression()));
        }
        if (cv.classification() != null) {
            var m = cv.classification();
            r.setCvClassification(ClassificationMetrics.newBuilder().setAccuracy(orZero(m.accuracy()))
                    .setMacroF1(orZero(m.macroF1())).setEce(orZero(m.ece())).setLogLoss(orZero(m.logLoss()))
                    .addAllClasses(m.classes()));
        }
        if (cv.ranking() != null) {
            r.setCvRanking(ranking(cv.ranking()));
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
            int deleted = heads.delete(tenant, pack, name);
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
            TenantHeads.Deleted deleted = heads.deleteVersion(tenant, pack, name, version);
            return DeleteHeadResponse.newBuilder().setDeletedVersions(deleted.versions()).addAllVersions(deleted.left()).build();
        });
    }

    /** A fit's cross-validated ranking metrics; undefined ones (NaN) go out as 0. */
    static RankingMetrics.Builder ranking(Evaluation.Ranking m) {
        return RankingMetrics.newBuilder().setPairwiseAccuracy(orZero(m.pairwiseAccuracy())).setKendallTau(orZero(m.kendallTau()))
                .setPairs(m.pairs());
    }

    /** A fit's cross-validated regression metrics; undefined ones (NaN) go out as 0, as proto3 has no "unset" here. */
    static RegressionMetrics.Builder regression(io.imagescore.fit.Evaluation.Regression m) {
        return RegressionMetrics.newBuilder().setSrcc(orZero(m.srcc())).setPlcc(orZero(m.plcc())).setKrcc(orZero(m.krcc()))
                .setRmse(orZero(m.rmse()));
    }

    private static double orZero(double v) {
        return Double.isNaN(v) ? 0 : v;
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
