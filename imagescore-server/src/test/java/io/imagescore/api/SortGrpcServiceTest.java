package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.DeleteRegulationRequest;
import io.imagescore.api.v1.EvaluateOrderRequest;
import io.imagescore.api.v1.EvaluateOrderResponse;
import io.imagescore.api.v1.GetRegulationRequest;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.ListRegulationsRequest;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.Regulation;
import io.imagescore.api.v1.RegulationOrdering;
import io.imagescore.api.v1.RegulationRef;
import io.imagescore.api.v1.ScoreOrdering;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.api.v1.SortResponse;
import io.imagescore.api.v1.SortedImage;
import io.imagescore.api.v1.StoredRegulation;
import io.imagescore.api.v1.WeightedScore;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The ImageSort service over a real channel, on real photos, with the default pack's ImageNet classifier. */
@QuarkusTest
class SortGrpcServiceTest {

    static final Regulation ROOMS_BY_IMAGENET = Regulation.newBuilder().setClassifier("imagenet")
            .addAllClasses(List.of("refrigerator", "stove", "dining table", "four-poster", "bathtub"))
            .addRequiredClasses("dining table").build();

    ManagedChannel channel;
    ImageSortGrpc.ImageSortBlockingStub stub;
    String tenant = "test-" + UUID.randomUUID();

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        stub = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static ImageInput photo(String dir, int index) throws IOException {
        try (Stream<Path> s = Files.list(Shared.path(dir))) {
            Path f = s.sorted().toList().get(index);
            return ImageInput.newBuilder().setId(dir.substring(dir.lastIndexOf('/') + 1) + "-" + index)
                    .setData(ByteString.copyFrom(Files.readAllBytes(f))).build();
        }
    }

    static List<ImageInput> set() throws IOException {
        ImageInput bath = photo("data/rooms/eval/bathroom", 0);
        ImageInput bad = ImageInput.newBuilder().setId("truncated")
                .setData(ByteString.copyFrom(Arrays.copyOf(bath.getData().toByteArray(), 200))).build();
        return List.of(photo("data/rooms/eval/living_room", 0), bath, bad, photo("data/rooms/eval/kitchen", 0),
                photo("data/rooms/eval/bedroom", 0), bath.toBuilder().setId("bath-copy").build());
    }

    static StatusRuntimeException failure(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run);
    }

    static String reason(StatusRuntimeException e) throws Exception {
        for (var any : StatusProto.fromThrowable(e).getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                return any.unpack(ErrorInfo.class).getReason();
            }
        }
        return null;
    }

    @Test
    void sorts_real_photos_by_an_inline_regulation_with_reasons_and_findings() throws IOException {
        SortResponse r = stub.sort(SortRequest.newBuilder().addAllImages(set()).setDuplicateThreshold(0.98)
                .setByRegulation(RegulationOrdering.newBuilder().setInline(ROOMS_BY_IMAGENET)).build());
        assertThat(r.getPack().getName()).isEqualTo("mobilenetv2-default");
        assertThat(r.getOrderList()).extracting(SortedImage::getId)
                .containsExactlyInAnyOrder("living_room-0", "bathroom-0", "truncated", "kitchen-0", "bedroom-0", "bath-copy");
        assertThat(r.getOrderList()).extracting(SortedImage::getRank).containsExactly(0, 1, 2, 3, 4, 5);
        SortedImage last = r.getOrder(5);
        assertThat(last.getId()).isEqualTo("truncated");
        assertThat(last.getReasonsList()).containsExactly("IMAGE_ERROR");
        assertThat(last.getError().getCode()).isEqualTo("CORRUPT_IMAGE");
        SortedImage copy = r.getOrderList().stream().filter(i -> i.getId().equals("bath-copy")).findFirst().orElseThrow();
        assertThat(copy.getDuplicateOf()).isEqualTo("bathroom-0");
        assertThat(copy.getReasonsList()).containsExactly("NEAR_DUPLICATE");
        assertThat(r.getOrder(0).getReasonsList()).startsWith("HERO");
        SortedImage bath = r.getOrderList().stream().filter(i -> i.getId().equals("bathroom-0")).findFirst().orElseThrow();
        assertThat(bath.getOriginalPosition()).isEqualTo(1);
        assertThat(bath.getConfidence()).isBetween(0.0, 1.0);
        assertThat(r.getFindingsList()).extracting(f -> f.getCode()).contains("NEAR_DUPLICATES", "FAILED_IMAGES");
    }

    @Test
    void stored_regulations_are_versioned_per_tenant_and_sort_reports_the_version_used() throws IOException {
        StoredRegulation v1 = stub.putRegulation(PutRegulationRequest.newBuilder().setTenant(tenant).setName("listing")
                .setRegulation(ROOMS_BY_IMAGENET).build());
        StoredRegulation v2 = stub.putRegulation(PutRegulationRequest.newBuilder().setTenant(tenant).setName("listing")
                .setRegulation(ROOMS_BY_IMAGENET.toBuilder().setSlots(true).setMinConfidence(0.05)).build());
        assertThat(v1.getVersion()).isEqualTo("1");
        assertThat(v2.getVersion()).isEqualTo("2");
        assertThat(stub.getRegulation(GetRegulationRequest.newBuilder().setTenant(tenant).setName("listing").setVersion("1").build())
                .getRegulation()).isEqualTo(ROOMS_BY_IMAGENET.toBuilder()
                .setUnregulatedPlacement(io.imagescore.api.v1.UnregulatedPlacement.UNREGULATED_PLACEMENT_AFTER).build());
        assertThat(stub.listRegulations(ListRegulationsRequest.newBuilder().setTenant(tenant).build()).getRegulationsList())
                .singleElement().satisfies(s -> assertThat(s.getVersionsList()).containsExactly("1", "2"));

        SortResponse r = stub.sort(SortRequest.newBuilder().addAllImages(set())
                .setByRegulation(RegulationOrdering.newBuilder().setStored(RegulationRef.newBuilder().setTenant(tenant).setName("listing"))).build());
        assertThat(r.getRegulation().getVersion()).isEqualTo("2");
        // slots: no class holds two images
        assertThat(r.getOrderList().stream().filter(i -> i.getReasonsList().contains("SLOT_ASSIGNED")).map(SortedImage::getClassLabel))
                .doesNotHaveDuplicates();

        assertThat(stub.deleteRegulation(DeleteRegulationRequest.newBuilder().setTenant(tenant).setName("listing").build())
                .getDeletedVersions()).isEqualTo(2);

        // no tenant = "default", as for prompt sets
        String name = "listing-" + tenant;
        stub.putRegulation(PutRegulationRequest.newBuilder().setName(name).setRegulation(ROOMS_BY_IMAGENET).build());
        assertThat(stub.getRegulation(GetRegulationRequest.newBuilder().setTenant("default").setName(name).build()).getTenant())
                .isEqualTo("default");
        assertThat(stub.deleteRegulation(DeleteRegulationRequest.newBuilder().setName(name).build()).getDeletedVersions()).isEqualTo(1);
    }

    @Test
    void errors_have_statuses_and_reasons() throws Exception {
        List<ImageInput> images = set();
        var unknownClass = failure(() -> stub.sort(SortRequest.newBuilder().addAllImages(images).setByRegulation(RegulationOrdering
                .newBuilder().setInline(ROOMS_BY_IMAGENET.toBuilder().addClasses("garage"))).build()));
        assertThat(unknownClass.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(unknownClass.getStatus().getDescription()).contains("[garage]");
        assertThat(reason(unknownClass)).isEqualTo("INVALID_REQUEST");

        var missing = failure(() -> stub.sort(SortRequest.newBuilder().addAllImages(images).setByRegulation(RegulationOrdering
                .newBuilder().setStored(RegulationRef.newBuilder().setTenant(tenant).setName("nope"))).build()));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(reason(missing)).isEqualTo("UNKNOWN_REGULATION");

        var unknownScore = failure(() -> stub.sort(SortRequest.newBuilder().addAllImages(images)
                .setByScore(ScoreOrdering.newBuilder().addTerms(WeightedScore.newBuilder().setScore("sharpness"))).build()));
        assertThat(reason(unknownScore)).isEqualTo("UNKNOWN_SCORE");

        var noOrdering = failure(() -> stub.sort(SortRequest.newBuilder().addAllImages(images).build()));
        assertThat(reason(noOrdering)).isEqualTo("INVALID_REQUEST");

        var badStore = failure(() -> stub.putRegulation(PutRegulationRequest.newBuilder().setTenant(tenant).setName("x")
                .setRegulation(ROOMS_BY_IMAGENET.toBuilder().addClasses("garage")).build()));
        assertThat(reason(badStore)).isEqualTo("INVALID_REQUEST");
        assertThat(reason(failure(() -> stub.deleteRegulation(DeleteRegulationRequest.newBuilder().setTenant(tenant).setName("x").build()))))
                .isEqualTo("UNKNOWN_REGULATION");
    }

    @Test
    void evaluates_an_order_against_gold() throws Exception {
        EvaluateOrderResponse r = stub.evaluateOrder(EvaluateOrderRequest.newBuilder()
                .addAllPredicted(List.of("b", "a", "c", "d")).addAllGold(List.of("a", "b", "c", "d")).setK(2).build());
        assertThat(r.getManualMoves()).isEqualTo(1);
        assertThat(r.getMaxMoves()).isEqualTo(6);
        assertThat(r.getKendallTauB()).isCloseTo(4.0 / 6, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.getTop1Hit()).isFalse();
        assertThat(r.getK()).isEqualTo(2);
        var bad = failure(() -> stub.evaluateOrder(EvaluateOrderRequest.newBuilder().addPredicted("a").addGold("b").build()));
        assertThat(reason(bad)).isEqualTo("INVALID_REQUEST");
    }
}
