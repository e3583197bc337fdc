package io.imagescore.health;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.config.LimitsConfig;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Graceful shutdown. On SIGTERM (Quarkus' ShutdownEvent, observed before any bean is destroyed): readiness and gRPC
 * health go NOT_SERVING, new calls get UNAVAILABLE / SHUTTING_DOWN with a retry hint ({@link DrainInterceptor}),
 * and shutdown waits up to {@code imagescore.limits.shutdown-grace} for the calls in flight to finish. Whatever is
 * still running then is stopped by the backend's close, which terminates its runs and frees the model sessions only
 * after the last one has returned.
 */
@ApplicationScoped
public class Drain {
    private static final Logger LOG = Logger.getLogger(Drain.class);

    @Inject
    LimitsConfig limits;
    @Inject
    GrpcHealthStorage grpcHealth;

    private volatile boolean draining;
    private int inFlight;

    public boolean draining() {
        return draining;
    }

    /** A call started; false (and not counted) when the server is draining. */
    synchronized boolean enter() {
        if (draining) {
            return false;
        }
        inFlight++;
        return true;
    }

    synchronized void exit() {
        inFlight--;
        notifyAll();
    }

    synchronized int inFlight() {
        return inFlight;
    }

    /** Serving again after a test drained the shared test server (never called in production). */
    void resume() {
        draining = false;
    }

    /**
     * The first step of Quarkus' shutdown (quarkus.shutdown.delay-enabled=true; fired synchronously before the delay
     * and before the HTTP server stops listening and closes its connections). Draining here keeps the port open
     * while the running calls finish: by {@link ShutdownEvent} time the Vert.x server has already stopped accepting
     * and sent GOAWAY, and it closes the connections after Netty's 30 s, cutting calls that run longer.
     */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        drain(limits.shutdownGrace());
    }

    /** Fallback when the delay phase did not run (e.g. Quarkus.asyncExit in tests): the grace is not waited twice. */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        if (!draining) {
            drain(limits.shutdownGrace());
        }
    }

    /** Stops admitting calls and waits up to {@code grace} for the running ones; true when all finished. */
    public boolean drain(Duration grace) {
        draining = true;
        grpcHealth.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, ServingStatus.NOT_SERVING);
        grpcHealth.setStatus(ImageScoreGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
        long end = System.nanoTime() + grace.toNanos();
        synchronized (this) {
            LOG.infof("draining: %d calls in flight, waiting up to %s", inFlight, grace);
            try {
                while (inFlight > 0) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        LOG.warnf("%d calls still running after the %s grace period; their model work is terminated",
                                inFlight, grace);
                        return false;
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        LOG.info("drained: no calls in flight");
        return true;
    }
}
