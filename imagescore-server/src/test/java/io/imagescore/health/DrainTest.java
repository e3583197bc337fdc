package io.imagescore.health;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
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
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Through the real server: draining (what SIGTERM starts) turns readiness down and refuses new calls with
 * UNAVAILABLE / SHUTTING_DOWN + retry_after_ms while a running Score finishes; a cancelled Score stops its work
 * (the server counts it CANCELLED, so the gRPC context reaches the pipeline on the worker thread).
 */
@QuarkusTest
class DrainTest {
    @Inject
    Drain drain;
    @Inject
    @org.eclipse.microprofile.health.Readiness
    PacksReadinessCheck readiness;
    @Inject
    MeterRegistry meters;

    ManagedChannel channel;
    ImageScoreGrpc.ImageScoreBlockingStub stub;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        stub = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        drain.resume();
        readiness.call();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static ScoreRequest photos(int n) throws Exception {
        ScoreRequest.Builder b = ScoreRequest.newBuilder();
        List<Path> files;
        try (Stream<Path> s = Files.list(Shared.path("data/rooms/eval/kitchen"))) {
            files = s.sorted().toList();
        }
        for (int i = 0; i < n; i++) {
            b.addImages(ImageInput.newBuilder().setId("p" + i).setData(ByteString.copyFrom(Files.readAllBytes(files.get(i % files.size())))));
        }
        return b.build();
    }

    @Test
    void draining_refuses_new_calls_unavailable_with_a_retry_hint_and_lets_running_ones_finish() throws Exception {
        ScoreRequest request = photos(64);
        CompletableFuture<ScoreResponse> running = CompletableFuture.supplyAsync(() -> stub.score(request));
        long waited = System.nanoTime();
        while (drain.inFlight() == 0 && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(10)) {
            Thread.sleep(2);
        }
        assertThat(drain.inFlight()).isEqualTo(1);
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> drain.drain(Duration.ofSeconds(30)));
        while (!drain.draining()) {
            Thread.sleep(1);
        }
        assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> stub.score(request));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        ErrorInfo info = StatusProto.fromThrowable(refused).getDetails(0).unpack(ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("SHUTTING_DOWN");
        assertThat(info.getMetadataMap()).containsKey("retry_after_ms");

        assertThat(running.get(30, TimeUnit.SECONDS).getResultsCount()).isEqualTo(64);
        assertThat(drained.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(drain.inFlight()).isZero();
    }

    @Test
    void a_cancelled_score_is_stopped_on_the_server() throws Exception {
        ScoreRequest request = photos(64);
        double before = cancelledCount();
        double imagesBefore = images();
        Context.CancellableContext call = Context.current().withCancellation();
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        call.run(() -> CompletableFuture.runAsync(Context.current().wrap(() -> {
            try {
                stub.score(request);
                result.complete(null);
            } catch (Throwable t) {
                result.complete(t);
            }
        })));
        long started = System.nanoTime();
        while (images() == imagesBefore && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10)) {
            Thread.sleep(1); // until the server is working on this call
        }
        Thread.sleep(100);
        call.cancel(null);
        assertThat(result.get(5, TimeUnit.SECONDS)).isInstanceOf(StatusRuntimeException.class);
        long waited = System.nanoTime();
        while (cancelledCount() == before && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(10);
        }
        assertThat(cancelledCount()).as("the server saw the cancellation and stopped; outcomes: %s",
                meters.find("imagescore.requests").tag("rpc", "Score").counters().stream()
                        .map(c -> c.getId().getTag("outcome") + "=" + c.count()).toList() + " inflight " + drain.inFlight()
                        + " " + stacks()).isGreaterThan(before);
        waited = System.nanoTime();
        while (drain.inFlight() > 0 && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(10);
        }
        assertThat(drain.inFlight()).isZero();
    }

    static String stacks() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
            if (java.util.Arrays.stream(st).anyMatch(f -> f.getClassName().startsWith("io.imagescore")
                    && !f.getClassName().contains("DrainTest"))) {
                b.append("\n").append(t.getName());
                java.util.Arrays.stream(st).limit(25).forEach(f -> b.append("\n  ").append(f));
            }
        });
        return b.toString();
    }

    double images() {
        return meters.find("imagescore.images").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    double cancelledCount() {
        var c = meters.find("imagescore.requests").tag("rpc", "Score").tag("outcome", "CANCELLED").counter();
        return c == null ? 0 : c.count();
    }
}
