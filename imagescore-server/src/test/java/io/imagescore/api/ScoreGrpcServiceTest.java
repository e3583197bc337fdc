package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.ClassDistribution;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.DescribePacksResponse;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageScores;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreKind;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

@QuarkusTest
class ScoreGrpcServiceTest {

    static final String SHOE = "data/clothing/validation/shoes/";
    ManagedChannel channel;
    ImageScoreGrpc.ImageScoreBlockingStub stub;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        stub = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static ImageInput image(String id, byte[] data) {
        return ImageInput.newBuilder().setId(id).setData(ByteString.copyFrom(data)).build();
    }

    static ImageInput photo(String relative) {
        return image(relative, Shared.bytes(relative));
    }

    static List<String> topLabels(ImageResult r, int k) {
        ClassDistribution d = r.getScores().getClassesList().stream().filter(c -> c.getName().equals("imagenet")).findFirst().orElseThrow();
        return d.getTopList().stream().limit(k).map(c -> c.getLabel()).toList();
    }

    @Test
    void scores_real_photos_and_reports_bad_images_per_image() {
        byte[] jpeg = Shared.bytes("data/clive/images/1000.JPG");
        ScoreResponse r = stub.score(ScoreRequest.newBuilder()
                .addImages(photo("data/rooms/eval/bathroom/" + first("data/rooms/eval/bathroom")))
                .addImages(image("truncated", Arrays.copyOf(jpeg, 300)))
                .addImages(photo("data/clive/images/1000.JPG"))
                .addImages(image("text", "this is not an image, just text".getBytes(StandardCharsets.UTF_8)))
                .addImages(image("empty", new byte[0]))
                .setOptions(ScoreOptions.newBuilder().setIncludeEmbedding(true).addScores("imagenet").addScores("room_type")
                        .addScores("apparel"))
                .build());

        assertThat(r.getResultsList()).extracting(ImageResult::getId).containsExactly(
                "data/rooms/eval/bathroom/" + first("data/rooms/eval/bathroom"), "truncated", "data/clive/images/1000.JPG", "text", "empty");
        ImageResult bathroom = r.getResults(0);
        assertThat(bathroom.hasScores()).isTrue();
        assertThat(bathroom.getScores().getEmbeddingCount()).isEqualTo(1280);
        System.out.println("bathroom top-5: " + topLabels(bathroom, 5));
        // out-of-domain detection travels on ClassDistribution: set for the calibrated room_type head, not for imagenet
        java.util.Map<String, ClassDistribution> byName = new java.util.HashMap<>();
        bathroom.getScores().getClassesList().forEach(c -> byName.put(c.getName(), c));
        assertThat(byName.get("room_type").getOodCalibrated()).isTrue();
        assertThat(byName.get("room_type").getInDomain()).isBetween(0.05, 1.0);
        assertThat(byName.get("apparel").getOodCalibrated()).isTrue();
        assertThat(byName.get("apparel").getInDomain()).isLessThan(0.05); // a bathroom is no product photo
        assertThat(byName.get("imagenet").getOodCalibrated()).isFalse();
        assertThat(byName.get("imagenet").getInDomain()).isEqualTo(0.0);
        assertThat(r.getResults(2).hasScores()).isTrue();
        assertThat(r.getResults(2).getScores().getEmbeddingCount()).isEqualTo(1280);
        assertThat(r.getResults(1).getError().getCode()).isEqualTo("CORRUPT_IMAGE");
        assertThat(r.getResults(3).getError().getCode()).isEqualTo("UNSUPPORTED_FORMAT");
        assertThat(r.getResults(4).getError().getCode()).isEqualTo("EMPTY_IMAGE");
        assertThat(r.getResults(4).getError().getMessage()).isNotBlank();
        assertThat(r.getPack().getName()).isEqualTo("mobilenetv2-default");
        assertThat(r.getPack().getContentHash()).hasSize(64);
        assertThat(r.getPreprocessingId()).isNotBlank();
    }

    @Test
    void a_request_naming_no_score_gets_the_packs_default_set_and_the_same_values_as_naming_them() {
        ImageInput kitchen = photo("data/rooms/eval/kitchen/Places365_val_00000266.jpg");
        ImageScores byDefault = stub.score(ScoreRequest.newBuilder().addImages(kitchen).build()).getResults(0).getScores();
        assertThat(byDefault.getScoresList()).extracting(NamedScore::getName).containsExactly("quality_fast");
        assertThat(byDefault.getClassesList()).extracting(ClassDistribution::getName).containsExactly("imagenet");
        ImageScores named = stub.score(ScoreRequest.newBuilder().addImages(kitchen)
                .setOptions(ScoreOptions.newBuilder().addScores("imagenet").addScores("quality_fast")).build()).getResults(0).getScores();
        assertThat(byDefault).isEqualTo(named);
    }

    static String first(String dir) {
        try (var s = java.nio.file.Files.list(Shared.path(dir))) {
            return s.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertStatus(Runnable call, Status.Code code, String reason, String messagePart) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("expected %s", code).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(code);
        assertThat(e.getStatus().getDescription()).contains(messagePart);
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        assertThat(details).isNotNull();
        assertThat(details.getDetailsList()).anySatisfy(any -> {
            try {
                assertThat(any.unpack(ErrorInfo.class).getReason()).isEqualTo(reason);
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        });
    }

    @Test
    void bad_requests_get_precise_statuses() {
        ImageInput one = photo("data/clive/images/1000.JPG");
        ScoreRequest.Builder tooMany = ScoreRequest.newBuilder();
        for (int i = 0; i < 65; i++) {
            tooMany.addImages(image("i" + i, new byte[] {1}));
        }
        assertStatus(() -> stub.score(tooMany.build()), Status.Code.INVALID_ARGUMENT, "TOO_MANY_IMAGES", "at most 64");
        assertStatus(() -> stub.score(ScoreRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "no images");
        assertStatus(() -> stub.score(ScoreRequest.newBuilder().addImages(one)
                        .setOptions(ScoreOptions.newBuilder().setPack("no-such-pack")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PACK", "mobilenetv2-default");
        assertStatus(() -> stub.score(ScoreRequest.newBuilder().addImages(one)
                        .setOptions(ScoreOptions.newBuilder().addScores("beauty")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "imagenet");
        assertStatus(() -> stub.score(ScoreRequest.newBuilder().addImages(one)
                        .setOptions(ScoreOptions.newBuilder().addScores("imagenet@99")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_HEAD_VERSION", "versions");
    }

    @Test
    void same_image_twice_gives_bit_identical_scores() {
        ImageInput a = photo("data/clive/images/1001.JPG");
        ScoreResponse first = stub.score(ScoreRequest.newBuilder().addImages(a)
                .setOptions(ScoreOptions.newBuilder().setIncludeEmbedding(true)).build());
        // Again, inside a larger batch at another position: batch composition must not change a bit.
        ScoreResponse second = stub.score(ScoreRequest.newBuilder().addImages(photo("data/clive/images/1002.JPG"))
                .addImages(photo("data/clive/images/1003.JPG")).addImages(a)
                .setOptions(ScoreOptions.newBuilder().setIncludeEmbedding(true)).build());
        assertThat(second.getResults(2).getScores()).isEqualTo(first.getResults(0).getScores());
        assertThat(second.getPack()).isEqualTo(first.getPack());
    }

    @Test
    void describe_packs_lists_scores_with_metadata() {
        DescribePacksResponse d = stub.describePacks(DescribePacksRequest.getDefaultInstance());
        assertThat(d.getDefaultPack()).isEqualTo("mobilenetv2-default");
        var pack = d.getPacks(0);
        assertThat(pack.getEmbeddingDim()).isEqualTo(1280);
        assertThat(pack.getBackend()).isEqualTo("onnx");
        var imagenet = pack.getScoresList().stream().filter(s -> s.getName().equals("imagenet")).findFirst().orElseThrow();
        assertThat(imagenet.getKind()).isEqualTo(ScoreKind.SCORE_KIND_CLASSES);
        assertThat(imagenet.getClassesCount()).isEqualTo(1000);
        assertThat(imagenet.getClasses(0)).isEqualTo("tench");
        assertThat(imagenet.getHigherIsBetter()).isTrue();
        assertThat(pack.getScoresList().stream().filter(ScoreDescription::getInDefaultSet).map(ScoreDescription::getName))
                .containsExactly("imagenet", "quality_fast");
        assertStatus(() -> stub.describePacks(DescribePacksRequest.newBuilder().setPack("nope").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PACK", "nope");
    }

    /** Photos whose content is unambiguous get ImageNet labels of that content among their top 5. */
    @Test
    void imagenet_labels_are_plausible_for_unambiguous_photos() {
        Map<String, Set<String>> expected = Map.of(
                "data/rooms/eval/bathroom/", Set.of("bathtub", "tub", "washbasin", "toilet seat", "shower curtain", "medicine chest"),
                "data/rooms/eval/kitchen/", Set.of("refrigerator", "microwave", "stove", "dishwasher", "china cabinet", "dining table", "wardrobe"),
                SHOE, Set.of("running shoe", "sandal", "clog", "cowboy boot", "Loafer"));
        ScoreRequest.Builder request = ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().addScores("imagenet"));
        List<String> ids = new java.util.ArrayList<>();
        for (String dir : expected.keySet().stream().sorted().toList()) {
            for (String f : firstFiles(dir, 3)) {
                ids.add(dir + f);
                request.addImages(photo(dir + f));
            }
        }
        ScoreResponse r = stub.score(request.build());
        int hits = 0;
        for (ImageResult result : r.getResultsList()) {
            String dir = result.getId().substring(0, result.getId().lastIndexOf('/') + 1);
            List<String> top5 = topLabels(result, 5);
            System.out.println(result.getId() + " -> " + top5);
            if (top5.stream().anyMatch(expected.get(dir)::contains)) {
                hits++;
            }
        }
        // A 71 %-top-1 ImageNet model on out-of-domain photos: nearly all, not necessarily all, match.
        assertThat(hits).as("photos with a plausible top-5 label").isGreaterThanOrEqualTo(ids.size() - 2);
    }

    static List<String> firstFiles(String dir, int n) {
        try (var s = java.nio.file.Files.list(Shared.path(dir))) {
            return s.map(p -> p.getFileName().toString()).sorted().limit(n).toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
