package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.testing.Shared;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole service started before its KServe-v2 server: it comes up not ready (no exit), gets ready when Triton
 * starts, and HTTP readiness and grpc.health.v1 each follow Triton being killed and restarted on their own, without
 * the other being probed and without any inference traffic.
 */
@QuarkusTest
@TestProfile(TritonReadinessQuarkusTest.LateTritonProfile.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TritonReadinessQuarkusTest {

    /** Points the service at a free port where no server runs yet. */
    public static class LateTriton implements QuarkusTestResourceLifecycleManager {
        static volatile int port;

        @Override
        public Map<String, String> start() {
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("imagescore.backend.kind", "triton", "imagescore.backend.triton.endpoints", "localhost:" + port);
        }

        @Override
        public void stop() {
        }
    }

    public static class LateTritonProfile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(LateTriton.class));
        }
    }

    private static int httpPort() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    private static String ready() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + httpPort() + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ServingStatus grpcHealth(ManagedChannel ch, String service) {
        return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    /** Polls {@code probe} every 50 ms until it gives a value satisfying {@code ok}; returns the last value. */
    private static <T> T await(long millis, Supplier<T> probe, java.util.function.Predicate<T> ok) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        T last = probe.get();
        while (!ok.test(last) && System.nanoTime() < until) {
            Thread.sleep(50);
            last = probe.get();
        }
        return last;
    }

    @Test
    void starts_before_triton_and_both_health_protocols_follow_triton_on_their_own() throws Exception {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", httpPort()).usePlaintext().build();
        TritonTestServer triton = null;
        try {
            // running, not ready, with the reason
            assertThat(grpcHealth(ch, "")).isEqualTo(ServingStatus.NOT_SERVING);
            String early = ready();
            assertThat(early).startsWith("503").contains("localhost:" + LateTriton.port).contains("UNAVAILABLE");

            triton = TritonTestServer.start(LateTriton.port).addDefaultPackModels();
            // gRPC health alone
            assertThat(await(5_000, () -> grpcHealth(ch, ""), s -> s == ServingStatus.SERVING)).isEqualTo(ServingStatus.SERVING);
            assertThat(grpcHealth(ch, "imagescore.v1.ImageScore")).isEqualTo(ServingStatus.SERVING);
            assertThat(ready()).startsWith("200");

            // killed, only gRPC health polled: NOT_SERVING within 2 s; restarted: SERVING within 5 s
            triton.kill();
            assertThat(await(2_000, () -> grpcHealth(ch, ""), s -> s == ServingStatus.NOT_SERVING)).isEqualTo(ServingStatus.NOT_SERVING);
            triton.serveAgain();
            assertThat(await(5_000, () -> grpcHealth(ch, ""), s -> s == ServingStatus.SERVING)).isEqualTo(ServingStatus.SERVING);

            // killed, only HTTP polled: 503 within 2 s; restarted: 200 within 5 s
            triton.kill();
            assertThat(await(2_000, TritonReadinessQuarkusTest::ready, r -> r.startsWith("503"))).startsWith("503")
                    .contains("UNAVAILABLE");
            triton.serveAgain();
            assertThat(await(5_000, TritonReadinessQuarkusTest::ready, r -> r.startsWith("200"))).startsWith("200");
            assertThat(grpcHealth(ch, "")).isEqualTo(ServingStatus.SERVING);
        } finally {
            ch.shutdownNow();
            if (triton != null) {
                triton.close();
            }
        }
    }
}
