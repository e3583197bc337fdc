package io.imagescore.health;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.testing.ServerProcess;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM against the packaged server ({@code target/quarkus-app/quarkus-run.jar}, a child JVM), as Kubernetes sends
 * it: a 64-image Score that is running when the signal comes must complete with 64 results; calls made after the
 * signal get UNAVAILABLE (SHUTTING_DOWN, or connection refused once the server has closed); readiness is not UP; the
 * process exits by itself with the JVM's SIGTERM status 143 (128 + 15: Quarkus runs its shutdown in the JVM's
 * shutdown hook, and a JVM ended by a signal reports 128 + the signal) and without a native crash (no hs_err_pid*.log,
 * no SIGSEGV in its output).
 *
 * <p>An integration test (maven-failsafe-plugin, {@code ./mvnw verify}): the jar exists only after {@code package}.
 * {@value #DEFAULT_ROUNDS} rounds by default, as the overload issue asks ({@code -Dimagescore.shutdown.rounds=N}).
 */
@Tag("slow")
class ShutdownProcessIT {
    static final int DEFAULT_ROUNDS = 10;
    static final int EXIT_ON_SIGTERM = 143;
    static final int GRACE_S = 150;

    @TempDir
    Path tmp;

    static ScoreRequest photos(int n) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Shared.path("data/clive/images"))) {
            files = s.sorted().limit(n).toList();
        }
        ScoreRequest.Builder b = ScoreRequest.newBuilder();
        for (int i = 0; i < n; i++) {
            b.addImages(ImageInput.newBuilder().setId("p" + i).setData(ByteString.copyFrom(Files.readAllBytes(files.get(i % files.size())))));
        }
        return b.build();
    }

    ServerProcess start(int round) throws Exception {
        // a grace longer than a 64-image Score can take on a slow shared CI machine (22 s seen): the test is about the
        // running call finishing, not about the grace period running out (then the call ends UNAVAILABLE)
        // the score store off: the warm-up and the measured call score the same photos, and the store would answer the
        // second from memory before SIGTERM could reach a running call
        return ServerProcess.start(tmp.resolve("round-" + round), Map.of("imagescore.limits.shutdown-grace", GRACE_S + "s",
                "imagescore.score-store.max-bytes", "0"));
    }

    @Test
    void sigterm_lets_the_running_score_finish_refuses_new_calls_and_exits_cleanly() throws Exception {
        int rounds = Integer.getInteger("imagescore.shutdown.rounds", DEFAULT_ROUNDS);
        ScoreRequest big = photos(64);
        ScoreRequest one = photos(1);
        for (int round = 1; round <= rounds; round++) {
            round(round, big, one);
        }
    }

    void round(int round, ScoreRequest big, ScoreRequest one) throws Exception {
        ServerProcess server = start(round);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        try {
            ImageScoreGrpc.ImageScoreBlockingStub stub = ImageScoreGrpc.newBlockingStub(channel);
            // warm-up (the first call loads and JITs); the Score under test starts the same way and, being warm, runs
            // at least a quarter of this time, so the signal comes while it runs (asserted twice below)
            long t0 = System.nanoTime();
            stub.withDeadlineAfter(120, TimeUnit.SECONDS).score(big);
            long warmMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            CompletableFuture<ScoreResponse> running = CompletableFuture.supplyAsync(
                    () -> stub.withDeadlineAfter(120, TimeUnit.SECONDS).score(big));
            Thread.sleep(Math.max(20, warmMs / 4));
            assertThat(running).as("round %d: the Score (warm: %d ms) still runs when SIGTERM is sent", round, warmMs).isNotDone();
            server.process().destroy(); // SIGTERM

            long waited = System.nanoTime();
            while (!server.output().contains("draining:") && server.process().isAlive()
                    && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(5);
            }
            assertThat(server.output()).as("round %d: the server logged the drain", round).contains("draining:");

            // a call after the signal: refused with UNAVAILABLE / SHUTTING_DOWN, or the connection is already refused
            int ready = server.readiness();
            assertThat(ready).as("round %d: readiness after SIGTERM (503 = DOWN, <0 = closed)", round).isNotEqualTo(200);
            String refusal;
            try {
                stub.withDeadlineAfter(10, TimeUnit.SECONDS).score(one);
                throw new AssertionError("round " + round + ": a Score after SIGTERM succeeded");
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as("round %d: %s", round, e.getStatus()).isEqualTo(Status.Code.UNAVAILABLE);
                com.google.rpc.Status details = StatusProto.fromThrowable(e);
                if (details != null && details.getDetailsCount() > 0) {
                    refusal = details.getDetails(0).unpack(ErrorInfo.class).getReason();
                    assertThat(refusal).isEqualTo("SHUTTING_DOWN");
                } else {
                    refusal = "UNAVAILABLE: " + e.getStatus().getDescription()
                            + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
                }
            }
            assertThat(running).as("round %d: the Score still ran when the later call was refused", round).isNotDone();

            ScoreResponse response;
            try {
                response = running.get(GRACE_S + 10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("round " + round + ": the running Score failed: " + e.getCause() + "\n" + server.output(), e);
            }
            assertThat(response.getResultsCount()).isEqualTo(64);
            assertThat(server.output()).as("round %d: the Score was in flight at the signal", round)
                    .contains("draining: 1 calls in flight");

            assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("round %d: exited", round).isTrue();
            int exit = server.process().exitValue();
            String out = server.output();
            try (Stream<Path> s = Files.list(server.dir())) {
                assertThat(s.map(f -> f.getFileName().toString())).as("round %d: no JVM crash file", round)
                        .noneMatch(f -> f.startsWith("hs_err_pid"));
            }
            assertThat(out).as("round %d: no native crash", round).doesNotContain("SIGSEGV")
                    .doesNotContain("A fatal error has been detected");
            assertThat(exit).as("round %d: exit status; output:\n%s", round, out).isEqualTo(EXIT_ON_SIGTERM);
            System.out.printf("ShutdownProcessIT round %d: first Score %d ms, SIGTERM after %d ms, readiness after SIGTERM %d,"
                    + " later call: %s, exit %d%n", round, warmMs, Math.max(20, warmMs / 4), ready, refusal, exit);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            if (server.process().isAlive()) {
                server.process().destroyForcibly();
            }
        }
    }
}
