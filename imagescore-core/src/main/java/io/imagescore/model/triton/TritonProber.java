package io.imagescore.model.triton;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.StatusRuntimeException;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.imagescore.model.triton.v2.ModelReadyRequest;
import io.imagescore.model.triton.v2.ServerReadyRequest;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.imagescore.model.triton.TritonErrors.tritonModel;

/**
 * One background prober per endpoint (a virtual thread): every {@link #INTERVAL} it asks ServerReady and ModelReady for
 * every pack model, validates a model the first time the endpoint can answer for it, and records the outcome on the
 * {@link TritonEndpoint} (what readiness reads). Because Kubernetes sends no calls to an unready pod, the prober, not a
 * call, brings an open breaker back: closed when the endpoint had failed a probe since the breaker opened (Triton was
 * down and is back), half-open after the open duration when Triton answered health probes all along (calls failed, so
 * trial calls decide).
 */
final class TritonProber implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TritonProber.class);
    static final Duration INTERVAL = Duration.ofMillis(500);

    /** What the prober needs from the backend's model table. */
    interface Models {
        Collection<ModelSpec> specs();

        /** The mismatch found for a model (then it is not probed again), or null. */
        String mismatch(String modelId);

        /** Records wire types found on {@code ep}; throws INVALID_PACK if they disagree with another endpoint's. */
        void validated(TritonEndpoint ep, ModelSpec spec, java.util.Map<String, String> wireTypes);

        void mismatched(ModelSpec spec, ImageScoreException e);
    }

    private final TritonConfig config;
    private final TritonModelValidator validator;
    private final Models models;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    TritonProber(TritonConfig config, TritonModelValidator validator, Models models) {
        this.config = config;
        this.validator = validator;
        this.models = models;
    }

    void start(List<TritonEndpoint> endpoints) {
        for (TritonEndpoint ep : endpoints) {
            threads.add(Thread.ofVirtual().name("triton-prober-" + ep.address).start(() -> loop(ep)));
        }
    }

    private void loop(TritonEndpoint ep) {
        while (!closed) {
            try {
                probe(ep);
            } catch (RuntimeException e) {
                LOG.warnf(e, "probing Triton at %s failed unexpectedly", ep.address);
            }
            try {
                Thread.sleep(INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One probe of {@code ep}; also called synchronously by {@code load} so readiness is known at once. */
    void probe(TritonEndpoint ep) {
        synchronized (ep) {
            if (closed) {
                return;
            }
            try {
                if (!stub(ep).serverReady(ServerReadyRequest.getDefaultInstance()).getReady()) {
                    down(ep, "Triton at " + ep.address + " is not ready (ServerReady = false)");
                    return;
                }
                Set<String> ready = new HashSet<>();
                List<String> problems = new ArrayList<>();
                for (ModelSpec spec : models.specs()) {
                    String problem = probeModel(ep, spec);
                    if (problem == null) {
                        ready.add(spec.id());
                    } else {
                        problems.add(problem);
                    }
                }
                ep.readyModels = Set.copyOf(ready);
                ep.serverOk = true;
                report(ep, problems.isEmpty() ? null : String.join("; ", problems));
                recoverBreaker(ep);
            } catch (StatusRuntimeException e) {
                if (closed) {
                    return;
                }
                down(ep, "Triton at " + ep.address + " does not answer: " + e.getStatus().getCode()
                        + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()));
            }
        }
    }

    /** Null when {@code spec} is validated and ready on {@code ep}, else why not. */
    private String probeModel(TritonEndpoint ep, ModelSpec spec) {
        String mismatch = models.mismatch(spec.id());
        if (mismatch != null) {
            return mismatch;
        }
        if (!ep.validated.contains(spec.id())) {
            try {
                models.validated(ep, spec, validator.validate(ep, spec));
                LOG.infof("%s at %s now matches model %s; serving it", tritonModel(spec), ep.address, spec.id());
            } catch (ImageScoreException e) {
                if (TritonModelValidator.isMismatch(e)) {
                    models.mismatched(spec, e);
                }
                return e.getMessage();
            }
        }
        ModelReadyRequest request = ModelReadyRequest.newBuilder().setName(spec.tritonName())
                .setVersion(spec.tritonVersion() == null ? "" : spec.tritonVersion()).build();
        return stub(ep).modelReady(request).getReady() ? null
                : tritonModel(spec) + " at " + ep.address + " is not ready (ModelReady = false)";
    }

    private GRPCInferenceServiceBlockingStub stub(TritonEndpoint ep) {
        return GRPCInferenceServiceGrpc.newBlockingStub(ep.nextChannel())
                .withDeadlineAfter(config.healthTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void down(TritonEndpoint ep, String why) {
        ep.serverOk = false;
        ep.readyModels = Set.of();
        ep.downSinceOpen = true;
        report(ep, why);
    }

    private static void report(TritonEndpoint ep, String problem) {
        if (Objects.equals(problem, ep.problem)) {
            return;
        }
        ep.problem = problem;
        if (problem == null) {
            LOG.infof("Triton at %s is ready", ep.address);
        } else {
            LOG.warnf("Triton at %s is not usable, probing every %d ms: %s", ep.address, INTERVAL.toMillis(), problem);
        }
    }

    private void recoverBreaker(TritonEndpoint ep) {
        CircuitBreaker.State state = ep.breaker.getState();
        if (state != CircuitBreaker.State.OPEN && state != CircuitBreaker.State.HALF_OPEN) {
            return;
        }
        if (ep.downSinceOpen) {
            ep.breaker.transitionToClosedState();
            LOG.infof("Triton at %s answers again: circuit breaker closed", ep.address);
        } else if (state == CircuitBreaker.State.OPEN
                && System.nanoTime() - ep.openedAtNanos >= config.breaker().openDuration().toNanos()) {
            ep.breaker.transitionToHalfOpenState();
            LOG.infof("Triton at %s answers health probes: circuit breaker half-open, trial calls decide", ep.address);
        }
    }

    @Override
    public void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
    }
}
