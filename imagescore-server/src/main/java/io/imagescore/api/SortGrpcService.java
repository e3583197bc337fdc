package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import io.imagescore.tenant.TenantNames;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.DeleteRegulationRequest;
import io.imagescore.api.v1.DeleteRegulationResponse;
import io.imagescore.api.v1.EvaluateOrderRequest;
import io.imagescore.api.v1.EvaluateOrderResponse;
import io.imagescore.api.v1.GetRegulationRequest;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.ListRegulationsRequest;
import io.imagescore.api.v1.ListRegulationsResponse;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.RegulationRef;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.api.v1.SortResponse;
import io.imagescore.api.v1.StoredRegulation;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.eval.OrderMetrics;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.score.ImageInput;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.RegulationStore;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** gRPC edge of ordering: Sort, EvaluateOrder and regulation storage. */
@GrpcService
public class SortGrpcService extends ImageSortGrpc.ImageSortImplBase {

    @Inject
    PackRegistry packs;
    @Inject
    ScoringPipeline pipeline;
    @Inject
    SetSorter sorter;
    @Inject
    RegulationStore regulations;
    @Inject
    Quotas quotas;
    @Inject
    ApiConfig config;
    @Inject
    ScoreMetrics metrics;
    @Inject
    ExperimentVariants experiments;

    @Override
    @Blocking
    public void sort(SortRequest asked, StreamObserver<SortResponse> out) {
        answer("Sort", out, () -> {
            // A variant of a stored experiment stands for what it pins; the response names the version used.
            ExperimentVariants.Resolved variant = asked.getExperiment().isEmpty() ? null
                    : experiments.resolve(asked.getTenant(), asked.getExperiment(), asked.getExperimentVersion(), asked.getVariant());
            if (variant == null && (!asked.getExperimentVersion().isEmpty() || !asked.getVariant().isEmpty())) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "experiment_version or variant given without experiment");
            }
            SortRequest request = variant == null ? asked : experiments.forSort(asked, variant);
            if (request.getByRegulation().hasStored()) { // names before anything else
                var named = request.getByRegulation().getStored();
                TenantNames.tenant(named.getTenant());
                regulationName(named.getName());
                regulationVersion(named.getVersion());
            }
            if (request.getImagesCount() == 0) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the request has no images");
            }
            if (request.getImagesCount() > config.maxImagesPerRequest()) {
                throw new ImageScoreException(ErrorCode.TOO_MANY_IMAGES, "the request has " + request.getImagesCount()
                        + " images; at most " + config.maxImagesPerRequest() + " are allowed per Sort call");
            }
            ModelPack pack = packs.get(TenantNames.tenant(request.getTenant()), request.getPack());
            // A stored regulation is read once: the version reported is the version used.
            var ref = request.getByRegulation().getStored();
            RegulationStore.Stored stored = request.getByRegulation().hasStored()
                    ? regulations.get(TenantNames.tenantOrDefault(ref.getTenant()), ref.getName(), ref.getVersion()) : null;
            SortSpec spec = SortMessages.spec(request, stored);
            var mode = PreprocessModes.fromProto(request.getPreprocessModeValue());
            List<ImageInput> images = request.getImagesList().stream()
                    .map(i -> ImageInput.of(i.getId(), i.getData())).toList();
            SortResult result = sorter.sort(pack, images, spec, mode, ScoreGrpcService.deadline());
            Map<String, String> versions = new LinkedHashMap<>();
            ScoringPipeline.select(pack, spec.scoreNames()).forEach(s -> versions.put(s.name(), s.head().version()));
            SortResponse.Builder b = SortResponse.newBuilder().setPack(ScoreMessages.packRef(pack))
                    .setPreprocessingId(pipeline.preprocessingId(pack, mode));
            result.order().forEach(p -> b.addOrder(SortMessages.placed(p, versions)));
            result.findings().forEach(f -> b.addFindings(SortMessages.finding(f)));
            if (stored != null) {
                b.setRegulation(RegulationRef.newBuilder(ref).setVersion(stored.version()));
            }
            if (variant != null) {
                b.setExperiment(variant.ref());
            }
            return b.build();
        });
    }

    @Override
    @Blocking
    public void evaluateOrder(EvaluateOrderRequest request, StreamObserver<EvaluateOrderResponse> out) {
        answer("EvaluateOrder", out, () -> SortMessages.evaluation(OrderMetrics.evaluate(request.getPredictedList(),
                request.getGoldList(), request.getGoldGroupsList(), request.getK())));
    }

    @Override
    @Blocking
    public void putRegulation(PutRegulationRequest request, StreamObserver<StoredRegulation> out) {
        answer("PutRegulation", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            String name = regulationName(request.getName());
            if (!request.hasRegulation()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the request has no regulation");
            }
            var regulation = SortMessages.regulation(request.getRegulation()).validated();
            // Check the classes against the default pack's classifier now, so a typo fails at storage, not at sort time.
            ModelPack pack = packs.get(tenant, "");
            if (pack.heads().containsKey(io.imagescore.score.ScoreRef.parse(regulation.classifier()).name())) {
                var selections = ScoringPipeline.select(pack, new SortSpec(new SortSpec.ByRegulation(regulation), 0).scoreNames());
                Map<String, io.imagescore.head.ScoreSpec> specs = new LinkedHashMap<>();
                selections.forEach(s -> specs.put(s.name(), s.head().spec()));
                SetSorter.check(new SortSpec(new SortSpec.ByRegulation(regulation), 0), specs);
            }
            quotas.checkRegulation(tenant, name);
            return SortMessages.stored(regulations.put(tenant, name, regulation));
        });
    }

    @Override
    @Blocking
    public void getRegulation(GetRegulationRequest request, StreamObserver<StoredRegulation> out) {
        answer("GetRegulation", out, () -> SortMessages.stored(regulations.get(TenantNames.tenant(request.getTenant()),
                regulationName(request.getName()), regulationVersion(request.getVersion()))));
    }

    @Override
    @Blocking
    public void listRegulations(ListRegulationsRequest request, StreamObserver<ListRegulationsResponse> out) {
        answer("ListRegulations", out, () -> {
            ListRegulationsResponse.Builder b = ListRegulationsResponse.newBuilder();
            regulations.list(TenantNames.tenant(request.getTenant())).forEach(s -> b.addRegulations(SortMessages.summary(s)));
            return b.build();
        });
    }

    @Override
    @Blocking
    public void deleteRegulation(DeleteRegulationRequest request, StreamObserver<DeleteRegulationResponse> out) {
        answer("DeleteRegulation", out, () -> {
            String tenant = TenantNames.tenant(request.getTenant());
            String name = regulationName(request.getName());
            int n = regulations.delete(tenant, name);
            if (n == 0) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_REGULATION, "tenant '" + tenant + "' has no regulation '" + name + "'");
            }
            return DeleteRegulationResponse.newBuilder().setDeletedVersions(n).build();
        });
    }

    private static String regulationName(String name) {
        return TenantNames.check("regulation name", name);
    }

    /** Empty = the newest version. */
    private static String regulationVersion(String version) {
        return TenantNames.checkOptionalVersion("regulation version", version);
    }

    private <T> void answer(String rpc, StreamObserver<T> out, Supplier<T> work) {
        GrpcErrors.answer(metrics, rpc, out, work);
    }
}
