package io.imagescore.api;

import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.AccuracyComparison;
import io.imagescore.api.v1.CompareVariantsRequest;
import io.imagescore.api.v1.CompareVariantsResponse;
import io.imagescore.api.v1.CreateExperimentVersionRequest;
import io.imagescore.api.v1.DisplacementBin;
import io.imagescore.api.v1.Experiment;
import io.imagescore.api.v1.ExperimentSummary;
import io.imagescore.api.v1.ExperimentsGrpc;
import io.imagescore.api.v1.GetExperimentRequest;
import io.imagescore.api.v1.ImageError;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.Interval;
import io.imagescore.api.v1.ListExperimentsRequest;
import io.imagescore.api.v1.ListExperimentsResponse;
import io.imagescore.api.v1.ListingComparison;
import io.imagescore.api.v1.ListingsComparison;
import io.imagescore.api.v1.ResolvedVariant;
import io.imagescore.api.v1.ScoreComparison;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.VariantChoice;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.experiment.Bootstrap;
import io.imagescore.experiment.ComparisonReport;
import io.imagescore.experiment.ExperimentStore;
import io.imagescore.experiment.ListingOrdering;
import io.imagescore.experiment.VariantComparison;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.sort.RegulationStore;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** gRPC edge of experiments: versioned experiment storage and CompareVariants. */
@GrpcService
public class ExperimentsGrpcService extends ExperimentsGrpc.ExperimentsImplBase {
    static final int DEFAULT_RESAMPLES = 1000;
    static final int MAX_LISTINGS = 10_000;

    @Inject
    ExperimentStore store;
    @Inject
    ExperimentVariants variants;
    /** The Score service itself (a gRPC service bean carries the @GrpcService qualifier). */
    @Inject
    @GrpcService
    ScoreGrpcService scoring;
    @Inject
    Quotas quotas;
    @Inject
    RegulationStore regulations;
    @Inject
    ApiConfig config;
    @Inject
    ScoreMetrics metrics;

    @Override
    @Blocking
    public void createExperimentVersion(CreateExperimentVersionRequest request, StreamObserver<Experiment> out) {
        GrpcErrors.answer(metrics, "CreateExperimentVersion", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            String name = TenantNames.check("experiment name", request.getName());
            if (!request.hasSpec()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the request has no spec");
            }
            var experiment = variants.pinned(tenant, request.getSpec());
            quotas.checkExperiment(tenant, name);
            return ExperimentVariants.toProto(store.put(tenant, name, experiment));
        });
    }

    @Override
    @Blocking
    public void getExperiment(GetExperimentRequest request, StreamObserver<Experiment> out) {
        GrpcErrors.answer(metrics, "GetExperiment", out, () -> ExperimentVariants.toProto(store.get(
                TenantNames.tenant(request.getTenant()), TenantNames.check("experiment name", request.getName()),
                TenantNames.checkOptionalVersion("version", request.getVersion()))));
    }

    @Override
    @Blocking
    public void listExperiments(ListExperimentsRequest request, StreamObserver<ListExperimentsResponse> out) {
        GrpcErrors.answer(metrics, "ListExperiments", out, () -> {
            ListExperimentsResponse.Builder b = ListExperimentsResponse.newBuilder();
            store.list(TenantNames.tenant(request.getTenant())).forEach(s -> b.addExperiments(ExperimentSummary.newBuilder()
                    .setName(s.name()).setLatestVersion(s.latestVersion()).addAllVersions(s.versions())));
            return b.build();
        });
    }

    @Override
    @Blocking
    public void compareVariants(CompareVariantsRequest request, StreamObserver<CompareVariantsResponse> out) {
        GrpcErrors.answer(metrics, "CompareVariants", out, () -> compare(request));
    }

    private CompareVariantsResponse compare(CompareVariantsRequest request) {
        String tenant = TenantNames.tenant(request.getTenant());
        if (request.getImagesCount() < 2) {
            throw invalid("CompareVariants needs at least 2 images, got " + request.getImagesCount());
        }
        if (request.getImagesCount() > config.maxCompareImages()) {
            throw new ImageScoreException(ErrorCode.TOO_MANY_IMAGES, "the request has " + request.getImagesCount()
                    + " images; at most " + config.maxCompareImages() + " are allowed per CompareVariants call");
        }
        if (request.getListingsCount() > MAX_LISTINGS) {
            throw invalid("at most " + MAX_LISTINGS + " listings, got " + request.getListingsCount());
        }
        if (request.getGroundTruthCount() > request.getImagesCount()) {
            throw invalid("ground_truth has " + request.getGroundTruthCount() + " entries for " + request.getImagesCount() + " images");
        }
        if (request.getTopK() < 0 || request.getBootstrapResamples() < 0 || request.getBootstrapResamples() > Bootstrap.MAX_RESAMPLES) {
            throw invalid("top_k must be ≥ 0 and bootstrap_resamples in [0, " + Bootstrap.MAX_RESAMPLES + "]");
        }
        if (request.getConfidence() != 0 && !(request.getConfidence() > 0 && request.getConfidence() < 1)) {
            throw invalid("confidence must be in (0, 1) (0 = 0.95), got " + request.getConfidence());
        }
        Map<String, Double> ratings = new HashMap<>();
        Map<String, String> labels = new HashMap<>();
        for (var g : request.getGroundTruthList()) {
            switch (g.getTruthCase()) {
                case RATING -> {
                    if (!Double.isFinite(g.getRating())) {
                        throw invalid("ground_truth for '" + g.getImageId() + "': the rating is not a finite number");
                    }
                    ratings.put(g.getImageId(), g.getRating());
                }
                case LABEL -> labels.put(g.getImageId(), g.getLabel());
                case TRUTH_NOT_SET -> throw invalid("ground_truth for '" + g.getImageId() + "' has neither rating nor label");
            }
        }
        List<ComparisonReport.ListingInput> listings = request.getListingsList().stream()
                .map(l -> new ComparisonReport.ListingInput(l.getId(), l.getImageIdsList())).toList();
        Bootstrap bootstrap = new Bootstrap(request.getBootstrapResamples() == 0 ? DEFAULT_RESAMPLES : request.getBootstrapResamples(),
                request.getSeed(), request.getConfidence() == 0 ? 0.95 : request.getConfidence());

        TenantNames.checkOptional("regulation", request.getRegulation());
        TenantNames.checkOptionalVersion("regulation_version", request.getRegulationVersion());
        if (request.getRegulation().isEmpty() && !request.getRegulationVersion().isEmpty()) {
            throw invalid("regulation_version given without regulation");
        }

        Side a = side("a", tenant, request.getA());
        Side b = side("b", tenant, request.getB());
        RegulationStore.Stored common = request.getRegulation().isEmpty() ? null
                : regulations.get(tenant, request.getRegulation(), request.getRegulationVersion());
        // checked before anything is scored
        ListingOrdering orderA = ListingOrdering.of("a", a.regulation(), common, a.prepared().selections());
        ListingOrdering orderB = ListingOrdering.of("b", b.regulation(), common, b.prepared().selections());
        List<RequestImage> images = request.getImagesList().stream().map(RequestImage::of).toList();
        List<Outcome<ScoredImage>> scoredA = scoring.run(a.prepared(), images, ScoreGrpcService.deadline());
        List<Outcome<ScoredImage>> scoredB = scoring.run(b.prepared(), images, ScoreGrpcService.deadline());
        ComparisonReport report = ComparisonReport.build("a", "b", scoredA, scoredB,
                new ComparisonReport.Options(request.getTopK() == 0 ? 10 : request.getTopK(), bootstrap, listings, ratings, labels,
                        orderA, orderB));
        return response(report, a, b);
    }

    /** A variant ready to score, and the regulation version it orders listings by itself (null = none). */
    private record Side(ScoreGrpcService.Prepared prepared, ExperimentVariants.Resolved resolved, RegulationStore.Stored regulation) {
    }

    private Side side(String which, String tenant, VariantChoice choice) {
        ScoreOptions base = ScoreOptions.newBuilder().setTenant(tenant).build();
        return switch (choice.getChoiceCase()) {
            case SPEC -> {
                var s = choice.getSpec();
                TenantNames.checkOptional(which + ".spec.regulation", s.getRegulation());
                TenantNames.checkOptionalVersion(which + ".spec.regulation_version", s.getRegulationVersion());
                if (s.getRegulation().isEmpty() && !s.getRegulationVersion().isEmpty()) {
                    throw invalid(which + ": regulation_version given without regulation");
                }
                ScoreGrpcService.Prepared prepared = scoring.prepare(ScoreOptions.newBuilder().setTenant(tenant).setPack(s.getPack())
                        .addAllScores(s.getScoresList()).setPromptSet(s.getPromptSet()).setPromptSetVersion(s.getPromptSetVersion())
                        .setPreprocessMode(s.getPreprocessMode()).build());
                yield new Side(prepared, null, s.getRegulation().isEmpty() ? null
                        : regulations.get(tenant, s.getRegulation(), s.getRegulationVersion()));
            }
            case STORED -> {
                var n = choice.getStored();
                ExperimentVariants.Resolved r = variants.resolve(tenant, n.getExperiment(), n.getExperimentVersion(), n.getVariant());
                var pins = r.variant().pins();
                yield new Side(scoring.prepare(ExperimentVariants.scoreOptions(pins, base)), r, pins.regulation().isEmpty() ? null
                        : regulations.get(r.stored().tenant(), pins.regulation(), pins.regulationVersion()));
            }
            case CHOICE_NOT_SET -> throw invalid("variant " + which + " is missing: give a spec or a stored experiment variant");
        };
    }

    private static CompareVariantsResponse response(ComparisonReport r, Side a, Side b) {
        CompareVariantsResponse.Builder out = CompareVariantsResponse.newBuilder().setA(resolved(a))
                .setB(resolved(b)).setImages(r.images()).setBootstrapResamples(r.bootstrapResamples())
                .setSeed(r.seed()).setConfidence(r.confidence());
        for (ComparisonReport.Excluded e : r.excluded()) {
            out.addExcluded(ImageResult.newBuilder().setId(e.id()).setError(ImageError.newBuilder().setCode(e.code())
                    .setMessage("variant " + e.variant().toLowerCase(java.util.Locale.ROOT) + ": " + e.message())));
        }
        for (VariantComparison.ScoreComparison c : r.scores()) {
            ScoreComparison.Builder s = ScoreComparison.newBuilder().setScoreA(c.scoreA()).setScoreB(c.scoreB())
                    .setImages(c.images()).setSrcc(interval(c.srcc())).setKrcc(interval(c.krcc())).setPlcc(interval(c.plcc()))
                    .setMeanA(c.meanA()).setMeanB(c.meanB()).setMeanShift(c.meanShift()).setMeanAbsShift(c.meanAbsShift())
                    .setTopK(c.topK()).setTopKOverlap(c.topKOverlap());
            c.rankDisplacement().forEach(bin -> s.addRankDisplacement(DisplacementBin.newBuilder().setFrom(bin.from())
                    .setTo(bin.to()).setCount(bin.count())));
            out.addScores(s);
        }
        if (r.listings() != null) {
            var l = r.listings();
            ListingsComparison.Builder lb = ListingsComparison.newBuilder().setListings(l.listings()).setOrderedBy(r.orderedBy())
                    .setOrderedByA(r.orderedByA()).setOrderedByB(r.orderedByB())
                    .setHeroChanges(l.heroChanges()).setHeroChangeShare(l.heroChangeShare())
                    .setMeanKendallTau(l.meanKendallTau()).setTotalMoves(l.totalMoves());
            l.perListing().forEach(x -> lb.addPerListing(ListingComparison.newBuilder().setListing(x.listing())
                    .setPhotos(x.photos()).setKendallTau(x.kendallTau()).setMoves(x.moves()).setHeroChanged(x.heroChanged())
                    .setHeroA(x.heroA()).setHeroB(x.heroB())));
            out.setListings(lb);
        }
        if (r.ratings() != null) {
            out.setRatings(accuracy(r.ratings()));
        }
        if (r.labels() != null) {
            out.setLabels(accuracy(r.labels()));
        }
        return out.build();
    }

    private static ResolvedVariant resolved(Side side) {
        ScoreGrpcService.Prepared p = side.prepared();
        ResolvedVariant.Builder b = ResolvedVariant.newBuilder().setPack(ScoreMessages.packRef(p.pack()))
                .setPreprocessingId(p.preprocessingId());
        p.selections().forEach(s -> b.addScores(s.name() + "@" + s.head().version()));
        if (p.promptSet() != null) {
            b.setPromptSet(PromptSetMessages.ref(p.promptSet().ref()));
        }
        if (side.resolved() != null) {
            b.setExperiment(side.resolved().ref());
        }
        return b.build();
    }

    private static AccuracyComparison accuracy(VariantComparison.Accuracy a) {
        return AccuracyComparison.newBuilder().setMetric(a.metric()).setImages(a.images()).setA(a.a()).setB(a.b())
                .setDifference(interval(a.difference())).build();
    }

    private static Interval interval(Bootstrap.Interval i) {
        return Interval.newBuilder().setEstimate(i.estimate()).setLow(i.low()).setHigh(i.high()).setResamples(i.resamples()).build();
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
