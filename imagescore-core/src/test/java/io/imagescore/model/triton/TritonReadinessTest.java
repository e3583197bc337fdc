package io.imagescore.model.triton;

import io.grpc.Status;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.imagescore.model.triton.TritonBackendTest.awaitReadiness;
import static io.imagescore.model.triton.TritonBackendTest.awaitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Readiness that recovers by itself (background prober), start-up before Triton, and abandoned calls counting against
 * the breaker. Every server here is started and killed by the test itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TritonReadinessTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    private TritonTestServer server(int port) {
        TritonTestServer s = TritonTestServer.start(port).addModel("mobilenet", TritonTestModels.MOBILENET, 8);
        closeables.add(s);
        return s;
    }

    private TritonBackend backend(String target, Duration openDuration) {
        TritonConfig c = TritonConfig.defaults(List.of(target))
                .withRetry(new TritonConfig.Retry(1, Duration.ofMillis(10), Duration.ofMillis(10), 1))
                .withBreaker(new TritonConfig.Breaker(4, 4, 50f, openDuration, 1));
        TritonBackend b = new TritonBackend(c, meters);
        closeables.add(b);
        return b;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Tensor> onePhoto() {
        return Map.of("input", TritonTestModels.roomPhotos(1));
    }

    private static CircuitBreaker.State breaker(TritonBackend b) throws Exception {
        var f = TritonBackend.class.getDeclaredField("endpoints");
        f.setAccessible(true);
        return ((List<?>) f.get(b)).stream().map(e -> ((TritonEndpoint) e).breaker.getState()).findFirst().orElseThrow();
    }

    @Test
    void killed_without_traffic_goes_unready_within_2s_and_restarted_ready_within_5s() {
        TritonTestServer server = server(0);
        TritonBackend b = backend(server.target(), Duration.ofSeconds(30));
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        assertThat(b.ready()).isTrue();

        server.kill();
        awaitReadiness(b, false, 2_000);
        assertThat(b.notReadyReason()).contains(server.target()).contains("UNAVAILABLE");

        server.serveAgain();
        awaitReady(b, 5_000);
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(10))).containsKey("features");
    }

    @Test
    void killed_under_load_the_open_breaker_is_closed_by_the_prober_without_any_call() throws Exception {
        TritonTestServer server = server(0);
        // an open duration far beyond the test: only the prober can close the breaker
        TritonBackend b = backend(server.target(), Duration.ofMinutes(10));
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        server.kill();
        for (int i = 0; i < 4; i++) {
            catchThrowableOfType(ImageScoreException.class,
                    () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(2)));
        }
        assertThat(breaker(b)).isEqualTo(CircuitBreaker.State.OPEN);
        awaitReadiness(b, false, 2_000);

        server.serveAgain();
        awaitReady(b, 5_000);
        assertThat(breaker(b)).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(10))).containsKey("features");
    }

    @Test
    void started_before_triton_loads_not_ready_and_gets_ready_within_5s_of_triton_starting() throws Exception {
        int port = freePort();
        TritonBackend b = backend("localhost:" + port, Duration.ofSeconds(10));
        b.load(TritonTestModels.mobilenet("mobilenet", 8)); // no exception: running, not ready, retrying
        assertThat(b.ready()).isFalse();
        assertThat(b.notReadyReason()).contains("localhost:" + port).contains("UNAVAILABLE");
        ImageScoreException early = catchThrowableOfType(ImageScoreException.class,
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(2)));
        assertThat(early.code()).isEqualTo(ErrorCode.MODEL_NOT_READY);

        Thread.sleep(1_000); // a few failed probes
        server(port);
        awaitReady(b, 5_000);
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(10))).containsKey("features");
    }

    @Test
    void a_mismatch_found_when_triton_appears_later_keeps_it_unready_with_the_precise_message() throws Exception {
        ModelSpec wrong = new ModelSpec("test/wrong", TritonTestModels.MOBILENET, "mobilenet", "",
                List.of(new TensorSpec("input", Tensor.DataType.FP32, List.of(-1L, 3L, 256L, 256L))),
                List.of(new TensorSpec("features", Tensor.DataType.FP32, List.of(-1L, 1280L))), 8);
        int port = freePort();
        TritonBackend b = backend("localhost:" + port, Duration.ofSeconds(10));
        b.load(wrong);
        server(port);
        String expected = "model test/wrong does not match Triton model 'mobilenet' at localhost:" + port
                + ": input 'input' has shape [-1, 3, 224, 224] on Triton, the pack declares [-1, 3, 256, 256]";
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!String.valueOf(b.notReadyReason()).equals(expected) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(b.notReadyReason()).isEqualTo(expected);
        assertThat(b.ready()).isFalse();
    }

    @Test
    void a_mismatch_at_start_up_still_stops_load_with_the_precise_message() {
        TritonTestServer server = server(0);
        ModelSpec wrong = new ModelSpec("test/wrong", TritonTestModels.MOBILENET, "mobilenet", "",
                List.of(new TensorSpec("input", Tensor.DataType.FP32, List.of(-1L, 3L, 256L, 256L))),
                List.of(new TensorSpec("features", Tensor.DataType.FP32, List.of(-1L, 1280L))), 8);
        ImageScoreException e = catchThrowableOfType(ImageScoreException.class,
                () -> backend(server.target(), Duration.ofSeconds(10)).load(wrong));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK);
        assertThat(e.getMessage()).isEqualTo("model test/wrong does not match Triton model 'mobilenet' at " + server.target()
                + ": input 'input' has shape [-1, 3, 224, 224] on Triton, the pack declares [-1, 3, 256, 256]");
    }

    @Test
    void calls_abandoned_by_their_callers_during_a_hang_count_against_the_breaker() throws Exception {
        TritonTestServer server = server(0);
        TritonBackend b = backend(server.target(), Duration.ofMinutes(10));
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        server.faults().hang(true);
        var f = TritonBackend.class.getDeclaredField("endpoints");
        f.setAccessible(true);
        CircuitBreaker cb = ((TritonEndpoint) ((List<?>) f.get(b)).getFirst()).breaker;
        // a caller waiting with a long deadline gives up (interrupted) after 300 ms
        Thread caller = Thread.ofPlatform().start(() -> catchThrowableOfType(ImageScoreException.class,
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(60))));
        Thread.sleep(300);
        caller.interrupt();
        caller.join(5_000);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (cb.getMetrics().getNumberOfFailedCalls() == 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(cb.getMetrics().getNumberOfFailedCalls()).as("abandoned call recorded as a failure").isEqualTo(1);
        server.faults().hang(false);
    }

    @Test
    void two_replicas_one_killed_under_load_every_call_succeeds_on_the_other_and_readiness_stays_up() throws Exception {
        TritonTestServer a = server(0);
        TritonTestServer b2 = server(0);
        // default retries (3 attempts): a call that hits the killed replica before the prober saw it down is retried
        // on the live one; an open duration far beyond the test, so only the prober brings the killed one back
        TritonBackend b = new TritonBackend(TritonConfig.defaults(List.of(a.target(), b2.target()))
                .withBreaker(new TritonConfig.Breaker(4, 4, 50f, Duration.ofMinutes(10), 1)), meters);
        closeables.add(b);
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        awaitReady(b, 5_000);

        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> unready = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().plusSeconds(10));
                        ok.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        threads.add(Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                String why = b.notReadyReason();
                if (why != null) {
                    unready.add(why);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (a.inferCalls() < 5 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(a.inferCalls()).as("replica a serves before it is killed").isGreaterThanOrEqualTo(5);
            a.kill();
            int okAtKill = ok.get();
            int onB = b2.inferCalls();
            Thread.sleep(1_500);
            assertThat(ok.get() - okAtKill).as("calls succeeding after the kill").isGreaterThan(5);
            assertThat(b2.inferCalls()).isGreaterThan(onB);

            a.serveAgain();
            int onA = a.inferCalls();
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (a.inferCalls() <= onA && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(a.inferCalls()).as("the restarted replica gets calls again within 5 s").isGreaterThan(onA);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(15_000);
            }
        }
        assertThat(failures).as("failed calls").isEmpty();
        assertThat(unready).as("readiness answers while one replica was up").isEmpty();
    }
}
