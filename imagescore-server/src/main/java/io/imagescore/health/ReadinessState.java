package io.imagescore.health;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.imagescore.model.ModelBackend;
import io.imagescore.pack.PackRegistry;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one readiness state that HTTP {@code /q/health/ready} ({@link PacksReadinessCheck}) and gRPC health
 * ({@code grpc.health.v1}, service "" and every imagescore service) both report. A background virtual thread
 * re-evaluates it every {@link #INTERVAL_MS} ms from cheap in-memory state (packs loaded, the backend's last probe
 * results, drain) and publishes every change to gRPC health, so a gRPC-only prober sees a change without any HTTP probe.
 */
@ApplicationScoped
public class ReadinessState {
    private static final Logger LOG = Logger.getLogger(ReadinessState.class);
    static final long INTERVAL_MS = 100;

    /** {@code data}: what the HTTP check reports (backend, packs, and why not ready). */
    public record Snapshot(boolean ready, Map<String, Object> data) {
    }

    @Inject
    PackRegistry packs;
    @Inject
    ModelBackend backend;
    @Inject
    Drain drain;
    @Inject
    GrpcHealthStorage grpcHealth;

    private volatile Snapshot current = new Snapshot(false, Map.of("reason", "starting"));
    private volatile ServingStatus published;
    private volatile Thread refresher;

    // waits for the @Startup PackRegistry's background load (its error stops the start, before the port opens), so the
    // first published state is already the real one
    void onStart(@Observes @jakarta.annotation.Priority(jakarta.interceptor.Interceptor.Priority.LIBRARY_AFTER + 1000) StartupEvent event) {
        packs.awaitLoaded();
        refresh();
        refresher = Thread.ofVirtual().name("readiness-refresher").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(INTERVAL_MS);
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    refresh();
                } catch (RuntimeException e) {
                    LOG.warn("readiness refresh failed", e);
                }
            }
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        Thread t = refresher;
        if (t != null) {
            t.interrupt();
        }
    }

    public Snapshot current() {
        return current;
    }

    /** Re-evaluates readiness and publishes it to gRPC health when the serving status changed. */
    public synchronized Snapshot refresh() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("backend", backend.kind());
        boolean ready;
        String reason = null;
        try {
            boolean draining = drain.draining();
            String backendReason = backend.notReadyReason();
            if (!packs.loaded()) {
                reason = "packs not loaded yet";
            } else if (backendReason != null) {
                reason = backendReason;
            } else if (draining) {
                reason = "draining for shutdown";
            }
            if (draining) {
                data.put("draining", true);
            }
            packs.builtInPacks().forEach(p -> data.put("pack." + p.name(), p.version() + " " + p.contentHash().substring(0, 12)));
        } catch (RuntimeException e) {
            reason = "error: " + e.getMessage();
            data.put("error", String.valueOf(e.getMessage()));
        }
        ready = reason == null;
        if (reason != null) {
            data.put("reason", reason);
        }
        Snapshot previous = current;
        current = new Snapshot(ready, Map.copyOf(data));
        ServingStatus status = ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        // compared with the storage, not a cached value: Drain also writes NOT_SERVING there directly
        if (status != published || status != grpcHealth.getStatuses().get(GrpcHealthStorage.DEFAULT_SERVICE_NAME)
                || PacksReadinessCheck.SERVICES.stream().anyMatch(sv -> status != grpcHealth.getStatuses().get(sv))) {
            boolean changed = status != published;
            grpcHealth.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, status);
            for (String service : PacksReadinessCheck.SERVICES) {
                grpcHealth.setStatus(service, status);
            }
            published = status;
            if (!changed) {
                // only re-asserted what Drain overwrote
            } else if (ready) {
                LOG.info("ready: serving");
            } else {
                LOG.warnf("not ready: %s", reason);
            }
        } else if (!ready && !reason.equals(previous.data().get("reason"))) {
            LOG.warnf("not ready: %s", reason);
        }
        return current;
    }
}
