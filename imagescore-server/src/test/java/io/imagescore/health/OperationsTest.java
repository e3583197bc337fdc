package io.imagescore.health;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Readiness over HTTP and gRPC health, Prometheus metrics per stage, and gRPC reflection on the unified port. */
@QuarkusTest
class OperationsTest {

    static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    static String get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void readiness_reports_the_loaded_pack_over_http_and_grpc() throws Exception {
        assertThat(get("/q/health/ready")).startsWith("200").contains("packs-and-backend").contains("mobilenetv2-default");
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port()).usePlaintext().build();
        try {
            for (String service : new String[] {"", "imagescore.v1.ImageScore"}) {
                HealthCheckResponse r = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService(service).build());
                assertThat(r.getStatus()).as("service '%s'", service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
            CompletableFuture<ServerReflectionResponse> reflected = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(ch).serverReflectionInfo(new StreamObserver<>() {
                public void onNext(ServerReflectionResponse v) {
                    reflected.complete(v);
                }

                public void onError(Throwable t) {
                    reflected.completeExceptionally(t);
                }

                public void onCompleted() {
                }
            });
            req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            assertThat(reflected.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
                    .anySatisfy(s -> assertThat(s.getName()).isEqualTo("imagescore.v1.ImageScore"));
            req.onCompleted();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void health_check_of_an_unknown_service_is_not_found_and_every_imagescore_service_is_known() {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port()).usePlaintext().build();
        try {
            var health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
            for (String unknown : new String[] {"no.such.Service", "imagescore.v1.ImageScor", "../x", "x".repeat(10240)}) {
                io.grpc.StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class,
                        () -> health.check(HealthCheckRequest.newBuilder().setService(unknown).build()));
                assertThat(e).as("service '%s'", unknown.length() > 40 ? unknown.substring(0, 40) : unknown).isNotNull();
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).startsWith("unknown service '").hasSizeLessThan(600);
            }
            for (String known : PacksReadinessCheck.SERVICES) {
                assertThat(health.check(HealthCheckRequest.newBuilder().setService(known).build()).getStatus()).as(known)
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
            assertThat(PacksReadinessCheck.SERVICES).contains("imagescore.v1.ImageSort", "imagescore.v1.PromptSets");
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void metrics_expose_stage_histograms_and_error_counts_after_scoring() throws Exception {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port()).usePlaintext().build();
        try {
            ImageScoreGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS).score(ScoreRequest.newBuilder()
                    .addImages(ImageInput.newBuilder().setId("a").setData(ByteString.copyFrom(Shared.bytes("data/clive/images/1005.JPG"))))
                    .addImages(ImageInput.newBuilder().setId("b")).build());
        } finally {
            ch.shutdownNow();
        }
        String metrics = get("/q/metrics");
        assertThat(metrics).startsWith("200");
        for (String stage : new String[] {"decode", "preprocess", "inference", "heads"}) {
            assertThat(metrics).contains("imagescore_stage_seconds_bucket{stage=\"" + stage + "\"");
        }
        assertThat(metrics).contains("imagescore_images_total").contains("imagescore_image_errors_total{code=\"EMPTY_IMAGE\"}")
                .contains("imagescore_requests_total{outcome=\"ok\",rpc=\"Score\"}");
    }
}
