package io.imagescore.health;

import io.imagescore.model.ModelBackend;
import io.imagescore.pack.PackRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready = every pack loaded and the backend able to serve. Reports down with data; never throws. */
@Readiness
@ApplicationScoped
public class PacksReadinessCheck implements HealthCheck {

    @Inject
    PackRegistry packs;
    @Inject
    ModelBackend backend;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("packs-and-backend").withData("backend", backend.kind());
        try {
            boolean ready = packs.loaded() && backend.ready();
            packs.all().forEach(p -> b.withData("pack." + p.name(), p.version() + " " + p.contentHash().substring(0, 12)));
            return b.status(ready).build();
        } catch (RuntimeException e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
