package io.imagescore.api;

import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ActivatePromptSetVersionRequest;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.DeletePromptSetVersionRequest;
import io.imagescore.api.v1.DeletePromptSetVersionResponse;
import io.imagescore.api.v1.GetPromptSetRequest;
import io.imagescore.api.v1.ListPromptSetsRequest;
import io.imagescore.api.v1.ListPromptSetsResponse;
import io.imagescore.api.v1.PromptSetSummary;
import io.imagescore.api.v1.PromptSetVersion;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;

import java.util.function.Supplier;

/** gRPC edge of prompt sets: create a version, get, list, activate, delete a version. */
@GrpcService
public class PromptSetsGrpcService extends PromptSetsGrpc.PromptSetsImplBase {

    @Inject
    PromptSetRegistry registry;
    @Inject
    Quotas quotas;
    @Inject
    ScoreMetrics metrics;
    @Inject
    Retention retention;

    @Override
    @Blocking
    public void createPromptSetVersion(CreatePromptSetVersionRequest request, StreamObserver<PromptSetVersion> out) {
        answer("CreatePromptSetVersion", out, () -> {
            String tenant = PromptSetMessages.tenant(request.getTenant());
            String name = PromptSetMessages.name(request.getName());
            if (!request.hasSpec()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the request has no spec");
            }
            quotas.checkPromptSet(tenant, name);
            PromptSetStore.StoredVersion v = registry.create(tenant, name,
                    PromptSetMessages.spec(request.getSpec()), request.getNotes(), request.getActivate());
            retention.prunePromptSet(tenant, name);
            return PromptSetMessages.version(v, registry.store().isActive(v));
        });
    }

    @Override
    @Blocking
    public void getPromptSet(GetPromptSetRequest request, StreamObserver<PromptSetVersion> out) {
        answer("GetPromptSet", out, () -> {
            PromptSetStore.StoredVersion v = registry.store().get(PromptSetMessages.tenant(request.getTenant()),
                    PromptSetMessages.name(request.getName()), PromptSetMessages.version(request.getVersion()));
            return PromptSetMessages.version(v, registry.store().isActive(v));
        });
    }

    @Override
    @Blocking
    public void listPromptSets(ListPromptSetsRequest request, StreamObserver<ListPromptSetsResponse> out) {
        answer("ListPromptSets", out, () -> {
            ListPromptSetsResponse.Builder b = ListPromptSetsResponse.newBuilder();
            // an empty tenant lists every tenant's sets
            for (PromptSetStore.Summary s : registry.store().list(TenantNames.checkOptional("tenant", request.getTenant()))) {
                b.addPromptSets(PromptSetSummary.newBuilder().setTenant(s.tenant()).setName(s.name())
                        .setActiveVersion(s.activeVersion()).addAllVersions(s.versions()));
            }
            return b.build();
        });
    }

    @Override
    @Blocking
    public void activatePromptSetVersion(ActivatePromptSetVersionRequest request, StreamObserver<PromptSetVersion> out) {
        answer("ActivatePromptSetVersion", out, () -> {
            PromptSetStore.StoredVersion v = registry.activate(PromptSetMessages.tenant(request.getTenant()),
                    PromptSetMessages.name(request.getName()), PromptSetMessages.version(request.getVersion()));
            return PromptSetMessages.version(v, true);
        });
    }

    @Override
    @Blocking
    public void deletePromptSetVersion(DeletePromptSetVersionRequest request, StreamObserver<DeletePromptSetVersionResponse> out) {
        answer("DeletePromptSetVersion", out, () -> {
            String tenant = PromptSetMessages.tenant(request.getTenant());
            String name = PromptSetMessages.name(request.getName());
            String version = PromptSetMessages.version(request.getVersion());
            retention.requireUnpinnedPromptSet(tenant, name, version);
            return DeletePromptSetVersionResponse.newBuilder()
                    .addAllVersions(registry.store().deleteVersion(tenant, name, version)).build();
        });
    }

    private <T> void answer(String rpc, StreamObserver<T> out, Supplier<T> work) {
        GrpcErrors.answer(metrics, rpc, out, work);
    }
}
