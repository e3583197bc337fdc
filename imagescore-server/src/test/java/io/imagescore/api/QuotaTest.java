package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.FitHeadRequest;
import io.imagescore.api.v1.FitKind;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.LabelledImage;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.DeleteRegulationRequest;
import io.imagescore.sort.RegulationStore;
import io.imagescore.tenant.TenantNames;
import jakarta.inject.Inject;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Small quotas: the call past each limit gets RESOURCE_EXHAUSTED / QUOTA_EXCEEDED with the limit in the metadata. */
@QuarkusTest
@TestProfile(QuotaTest.Small.class)
class QuotaTest {
    public static class Small implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                return Map.of("imagescore.data-dir", Files.createTempDirectory("imagescore-quota").toString(),
                        "imagescore.quotas.regulations", "2", "imagescore.quotas.regulation-versions", "2",
                        "imagescore.quotas.head-versions", "1",
                        "imagescore.quotas.bytes-stored", Integer.toString(BYTES));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    ManagedChannel channel;
    @Inject
    Quotas quotas;
    @Inject
    RegulationStore regulations;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static void assertQuota(Runnable call, String quota, int limit) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("expected QUOTA_EXCEEDED for " + quota).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("limited to " + limit);
        ErrorInfo info = StatusProto.fromThrowable(e).getDetailsList().stream().map(a -> {
            try {
                return a.unpack(ErrorInfo.class);
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).findFirst().orElseThrow();
        assertThat(info.getReason()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(info.getMetadataMap()).containsEntry("quota", quota).containsEntry("limit", Integer.toString(limit));
    }

    @Test
    void regulations_and_their_versions_stop_at_the_limit() {
        var sort = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        var reg = TenancyTest.ROOMS;
        sort.putRegulation(PutRegulationRequest.newBuilder().setName("r1").setRegulation(reg).build());
        sort.putRegulation(PutRegulationRequest.newBuilder().setName("r1").setRegulation(reg).build());
        assertQuota(() -> sort.putRegulation(PutRegulationRequest.newBuilder().setName("r1").setRegulation(reg).build()),
                "regulation_versions", 2);
        sort.putRegulation(PutRegulationRequest.newBuilder().setName("r2").setRegulation(reg).build());
        assertQuota(() -> sort.putRegulation(PutRegulationRequest.newBuilder().setName("r3").setRegulation(reg).build()),
                "regulations", 2);
        for (String name : List.of("r1", "r2")) {   // the other tests start below the regulation count
            sort.deleteRegulation(DeleteRegulationRequest.newBuilder().setName(name).build());
        }
    }

    @Test
    void regulations_count_towards_bytes_stored_and_are_refused_past_it() throws Exception {
        var sort = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        var fit = HeadFittingGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        String tenant = TenantNames.DEFAULT_TENANT;
        long before = quotas.bytesStored(tenant);
        sort.putRegulation(PutRegulationRequest.newBuilder().setName("bytes_reg").setRegulation(TenancyTest.ROOMS).build());
        byte[] json = RegulationStore.JSON.writeValueAsBytes(regulations.get(tenant, "bytes_reg", "").regulation());
        assertThat(quotas.bytesStored(tenant) - before).as("the regulation's stored bytes").isGreaterThanOrEqualTo(json.length);

        // fill the rest with fitted heads until the quota refuses one; then a regulation is refused too
        FitHeadRequest.Builder f = smallHead();
        List<String> fitted = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            try {
                fitted.add(fit.fitHead(f.setName("bytes_reg_" + i).build()).getName());
            } catch (StatusRuntimeException e) {
                break;
            }
        }
        assertThat(quotas.bytesStored(tenant)).isGreaterThanOrEqualTo(BYTES);
        assertQuota(() -> sort.putRegulation(PutRegulationRequest.newBuilder().setName("bytes_reg").setRegulation(TenancyTest.ROOMS).build()),
                "bytes_stored", BYTES);
        fitted.forEach(name -> fit.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName(name).build()));
        assertThat(sort.putRegulation(PutRegulationRequest.newBuilder().setName("bytes_reg").setRegulation(TenancyTest.ROOMS).build())
                .getVersion()).isEqualTo("2");
        sort.deleteRegulation(DeleteRegulationRequest.newBuilder().setName("bytes_reg").build());
        assertThat(quotas.bytesStored(tenant)).isEqualTo(before);
    }

    static FitHeadRequest.Builder smallHead() {
        FitHeadRequest.Builder f = FitHeadRequest.newBuilder().setKind(FitKind.FIT_KIND_REGRESSION).addViews("center").setFolds(2);
        for (int i = 0; i < 12; i++) {
            String file = "data/clive/images/10%02d.JPG".formatted(i);
            f.addImages(LabelledImage.newBuilder().setId(file).setData(ByteString.copyFrom(Shared.bytes(file))).setTarget(40 + 3 * i));
        }
        return f;
    }

    /** About three small regression heads (each ~10 KB of head.json and weights). */
    static final int BYTES = 24_000;

    @Test
    void fitted_heads_stop_at_the_bytes_stored_limit_and_deleting_frees_it() {
        var fit = HeadFittingGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        FitHeadRequest.Builder f = smallHead();
        java.util.List<String> fitted = new java.util.ArrayList<>();
        StatusRuntimeException refused = null;
        for (int i = 0; i < 10 && refused == null; i++) {
            try {
                fitted.add(fit.fitHead(f.setName("bytes_" + i).build()).getName());
            } catch (StatusRuntimeException e) {
                refused = e;
            }
        }
        assertThat(fitted).hasSizeBetween(1, 5);
        int n = fitted.size();
        assertQuota(() -> fit.fitHead(f.setName("bytes_" + n).build()), "bytes_stored", BYTES);
        fitted.forEach(name -> fit.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName(name).build()));
        assertThat(fit.fitHead(f.setName("bytes_after").build()).getVersion()).isEqualTo("1");
        fit.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("bytes_after").build());
    }

    @Test
    void a_fitted_head_stops_at_its_version_limit() {
        var fit = HeadFittingGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        FitHeadRequest.Builder f = smallHead().setName("quota_head");
        assertThat(fit.fitHead(f.build()).getVersion()).isEqualTo("1");
        assertQuota(() -> fit.fitHead(f.build()), "head_versions", 1);
    }
}
