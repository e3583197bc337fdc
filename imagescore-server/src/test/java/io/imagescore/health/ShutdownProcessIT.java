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
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * SIGTERM against the packaged server ({@code target/quarkus-app/quarkus-run.jar}, a child JVM), as Kubernetes sends
 * it: a 64-image Score that is running when the signal comes must complete with 64 results; calls made after the
 * signal get UNAVAILABLE (SHUTTING_DOWN, or connection refused once the server has closed); readiness is not UP; the
 * process exits by itself with the JVM's SIGTERM status 143 (128 + 15: Quarkus runs its shutdown in the JVM's
 * shutdown hook, and a JVM ended by a signal reports 128 + the signal) and without a native crash (no hs_err_pid*.log,
 * no SIGSEGV in its output).
 *
 * <p>An integration test (maven-failsafe-plugin, {@code ./mvnw verify}): the jar exists only after {@code package}.
 * {@value #DEFAULT_ROUNDS} rounds by default; {@code -Dimagescore.shutdown.rounds=10} for more.
 */
@Tag("slow")
class ShutdownProcessIT {
    static final int DEFAULT_ROUNDS = 3;
    static final int EXIT_ON_SIGTERM = 143;
    static final int GRACE_S = 150;

    @TempDir
    Path tmp;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static Path repo() {
        return Shared.root();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

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

    record Server(Process process, Path dir, Path log, int port) {
        String output() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }
    }

    Server start(int round) throws Exception {
        Path jar = repo().resolve("imagescore-server/target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("run ./mvnw package (or verify) first").exists();
        Path dir = Files.createDirectories(tmp.resolve("round-" + round));
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector", "-Xss16m", "-Xmx1g",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dquarkus.http.port=" + port,
                "-Dimagescore.data-dir=" + dir.resolve("data"),
                "-Dimagescore.packs.shared-dir=" + Shared.dir(),
                "-Dimagescore.packs.dirs=" + repo().resolve("packs/mobilenetv2-default"),
                // longer than a 64-image Score can take on a slow shared CI machine (22 s seen): the test is about the
                // running call finishing, not about the grace period running out (then the call ends UNAVAILABLE)
                "-Dimagescore.limits.shutdown-grace=" + GRACE_S + "s",
                "-jar", jar.toString()));
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Server server = new Server(p, dir, log, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (readiness(server) != 200) {
            if (!p.isAlive()) {
                fail("server exited with %d before it was ready:\n%s", p.exitValue(), server.output());
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail("server not ready after 120 s:\n%s", server.output());
            }
            Thread.sleep(100);
        }
        return server;
    }

    /** HTTP status of /q/health/ready, or -1 when the connection is refused. */
    int readiness(Server server) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (ConnectException e) {
            return -1;
        } catch (IOException e) {
            return -2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -3;
        }
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
        Server server = start(round);
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
            int ready = readiness(server);
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
