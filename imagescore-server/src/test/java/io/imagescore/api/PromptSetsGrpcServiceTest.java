package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.imagescore.api.v1.ClassDistribution;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.GetPromptSetRequest;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ListPromptSetsRequest;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetVersion;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.ZeroShotClassifier;
import io.imagescore.api.v1.ActivatePromptSetVersionRequest;
import io.imagescore.api.v1.LabelTuningGrpc;
import io.imagescore.api.v1.RatedImage;
import io.imagescore.api.v1.Rating;
import io.imagescore.api.v1.TuneLabelsConfig;
import io.imagescore.api.v1.TuneLabelsRequest;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.api.v1.TuningViewpoint;
import io.imagescore.api.v1.ImageInput;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.imagescore.api.ScoreGrpcServiceTest.assertStatus;
import static io.imagescore.api.ScoreGrpcServiceTest.first;
import static io.imagescore.api.ScoreGrpcServiceTest.photo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Prompt sets over real gRPC, and Score with prompt scores on the tiny CLIP pack (real photos, real ONNX models). */
@QuarkusTest
@TestProfile(ClipPackProfile.class)
class PromptSetsGrpcServiceTest {
    @jakarta.inject.Inject
    java.util.Optional<io.imagescore.scorecache.ScoreStore> store;
    ManagedChannel channel;
    ImageScoreGrpc.ImageScoreBlockingStub score;
    PromptSetsGrpc.PromptSetsBlockingStub sets;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        score = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        sets = PromptSetsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static PromptAttribute pair(String name, String positive, String negative) {
        return PromptAttribute.newBuilder().setName(name)
                .addPairs(PromptPair.newBuilder().setPositive(positive).setNegative(negative)).build();
    }

    static PromptSetSpec spec(boolean swapped) {
        return PromptSetSpec.newBuilder().setPack("clip-tiny")
                .addAttributes(swapped ? pair("good", "Bad photo.", "Good photo.") : pair("good", "Good photo.", "Bad photo."))
                .addAttributes(PromptAttribute.newBuilder().setName("quality").addLevels("bad photo.").addLevels("fair photo.")
                        .addLevels("good photo.").addLevels("perfect photo.").addAllLevelValues(List.of(1.0, 2.0, 3.0, 4.0)))
                .addClassifiers(ZeroShotClassifier.newBuilder().setName("room").addTemplates("a photo of a {}.")
                        .addTemplates("a picture of the {}.").addClasses("kitchen").addClasses("bedroom").addClasses("bathroom"))
                .build();
    }

    ScoreResponse scoreRooms(String tenant, String set, String version, List<String> scores) {
        return score.score(ScoreRequest.newBuilder()
                .addImages(photo("data/rooms/eval/kitchen/" + first("data/rooms/eval/kitchen")))
                .addImages(photo("data/rooms/eval/bedroom/" + first("data/rooms/eval/bedroom")))
                .addImages(photo("data/clive/images/1000.JPG"))
                .setOptions(ScoreOptions.newBuilder().setPack("clip-tiny").setTenant(tenant).setPromptSet(set)
                        .setPromptSetVersion(version).addAllScores(scores))
                .build());
    }

    static Map<String, Double> scalars(ImageResult r) {
        return r.getScores().getScoresList().stream().collect(Collectors.toMap(NamedScore::getName, NamedScore::getValue));
    }

    @Test
    void describe_packs_reports_the_text_encoder_of_a_clip_pack() {
        var packs = score.describePacks(io.imagescore.api.v1.DescribePacksRequest.getDefaultInstance()).getPacksList();
        var clip = packs.stream().filter(p -> p.hasTextEncoder()).findFirst().orElseThrow();
        assertThat(clip.getTextEncoder().getContextLength()).isEqualTo(77);
        assertThat(clip.getTextEncoder().getLogitScale()).isCloseTo(14.2849, org.assertj.core.api.Assertions.within(1e-3));
        assertThat(clip.getTextEncoder().getEmbeddingDim()).isEqualTo(clip.getEmbeddingDim()).isEqualTo(16);
        assertThat(packs.stream().filter(p -> p.getRef().getName().equals("mobilenetv2-default")))
                .allSatisfy(p -> assertThat(p.hasTextEncoder()).isFalse());
    }

    @Test
    void score_names_the_prompt_set_and_a_pinned_old_version_still_answers() {
        PromptSetVersion v1 = sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("acme")
                .setName("listing").setSpec(spec(false)).setNotes("first wording").build());
        assertThat(v1.getRef().getVersion()).isEqualTo("1");
        assertThat(v1.getActive()).isTrue();

        ScoreResponse r1 = scoreRooms("acme", "listing", "", List.of());
        assertThat(r1.getPromptSet().getName()).isEqualTo("listing");
        assertThat(r1.getPromptSet().getVersion()).isEqualTo("1");
        assertThat(r1.getPromptSet().getContentHash()).isEqualTo(v1.getRef().getContentHash());
        for (ImageResult r : r1.getResultsList()) {
            Map<String, Double> s = scalars(r);
            assertThat(s.keySet()).containsExactly("good", "quality");
            assertThat(s.get("good")).isStrictlyBetween(0.0, 1.0);
            assertThat(s.get("quality")).isStrictlyBetween(1.0, 4.0);
            ClassDistribution room = r.getScores().getClasses(0);
            assertThat(room.getName()).isEqualTo("room");
            assertThat(room.getVersion()).isEqualTo("1");
            assertThat(room.getTopList()).hasSize(3);
            assertThat(room.getTopList().stream().mapToDouble(c -> c.getProbability()).sum()).isCloseTo(1.0, within(1e-5));
            assertThat(r.getScores().getEmbeddingCount()).as("embedding only on request").isZero();
        }
        assertThat(scalars(r1.getResults(0)).get("good")).isNotCloseTo(scalars(r1.getResults(2)).get("good"), within(1e-4));
        // the same request again (a prompt set, no score named: every score of the set) is answered from the store
        double hits = store.orElseThrow().hits();
        assertThat(scoreRooms("acme", "listing", "", List.of())).isEqualTo(r1);
        assertThat(store.get().hits()).isEqualTo(hits + 3);
        assertThat(scoreRooms("acme", "listing", "", List.of("good")).getResults(0).getScores().getScoresList())
                .as("one prompt score named: another key").extracting(s -> s.getName()).containsExactly("good");

        // v2 swaps the poles: P(positive) becomes 1 - P(old positive). Activate it; v1 stays reachable when pinned.
        PromptSetVersion v2 = sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("acme")
                .setName("listing").setSpec(spec(true)).setActivate(true).build());
        assertThat(v2.getRef().getVersion()).isEqualTo("2");
        ScoreResponse active = scoreRooms("acme", "listing", "", List.of("good"));
        ScoreResponse pinned = scoreRooms("acme", "listing", "1", List.of("good"));
        assertThat(active.getPromptSet().getVersion()).isEqualTo("2");
        assertThat(pinned.getPromptSet().getVersion()).isEqualTo("1");
        for (int i = 0; i < 3; i++) {
            double old = scalars(r1.getResults(i)).get("good");
            assertThat(scalars(pinned.getResults(i))).containsOnlyKeys("good");
            assertThat(scalars(pinned.getResults(i)).get("good")).isCloseTo(old, within(1e-9));
            assertThat(scalars(active.getResults(i)).get("good")).isCloseTo(1 - old, within(1e-6));
            assertThat(pinned.getResults(i).getScores().getClassesCount()).isZero();
        }

        sets.activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder().setTenant("acme").setName("listing").setVersion("1").build());
        assertThat(sets.getPromptSet(GetPromptSetRequest.newBuilder().setTenant("acme").setName("listing").build()).getRef().getVersion()).isEqualTo("1");
        PromptSetVersion got = sets.getPromptSet(GetPromptSetRequest.newBuilder().setTenant("acme").setName("listing").setVersion("2").build());
        assertThat(got.getSpec()).isEqualTo(spec(true));
        assertThat(got.getActive()).isFalse();
        assertThat(sets.listPromptSets(ListPromptSetsRequest.newBuilder().setTenant("acme").build()).getPromptSetsList())
                .filteredOn(s -> s.getName().equals("listing")).singleElement().satisfies(s -> {
                    assertThat(s.getVersionsList()).containsExactly("1", "2");
                    assertThat(s.getActiveVersion()).isEqualTo("1");
                });
    }

    /**
     * TuneLabels over gRPC: ratings planted as the rank of each photo under the tiny model's "Bright photo." pair
     * (measured through Score); tuning must choose that pair, store a calibrated version, and Score with it must
     * order the photos the same way on the 1–4 scale.
     */
    /**
     * explain with prompt scores: after the head maps (none here: the pack has no heads), one patch-token map per
     * prompt score over the photo; the same bytes with the embedding requested come back without working data.
     */
    @Test
    void explain_maps_every_prompt_score_from_the_patch_tokens() {
        sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("maps")
                .setName("listing").setSpec(spec(false)).build());
        ScoreResponse r = score.score(ScoreRequest.newBuilder()
                .addImages(photo("data/rooms/eval/kitchen/" + first("data/rooms/eval/kitchen")))
                .setOptions(ScoreOptions.newBuilder().setPack("clip-tiny").setTenant("maps").setPromptSet("listing")
                        .setExplain(true).setIncludeEmbedding(true))
                .build());
        var scores = r.getResults(0).getScores();
        assertThat(scores.getEmbeddingCount()).isEqualTo(16);
        assertThat(scores.getExplanationsList()).extracting(e -> e.getScore()).containsExactly("good", "quality", "room");
        assertThat(scores.getExplanationsList()).allSatisfy(e -> {
            assertThat(e.getMethod()).isEqualTo("patch-similarity");
            assertThat(e.getRows()).isEqualTo(7);
            assertThat(e.getCols()).isEqualTo(7);
            double sum = e.getValuesList().stream().mapToDouble(Float::doubleValue).sum();
            assertThat(sum + e.getOffset()).isCloseTo(e.getValue(), within(1e-4));
        });
        assertThat(scores.getExplanations(0).getValue()).isCloseTo(scalars(r.getResults(0)).get("good"), within(1e-6));
        assertThat(scores.getExplanations(2).getTarget()).isIn("kitchen", "bedroom", "bathroom");
    }

    @Test
    void tune_labels_stores_a_calibrated_version_that_scores_in_the_rating_order() throws Exception {
        sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("probe").setName("probe")
                .setSpec(PromptSetSpec.newBuilder().addAttributes(pair("bright", "Bright photo.", "Dark photo."))).build());
        ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setPack("clip-tiny")
                .setTenant("probe").setPromptSet("probe"));
        for (String room : List.of("kitchen", "bedroom", "bathroom")) {
            try (var files = java.nio.file.Files.list(io.imagescore.testing.Shared.path("data/rooms/eval/" + room))) {
                files.sorted().limit(8).forEach(f -> req.addImages(photo("data/rooms/eval/" + room + "/" + f.getFileName())));
            }
        }
        ScoreRequest images = req.build();
        List<Double> probe = score.score(images).getResultsList().stream().map(r -> scalars(r).get("bright")).toList();
        List<Double> sorted = probe.stream().sorted().toList();

        CompletableFuture<TuneLabelsResponse> done = new CompletableFuture<>();
        StreamObserver<TuneLabelsRequest> up = LabelTuningGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .tuneLabels(new StreamObserver<>() {
                    public void onNext(TuneLabelsResponse r) { done.complete(r); }
                    public void onError(Throwable t) { done.completeExceptionally(t); }
                    public void onCompleted() { }
                });
        up.onNext(TuneLabelsRequest.newBuilder().setConfig(TuneLabelsConfig.newBuilder().setPack("clip-tiny").setTenant("acme")
                .setPromptSet("tuned").setSeed(5).setFolds(4).setActivate(true)
                .addViewpoints(TuningViewpoint.newBuilder().setName("brightness")
                        .addCandidates(PromptPair.newBuilder().setPositive("Good photo.").setNegative("Bad photo."))
                        .addCandidates(PromptPair.newBuilder().setPositive("Bright photo.").setNegative("Dark photo."))
                        .addCandidates(PromptPair.newBuilder().setPositive("A photo of a kitchen.").setNegative("A photo of a bedroom.")))).build());
        for (int i = 0; i < images.getImagesCount(); i++) {
            ImageInput img = images.getImages(i);
            double rating = 1 + 3.0 * sorted.indexOf(probe.get(i)) / (sorted.size() - 1);
            up.onNext(TuneLabelsRequest.newBuilder().setImage(RatedImage.newBuilder().setImage(img)
                    .addRatings(Rating.newBuilder().setViewpoint("brightness").setValue(rating))).build());
        }
        up.onCompleted();
        TuneLabelsResponse tuned = done.get(60, TimeUnit.SECONDS);
        assertThat(tuned.getCreated().getTenant()).isEqualTo("acme");
        assertThat(tuned.getCreated().getVersion()).isEqualTo("1");
        assertThat(tuned.getReportTable()).contains("chosen: \"Bright photo.\" / \"Dark photo.\"").contains("viewpoint brightness: 24 images");
        assertThat(tuned.getReportJson()).contains("\"reliable\" : true");
        PromptSetVersion stored = sets.getPromptSet(GetPromptSetRequest.newBuilder().setTenant("acme").setName("tuned").build());
        assertThat(stored.getSpec().getAttributes(0).getPairs(0).getPositive()).isEqualTo("Bright photo.");
        assertThat(stored.getSpec().getAttributes(0).getCalibration().getMin()).isEqualTo(1.0);

        ScoreResponse withTuned = score.score(images.toBuilder().setOptions(ScoreOptions.newBuilder().setPack("clip-tiny")
                .setTenant("acme").setPromptSet("tuned")).build());
        List<Double> calibrated = withTuned.getResultsList().stream().map(r -> scalars(r).get("brightness")).toList();
        assertThat(calibrated).allSatisfy(v -> assertThat(v).isBetween(1.0, 4.0));
        for (int i = 0; i < probe.size(); i++) {
            for (int j = 0; j < probe.size(); j++) {
                if (probe.get(i) < probe.get(j)) {
                    assertThat(calibrated.get(i)).isLessThanOrEqualTo(calibrated.get(j));
                }
            }
        }
    }

    @Test
    void bad_sets_and_bad_prompt_requests_get_precise_statuses() {
        PromptSetSpec emptyPair = PromptSetSpec.newBuilder().addAttributes(pair("good", "Good photo.", "")).build();
        assertStatus(() -> sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("bad").setSpec(emptyPair).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "attributes[0] 'good' pairs[0] is empty");
        PromptSetSpec duplicate = PromptSetSpec.newBuilder().addAttributes(pair("good", "a", "b"))
                .addClassifiers(ZeroShotClassifier.newBuilder().setName("good").addTemplates("{}").addClasses("x").addClasses("y")).build();
        assertStatus(() -> sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("bad").setSpec(duplicate).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "classifiers[0] duplicate score name 'good' (already used by attributes[0])");
        assertStatus(() -> sets.getPromptSet(GetPromptSetRequest.newBuilder().setName("bad").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PROMPT_SET", "tenant 'default' has no prompt set 'bad'");

        sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("anywhere")
                .setSpec(PromptSetSpec.newBuilder().addAttributes(pair("bright", "Bright photo.", "Dark photo."))).build());
        assertStatus(() -> scoreRooms("", "anywhere", "9", List.of()), Status.Code.NOT_FOUND, "UNKNOWN_PROMPT_SET",
                "prompt set 'default/anywhere' has no version '9'; versions: [1]");
        assertStatus(() -> score.score(ScoreRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG"))
                        .setOptions(ScoreOptions.newBuilder().setPromptSet("anywhere")).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "pack 'mobilenetv2-default' has no text_encoder");
        assertStatus(() -> scoreRooms("", "", "3", List.of()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST",
                "prompt_set_version given without prompt_set");
        // heads and prompt scores mix in one request on a pack that has both; here: an unknown name is still an unknown score
        assertStatus(() -> scoreRooms("", "anywhere", "", List.of("bright", "sharpness")), Status.Code.NOT_FOUND, "UNKNOWN_SCORE",
                "unknown score 'sharpness'");
    }
}
