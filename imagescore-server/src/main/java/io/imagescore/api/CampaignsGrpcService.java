package io.imagescore.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.AddRatersRequest;
import io.imagescore.api.v1.AddRatersResponse;
import io.imagescore.api.v1.CampaignJudgement;
import io.imagescore.api.v1.CampaignRater;
import io.imagescore.api.v1.CampaignSummary;
import io.imagescore.api.v1.CampaignImage;
import io.imagescore.api.v1.CampaignsGrpc;
import io.imagescore.api.v1.CreateCampaignRequest;
import io.imagescore.api.v1.CreateCampaignResponse;
import io.imagescore.api.v1.DeleteCampaignRequest;
import io.imagescore.api.v1.DeleteCampaignResponse;
import io.imagescore.api.v1.ExportJudgementsRequest;
import io.imagescore.api.v1.ExportJudgementsResponse;
import io.imagescore.api.v1.FitCampaignHeadRequest;
import io.imagescore.api.v1.FitCampaignHeadResponse;
import io.imagescore.api.v1.ListCampaignsRequest;
import io.imagescore.api.v1.ListCampaignsResponse;
import io.imagescore.api.v1.RaterToken;
import io.imagescore.api.v1.RevokeRaterRequest;
import io.imagescore.api.v1.TuneCampaignLabelsRequest;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.fit.FitReport;
import io.imagescore.image.PreprocessModes;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.rating.JudgementExport;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Locale;

/**
 * gRPC edge of rating campaigns (service Campaigns, docs/rating.md): the owner's side of what the rater page's JSON API
 * offers. Every request's tenant is already bound to the caller ({@link CallerInterceptor}); {@link RatingService} does
 * the work, so the page and the RPCs share one implementation.
 */
@GrpcService
public class CampaignsGrpcService extends CampaignsGrpc.CampaignsImplBase {
    /** Answers per streamed export message: well below gRPC's default 4 MB message limit. */
    static final int EXPORT_CHUNK = 1000;
    /**
     * Summary bytes per ListCampaigns page: a summary lists every rater token ever issued (up to 1,000 of ~40 bytes), so
     * 500 of them could pass gRPC's default 4 MiB message limit.
     */
    static final int MAX_LIST_BYTES = 1 << 20;

    @Inject
    RatingService rating;
    @Inject
    ScoreMetrics metrics;

    @Override
    @Blocking
    public void createCampaign(CreateCampaignRequest request, StreamObserver<CreateCampaignResponse> out) {
        GrpcErrors.answer(metrics, "CreateCampaign", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            List<RatingService.ImageSource> images = request.getImagesList().stream().map(CampaignsGrpcService::image).toList();
            // proto3's zeros are "not given": the same defaults as the JSON API's absent fields
            RatingService.Spec spec = new RatingService.Spec(request.getName(), request.getTitle(), request.getTask(),
                    request.getPack(), request.getHead(), request.getAnchorsList(),
                    request.getRaters() == 0 ? null : request.getRaters(),
                    request.getComparisons() == 0 ? null : request.getComparisons(), images);
            // the RPC does not know the HTTP address clients reach the page at: the path alone
            RatingService.Created created = rating.create(tenant, spec, "");
            CreateCampaignResponse.Builder b = CreateCampaignResponse.newBuilder().setCampaign(summary(created.campaign()));
            created.raters().forEach(l -> b.addRaters(token(l)));
            return b.build();
        });
    }

    private static RatingService.ImageSource image(CampaignImage im) {
        return switch (im.getSourceCase()) {
            case DATA -> new RatingService.ImageSource(im.getName(), im.getData().toByteArray(), null);
            case SHA256 -> new RatingService.ImageSource(im.getName(), null, im.getSha256());
            case SOURCE_NOT_SET -> new RatingService.ImageSource(im.getName(), null, null);
        };
    }

    private static RaterToken token(RatingService.RaterLink l) {
        return RaterToken.newBuilder().setRater(l.rater()).setToken(l.token()).setPath(l.url()).build();
    }

    @Override
    @Blocking
    public void listCampaigns(ListCampaignsRequest request, StreamObserver<ListCampaignsResponse> out) {
        GrpcErrors.answer(metrics, "ListCampaigns", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            RatingService.CampaignPage page = rating.list(tenant, request.getPageSize(), request.getPageToken());
            ListCampaignsResponse.Builder b = ListCampaignsResponse.newBuilder().setNextPageToken(page.nextPageToken());
            long bytes = 0;
            for (String name : page.campaigns()) {
                Campaign c;
                try {
                    c = rating.campaign(tenant, name);
                } catch (ImageScoreException e) {
                    if (e.code() == ErrorCode.UNKNOWN_CAMPAIGN) {
                        continue; // deleted since the page was listed
                    }
                    throw e;
                }
                CampaignSummary s = summary(c);
                bytes += com.google.protobuf.CodedOutputStream.computeMessageSize(ListCampaignsResponse.CAMPAIGNS_FIELD_NUMBER, s);
                if (b.getCampaignsCount() > 0 && bytes > MAX_LIST_BYTES) {
                    // the rest of this page starts the next one
                    b.setNextPageToken(RatingService.nextPage(tenant, b.getCampaigns(b.getCampaignsCount() - 1).getName()));
                    break;
                }
                b.addCampaigns(s);
            }
            return b.build();
        });
    }

    static CampaignSummary summary(Campaign c) {
        CampaignSummary.Builder b = CampaignSummary.newBuilder().setName(c.name()).setTitle(c.title())
                .setTask(c.task().name().toLowerCase(Locale.ROOT)).setPack(c.pack()).setHead(c.head()).setImages(c.size())
                .setPerRater(c.perRater()).setCreated(c.created());
        c.raters().forEach(r -> b.addRaters(CampaignRater.newBuilder().setId(r.id()).setRevoked(r.active() ? "" : r.revoked())));
        return b.build();
    }

    @Override
    @Blocking
    public void exportJudgements(ExportJudgementsRequest request, StreamObserver<ExportJudgementsResponse> out) {
        try {
            String tenant = TenantNames.tenant(request.getTenant());
            Campaign c = rating.campaign(tenant, request.getCampaign());
            List<Judgement> answers = rating.answers(tenant, c);
            for (int from = 0; from < answers.size() || from == 0; from += EXPORT_CHUNK) {
                if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) {
                    throw new ImageScoreException(ErrorCode.CANCELLED, "the caller cancelled the export");
                }
                ExportJudgementsResponse.Builder b = ExportJudgementsResponse.newBuilder();
                for (Judgement j : answers.subList(from, Math.min(answers.size(), from + EXPORT_CHUNK))) {
                    b.addJudgements(judgement(JudgementExport.row(c, j)));
                }
                out.onNext(b.build());
            }
            metrics.request("ExportJudgements", "ok");
            out.onCompleted();
        } catch (RuntimeException e) {
            GrpcErrors.fail(metrics, "ExportJudgements", out, e);
        }
    }

    /** The export's row (one place decides the fields) as its message. */
    private static CampaignJudgement judgement(ObjectNode row) {
        CampaignJudgement.Builder b = CampaignJudgement.newBuilder().setSeq(row.path("seq").asLong())
                .setCreated(row.path("created").asText("")).setRater(row.path("rater").asText(""))
                .setTask(row.path("task").asText("")).setImage(row.path("image").asText(""))
                .setImageSha256(row.path("image_sha256").asText(""));
        if (!row.path("rating").isNull()) {
            b.setRating(row.path("rating").asInt());
        }
        if (!row.path("outcome").isNull()) {
            b.setSecond(row.path("second").asText("")).setSecondSha256(row.path("second_sha256").asText(""))
                    .setOutcome(row.path("outcome").asText(""));
        }
        return b.build();
    }

    @Override
    @Blocking
    public void fitCampaignHead(FitCampaignHeadRequest request, StreamObserver<FitCampaignHeadResponse> out) {
        GrpcErrors.answer(metrics, "FitCampaignHead", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            RatingService.Fitted f = rating.fit(tenant, rating.campaign(tenant, request.getCampaign()), request.getHead());
            FitCampaignHeadResponse.Builder b = FitCampaignHeadResponse.newBuilder().setHead(f.head()).setVersion(f.version())
                    .addAllVersions(f.versions()).setKind(f.kind()).setExamples(f.examples());
            FitReport.CrossValidation cv = f.cv();
            if (cv.regression() != null) {
                b.setCvRegression(HeadFittingGrpcService.regression(cv.regression()));
            }
            if (cv.ranking() != null) {
                b.setCvRanking(HeadFittingGrpcService.ranking(cv.ranking()));
            }
            return b.build();
        });
    }

    @Override
    @Blocking
    public void tuneCampaignLabels(TuneCampaignLabelsRequest request, StreamObserver<TuneLabelsResponse> out) {
        GrpcErrors.answer(metrics, "TuneCampaignLabels", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            if (request.getFolds() < 0 || request.getMaxPairs() < 0) {
                throw RatingService.invalid("folds", "folds and max_pairs must be ≥ 0");
            }
            RatingService.TuneSpec spec = new RatingService.TuneSpec(request.getPack(), request.getPromptSet(),
                    LabelTuningGrpcService.viewpoint(request.getViewpoint()), request.getFolds(), request.getMaxPairs(),
                    request.getSeed(), request.getActivate(), request.getDryRun(), PreprocessModes.fromProto(request.getPreprocessModeValue()));
            return PromptTuning.response(rating.tune(tenant, rating.campaign(tenant, request.getCampaign()), spec));
        });
    }

    @Override
    @Blocking
    public void addRaters(AddRatersRequest request, StreamObserver<AddRatersResponse> out) {
        GrpcErrors.answer(metrics, "AddRaters", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            AddRatersResponse.Builder b = AddRatersResponse.newBuilder();
            // the RPC does not know the HTTP address clients reach the page at: the path alone
            rating.addRaters(tenant, request.getCampaign(), request.getCount(), "").forEach(l -> b.addRaters(token(l)));
            return b.build();
        });
    }

    @Override
    @Blocking
    public void revokeRater(RevokeRaterRequest request, StreamObserver<CampaignSummary> out) {
        GrpcErrors.answer(metrics, "RevokeRater", out, () -> summary(rating.revokeRater(TenantNames.tenant(request.getTenant()),
                request.getCampaign(), request.getRater())));
    }

    @Override
    @Blocking
    public void deleteCampaign(DeleteCampaignRequest request, StreamObserver<DeleteCampaignResponse> out) {
        GrpcErrors.answer(metrics, "DeleteCampaign", out, () -> {
            CampaignStore.Deleted d = rating.delete(TenantNames.tenant(request.getTenant()), request.getCampaign());
            return DeleteCampaignResponse.newBuilder().setJudgements(d.judgements()).setImages(d.images())
                    .setImageBytes(d.imageBytes()).build();
        });
    }
}
