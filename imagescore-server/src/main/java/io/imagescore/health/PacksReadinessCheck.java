package io.imagescore.health;

import io.imagescore.api.v1.ImageScoreGrpc;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready = every pack loaded, the backend able to serve, and not draining for shutdown ({@link Drain}). Reports down with
 * data (with the reason); never throws. Reads {@link ReadinessState}, which also publishes the same state to gRPC
 * health ({@code grpc.health.v1}, service "" and the imagescore services) whenever it changes.
 */
@Readiness
@ApplicationScoped
public class PacksReadinessCheck implements HealthCheck {

    /** The services whose health gRPC reports (any other name is NOT_FOUND, see {@link HealthCheckNotFound}). */
    static final java.util.List<String> SERVICES = java.util.List.of(ImageScoreGrpc.SERVICE_NAME,
            io.imagescore.api.v1.ImageSortGrpc.SERVICE_NAME, io.imagescore.api.v1.HeadFittingGrpc.SERVICE_NAME,
            io.imagescore.api.v1.PromptSetsGrpc.SERVICE_NAME, io.imagescore.api.v1.LabelTuningGrpc.SERVICE_NAME);

    @Inject
    ReadinessState state;
    @Inject
    Drain drain;

    /** The state as the background refresher last saw it: a probe never calls Triton and never changes gRPC health. */
    @Override
    public HealthCheckResponse call() {
        ReadinessState.Snapshot snapshot = state.current();
        var b = HealthCheckResponse.named("packs-and-backend");
        // draining is read live as well: the snapshot may be up to one refresh interval old
        boolean draining = drain.draining();
        if (draining && !snapshot.data().containsKey("draining")) {
            b.withData("draining", true);
        }
        snapshot.data().forEach((k, v) -> {
            if (v instanceof Boolean bool) {
                b.withData(k, bool);
            } else {
                b.withData(k, String.valueOf(v));
            }
        });
        return b.status(snapshot.ready() && !draining).build();
    }
}
