package io.imagescore.health;

import io.imagescore.model.ModelBackend;
import io.imagescore.pack.PackRegistry;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready = every pack loaded, the backend able to serve, and not draining for shutdown ({@link Drain}). Reports down with data; never throws. The same state is
 * published to gRPC health ({@code grpc.health.v1}, service "" and imagescore.v1.ImageScore) at start-up and on
 * every readiness probe, so gRPC-only clients see what HTTP probes see.
 */
@Readiness
@ApplicationScoped
public class PacksReadinessCheck implements HealthCheck {

    /** The services whose health gRPC reports (any other name is NOT_FOUND, see {@link HealthCheckNotFound}). */
    static final java.util.List<String> SERVICES = java.util.List.of(ImageScoreGrpc.SERVICE_NAME,
            io.imagescore.api.v1.ImageSortGrpc.SERVICE_NAME, io.imagescore.api.v1.HeadFittingGrpc.SERVICE_NAME,
            io.imagescore.api.v1.PromptSetsGrpc.SERVICE_NAME, io.imagescore.api.v1.LabelTuningGrpc.SERVICE_NAME);

    @Inject
    PackRegistry packs;
    @Inject
    ModelBackend backend;

    @Inject
    GrpcHealthStorage grpcHealth;
    @Inject
    Drain drain;

    void onStart(@Observes StartupEvent event) {
        call();
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("packs-and-backend").withData("backend", backend.kind());
        boolean ready;
        try {
            ready = packs.loaded() && backend.ready() && !drain.draining();
            if (drain.draining()) {
                b.withData("draining", true);
            }
            packs.all().forEach(p -> b.withData("pack." + p.name(), p.version() + " " + p.contentHash().substring(0, 12)));
        } catch (RuntimeException e) {
            ready = false;
            b.withData("error", String.valueOf(e.getMessage()));
        }
        var status = ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        grpcHealth.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
        for (String service : SERVICES) {
            grpcHealth.setStatus(service, status);
        }
        return b.status(ready).build();
    }
}
