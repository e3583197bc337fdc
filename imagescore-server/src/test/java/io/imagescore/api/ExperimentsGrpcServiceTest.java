package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.CompareListing;
import io.imagescore.api.v1.CompareVariantsRequest;
import io.imagescore.api.v1.CompareVariantsResponse;
import io.imagescore.api.v1.CreateExperimentVersionRequest;
import io.imagescore.api.v1.Experiment;
import io.imagescore.api.v1.ExperimentSpec;
import io.imagescore.api.v1.ExperimentVariant;
import io.imagescore.api.v1.ExperimentVariantName;
import io.imagescore.api.v1.ExperimentsGrpc;
import io.imagescore.api.v1.GetExperimentRequest;
import io.imagescore.api.v1.GroundTruth;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.PreprocessMode;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreOrdering;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.api.v1.SortResponse;
import io.imagescore.api.v1.VariantChoice;
import io.imagescore.api.v1.VariantSpec;
import io.imagescore.api.v1.WeightedScore;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Experiments over a real channel: versioned storage, Score/Sort by variant, CompareVariants, and the score store
 * (on in this profile), on CLIVE photos.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(ScoreStoreProfile.class)
class ExperimentsGrpcServiceTest {
    @jakarta.inject.Inject
    java.util.Optional<io.imagescore.scorecache.ScoreStore> store;
    ManagedChannel channel;
    ExperimentsGrpc.ExperimentsBlockingStub experiments;
    ImageScoreGrpc.ImageScoreBlockingStub scores;
    ImageSortGrpc.ImageSortBlockingStub sort;
    String tenant = "exp-" + UUID.randomUUID();

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        experiments = ExperimentsGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        scores = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        sort = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static List<String[]> clive(int from, int n) throws IOException {
        return Files.readAllLines(Shared.path("data/clive/mos.csv")).stream().skip(1 + from).limit(n).map(l -> l.split(",")).toList();
    }

    static ImageInput photo(String name) {
        return ImageInput.newBuilder().setId(name).setData(ByteString.copyFrom(Shared.bytes("data/clive/images/" + name))).build();
    }

    static ExperimentSpec spec(double weightB) {
        return ExperimentSpec.newBuilder().setDescription("hero photo quality").setSalt("s1")
                .addVariants(ExperimentVariant.newBuilder().setName("control").setWeight(1)
                        .setSpec(VariantSpec.newBuilder().addScores("quality")))
                .addVariants(ExperimentVariant.newBuilder().setName("fast").setWeight(weightB)
                        .setSpec(VariantSpec.newBuilder().addScores("quality_fast").setPreprocessMode(PreprocessMode.PREPROCESS_MODE_FAST)))
                .build();
    }

    @Test
    void a_variant_resolves_to_exactly_what_it_pins_and_a_change_makes_a_new_version() throws IOException {
        Experiment v1 = experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant)
                .setName("hero").setSpec(spec(1)).build());
        assertThat(v1.getRef().getVersion()).isEqualTo("1");
        // stored fully pinned: pack name, head versions, mode
        VariantSpec pinned = v1.getSpec().getVariants(1).getSpec();
        assertThat(pinned.getPack()).isEqualTo("mobilenetv2-default");
        assertThat(pinned.getScoresList()).containsExactly("quality_fast@1");
        assertThat(pinned.getPreprocessMode()).isEqualTo(PreprocessMode.PREPROCESS_MODE_FAST);
        assertThat(v1.getSpec().getVariants(0).getSpec().getPreprocessMode()).isEqualTo(PreprocessMode.PREPROCESS_MODE_EXACT);

        List<ImageInput> images = clive(0, 3).stream().map(r -> photo(r[0])).toList();
        ScoreResponse byVariant = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("hero").setVariant("fast")).build());
        ScoreResponse spelledOut = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(ScoreOptions.newBuilder()
                .addScores("quality_fast@1").setPreprocessMode(PreprocessMode.PREPROCESS_MODE_FAST)).build());
        assertThat(byVariant.getResultsList()).isEqualTo(spelledOut.getResultsList());
        assertThat(byVariant.getPreprocessingId()).isEqualTo(spelledOut.getPreprocessingId()).contains("fast");
        assertThat(byVariant.getExperiment().getVersion()).isEqualTo("1");
        assertThat(byVariant.getExperiment().getVariant()).isEqualTo("fast");
        assertThat(byVariant.getExperiment().getContentHash()).isEqualTo(v1.getRef().getContentHash());

        Experiment v2 = experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant)
                .setName("hero").setSpec(spec(3)).build());
        assertThat(v2.getRef().getVersion()).isEqualTo("2");
        assertThat(v2.getRef().getContentHash()).isNotEqualTo(v1.getRef().getContentHash());
        ScoreResponse newest = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("hero").setVariant("fast")).build());
        assertThat(newest.getExperiment().getVersion()).isEqualTo("2");
        ScoreResponse old = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("hero").setExperimentVersion("1").setVariant("fast")).build());
        assertThat(old.getExperiment().getVersion()).as("an old version stays readable and says which made the result").isEqualTo("1");
        assertThat(experiments.getExperiment(GetExperimentRequest.newBuilder().setTenant(tenant).setName("hero").setVersion("1").build()))
                .isEqualTo(v1);

        SortResponse sorted = sort.sort(SortRequest.newBuilder().addAllImages(images).setTenant(tenant).setExperiment("hero")
                .setVariant("control").build());
        SortResponse sortedByHand = sort.sort(SortRequest.newBuilder().addAllImages(images).setByScore(ScoreOrdering.newBuilder()
                .addTerms(WeightedScore.newBuilder().setScore("quality@1").setWeight(1))).build());
        assertThat(sorted.getOrderList()).isEqualTo(sortedByHand.getOrderList());
        assertThat(sorted.getExperiment().getVariant()).isEqualTo("control");
        assertThat(sorted.getExperiment().getVersion()).isEqualTo("2");
    }

    @Test
    void wrong_experiment_requests_get_precise_reasons() throws IOException {
        ImageInput one = photo(clive(0, 1).getFirst()[0]);
        assertThat(reason(() -> scores.score(ScoreRequest.newBuilder().addImages(one).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("nope").setVariant("a")).build()))).isEqualTo("UNKNOWN_EXPERIMENT");
        experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant).setName("e").setSpec(spec(1)).build());
        assertThat(reason(() -> scores.score(ScoreRequest.newBuilder().addImages(one).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("e").setVariant("missing")).build()))).isEqualTo("UNKNOWN_EXPERIMENT");
        assertThat(reason(() -> scores.score(ScoreRequest.newBuilder().addImages(one).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).setExperiment("e").setVariant("control").addScores("quality")).build()))).isEqualTo("INVALID_REQUEST");
        assertThat(reason(() -> experiments.getExperiment(GetExperimentRequest.newBuilder().setTenant("other-" + tenant)
                .setName("e").build()))).as("another tenant does not see it").isEqualTo("UNKNOWN_EXPERIMENT");
        ExperimentSpec badWeight = spec(1).toBuilder().setVariants(1, spec(1).getVariants(1).toBuilder().setWeight(0)).build();
        assertThat(reason(() -> experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant)
                .setName("w").setSpec(badWeight).build()))).isEqualTo("INVALID_REQUEST");
        ExperimentSpec unknownHead = spec(1).toBuilder().setVariants(0, spec(1).getVariants(0).toBuilder()
                .setSpec(VariantSpec.newBuilder().addScores("quality@9"))).build();
        assertThat(reason(() -> experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant)
                .setName("w").setSpec(unknownHead).build()))).isEqualTo("UNKNOWN_HEAD_VERSION");
    }

    @Test
    void compare_variants_reports_what_the_comparison_of_the_two_score_responses_gives() throws IOException {
        experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant).setName("cmp").setSpec(spec(1)).build());
        List<String[]> rows = clive(0, 30);
        List<ImageInput> images = new ArrayList<>(rows.stream().map(r -> photo(r[0])).toList());
        images.add(ImageInput.newBuilder().setId("broken").setData(ByteString.copyFromUtf8("not an image")).build());
        CompareVariantsRequest.Builder req = CompareVariantsRequest.newBuilder().setTenant(tenant).addAllImages(images)
                .setA(VariantChoice.newBuilder().setStored(ExperimentVariantName.newBuilder().setExperiment("cmp").setVariant("control")))
                .setB(VariantChoice.newBuilder().setSpec(VariantSpec.newBuilder().addScores("quality_fast@1")
                        .setPreprocessMode(PreprocessMode.PREPROCESS_MODE_FAST)))
                .setTopK(5).setBootstrapResamples(100).setSeed(9);
        for (int l = 0; l < 6; l++) {
            req.addListings(CompareListing.newBuilder().setId("L" + l).addAllImageIds(rows.subList(5 * l, 5 * l + 5).stream().map(r -> r[0]).toList()));
        }
        rows.forEach(r -> req.addGroundTruth(GroundTruth.newBuilder().setImageId(r[0]).setRating(Double.parseDouble(r[1]))));
        CompareVariantsResponse got = experiments.compareVariants(req.build());

        assertThat(got.getImages()).isEqualTo(30);
        assertThat(got.getExcludedList()).extracting(r -> r.getId() + ":" + r.getError().getCode()).containsExactly("broken:UNSUPPORTED_FORMAT");
        assertThat(got.getA().getExperiment().getName()).isEqualTo("cmp");
        assertThat(got.getA().getScoresList()).containsExactly("quality@1");
        assertThat(got.getB().getScoresList()).containsExactly("quality_fast@1");
        assertThat(got.getB().getPreprocessingId()).contains("fast");
        assertThat(got.getScores(0).getSrcc().getEstimate()).isBetween(0.5, 1.0);
        assertThat(got.getScores(0).getSrcc().getLow()).isLessThanOrEqualTo(got.getScores(0).getSrcc().getHigh());
        assertThat(got.getListings().getListings()).isEqualTo(6);
        assertThat(got.getRatings().getMetric()).isEqualTo("srcc");

        // the same numbers from the two variants' Score responses through the domain comparison
        ScoreResponse a = scores.score(ScoreRequest.newBuilder().addAllImages(images.subList(0, 30)).setOptions(ScoreOptions.newBuilder()
                .addScores("quality@1")).build());
        ScoreResponse b = scores.score(ScoreRequest.newBuilder().addAllImages(images.subList(0, 30)).setOptions(ScoreOptions.newBuilder()
                .addScores("quality_fast@1").setPreprocessMode(PreprocessMode.PREPROCESS_MODE_FAST)).build());
        double[] va = a.getResultsList().stream().mapToDouble(r -> r.getScores().getScores(0).getValue()).toArray();
        double[] vb = b.getResultsList().stream().mapToDouble(r -> r.getScores().getScores(0).getValue()).toArray();
        var expected = io.imagescore.experiment.VariantComparison.compareScore("quality@1", "quality_fast@1", va, vb, 5,
                new io.imagescore.experiment.Bootstrap(100, 9, 0.95));
        assertThat(got.getScores(0).getSrcc().getEstimate()).isEqualTo(expected.srcc().estimate());
        assertThat(got.getScores(0).getSrcc().getLow()).isEqualTo(expected.srcc().low());
        assertThat(got.getScores(0).getPlcc().getHigh()).isEqualTo(expected.plcc().high());
        assertThat(got.getScores(0).getMeanAbsShift()).isEqualTo(expected.meanAbsShift());
        assertThat(got.getScores(0).getTopKOverlap()).isEqualTo(expected.topKOverlap());

        assertThat(reason(() -> experiments.compareVariants(req.clone().clearA().build()))).isEqualTo("INVALID_REQUEST");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setBootstrapResamples(10_001).build()))).isEqualTo("INVALID_REQUEST");
    }

    @Test
    void compare_variants_orders_listings_by_a_stored_regulation_as_sort_does() throws IOException {
        List<String[]> rows = clive(40, 20);
        List<ImageInput> images = rows.stream().map(r -> photo(r[0])).toList();
        // the regulation's classes: the photos' own top-1 ImageNet classes, so that most of them are regulated
        ScoreResponse labelled = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).addScores("imagenet")).build());
        List<String> classes = labelled.getResultsList().stream().map(r -> r.getScores().getClasses(0).getTop(0).getLabel())
                .distinct().toList();
        var regulation = io.imagescore.api.v1.Regulation.newBuilder().setClassifier("imagenet").addAllClasses(classes)
                .setWithinClassScore("quality").build();
        sort.putRegulation(io.imagescore.api.v1.PutRegulationRequest.newBuilder().setTenant(tenant).setName("listing-order")
                .setRegulation(regulation).build());
        PreprocessMode[] modes = {PreprocessMode.PREPROCESS_MODE_EXACT, PreprocessMode.PREPROCESS_MODE_FAST};
        CompareVariantsRequest.Builder req = CompareVariantsRequest.newBuilder().setTenant(tenant).addAllImages(images)
                .setA(VariantChoice.newBuilder().setSpec(VariantSpec.newBuilder().addScores("quality").addScores("imagenet")
                        .setPreprocessMode(modes[0])))
                .setB(VariantChoice.newBuilder().setSpec(VariantSpec.newBuilder().addScores("quality").addScores("imagenet")
                        .setPreprocessMode(modes[1])))
                .setBootstrapResamples(20).setRegulation("listing-order");
        for (int l = 0; l < 4; l++) {
            req.addListings(CompareListing.newBuilder().setId("L" + l).addAllImageIds(rows.subList(5 * l, 5 * l + 5).stream().map(r -> r[0]).toList()));
        }
        CompareVariantsResponse got = experiments.compareVariants(req.build());
        assertThat(got.getListings().getOrderedBy()).isEqualTo("regulation " + tenant + "/listing-order@1");

        // each listing's two orders from Sort with the same stored regulation, compared here by hand
        int heroChanges = 0;
        for (int l = 0; l < 4; l++) {
            List<ImageInput> listing = images.subList(5 * l, 5 * l + 5);
            List<List<String>> orders = new ArrayList<>();
            for (PreprocessMode mode : modes) {
                SortResponse sorted = sort.sort(SortRequest.newBuilder().setTenant(tenant).addAllImages(listing).setPreprocessMode(mode)
                        .setByRegulation(io.imagescore.api.v1.RegulationOrdering.newBuilder().setStored(
                                io.imagescore.api.v1.RegulationRef.newBuilder().setTenant(tenant).setName("listing-order"))).build());
                orders.add(sorted.getOrderList().stream().map(io.imagescore.api.v1.SortedImage::getId).toList());
            }
            List<String> a = orders.get(0);
            List<String> b = orders.get(1);
            int moves = 0;
            for (int i = 0; i < 5; i++) {
                for (int j = i + 1; j < 5; j++) {
                    String x = listing.get(i).getId();
                    String y = listing.get(j).getId();
                    if (Integer.signum(a.indexOf(x) - a.indexOf(y)) != Integer.signum(b.indexOf(x) - b.indexOf(y))) {
                        moves++;
                    }
                }
            }
            var per = got.getListings().getPerListing(l);
            assertThat(per.getHeroA()).as("listing %d hero under A", l).isEqualTo(a.getFirst());
            assertThat(per.getHeroB()).as("listing %d hero under B", l).isEqualTo(b.getFirst());
            assertThat(per.getMoves()).as("listing %d moves", l).isEqualTo(moves);
            assertThat(per.getKendallTau()).as("listing %d tau (no ties: 1 − 2·moves/pairs)", l).isCloseTo(1 - 2.0 * moves / 10, org.assertj.core.data.Offset.offset(1e-12));
            heroChanges += a.getFirst().equals(b.getFirst()) ? 0 : 1;
        }
        assertThat(got.getListings().getHeroChanges()).isEqualTo(heroChanges);

        assertThat(experiments.compareVariants(req.clone().clearRegulation().build()).getListings().getOrderedBy())
                .isEqualTo("score quality@1 / quality@1");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setRegulation("nothing").build()))).isEqualTo("UNKNOWN_REGULATION");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setB(VariantChoice.newBuilder().setSpec(
                VariantSpec.newBuilder().addScores("quality"))).build()))).as("B has no imagenet score").isEqualTo("INVALID_REQUEST");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setRegulation("").setRegulationVersion("1").build())))
                .isEqualTo("INVALID_REQUEST");
    }

    /**
     * Hand-made listings: 3 listings of 5 photos whose top-1 ImageNet classes all differ; regulation version 1 orders
     * those classes one way, version 2 the reverse. A variant pinning version 1 against one pinning version 2 (same
     * scores, so only the regulation differs) must reverse every listing: τ −1, 10 moves of 10 pairs, every hero changed.
     * Ordering both by one regulation (the bug this guards against) would give τ 1 and no hero change.
     */
    @Test
    void each_variant_orders_its_listings_by_its_own_regulation_version() throws IOException {
        List<ImageInput> pool = clive(60, 40).stream().map(r -> photo(r[0])).toList();
        ScoreResponse labelled = scores.score(ScoreRequest.newBuilder().addAllImages(pool).setOptions(ScoreOptions.newBuilder()
                .setTenant(tenant).addScores("imagenet")).build());
        java.util.LinkedHashMap<String, ImageInput> byClass = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pool.size() && byClass.size() < 15; i++) {
            byClass.putIfAbsent(labelled.getResults(i).getScores().getClasses(0).getTop(0).getLabel(), pool.get(i));
        }
        assertThat(byClass).as("15 photos of distinct top-1 classes among 40 CLIVE photos").hasSize(15);
        List<String> classes = new ArrayList<>(byClass.keySet());
        List<ImageInput> photos = new ArrayList<>(byClass.values());
        var v1 = io.imagescore.api.v1.Regulation.newBuilder().setClassifier("imagenet").addAllClasses(classes)
                .setWithinClassScore("quality").setMinInDomain(-1).build();
        var v2 = v1.toBuilder().clearClasses().addAllClasses(classes.reversed()).build();
        for (var r : List.of(v1, v2)) {
            sort.putRegulation(io.imagescore.api.v1.PutRegulationRequest.newBuilder().setTenant(tenant).setName("hero-rule").setRegulation(r).build());
        }
        VariantSpec.Builder scored = VariantSpec.newBuilder().addScores("quality").addScores("imagenet");
        experiments.createExperimentVersion(CreateExperimentVersionRequest.newBuilder().setTenant(tenant).setName("rules").setSpec(
                ExperimentSpec.newBuilder()
                        .addVariants(ExperimentVariant.newBuilder().setName("old").setWeight(1).setSpec(scored.clone().setRegulation("hero-rule").setRegulationVersion("1")))
                        .addVariants(ExperimentVariant.newBuilder().setName("new").setWeight(1).setSpec(scored.clone().setRegulation("hero-rule")))).build());
        VariantChoice old = VariantChoice.newBuilder().setStored(ExperimentVariantName.newBuilder().setExperiment("rules").setVariant("old")).build();
        VariantChoice newer = VariantChoice.newBuilder().setStored(ExperimentVariantName.newBuilder().setExperiment("rules").setVariant("new")).build();
        CompareVariantsRequest.Builder req = CompareVariantsRequest.newBuilder().setTenant(tenant).addAllImages(photos)
                .setA(old).setB(newer).setBootstrapResamples(20);
        for (int l = 0; l < 3; l++) {
            req.addListings(CompareListing.newBuilder().setId("L" + l).addAllImageIds(photos.subList(5 * l, 5 * l + 5).stream().map(ImageInput::getId).toList()));
        }

        var got = experiments.compareVariants(req.build()).getListings();
        String rule = "regulation " + tenant + "/hero-rule@";
        assertThat(got.getOrderedByA()).isEqualTo(rule + "1");
        assertThat(got.getOrderedByB()).as("the newest version, pinned when the experiment was stored").isEqualTo(rule + "2");
        assertThat(got.getOrderedBy()).isEqualTo(rule + "1 / " + rule + "2");
        for (int l = 0; l < 3; l++) {
            var per = got.getPerListing(l);
            // version 1 puts the listing's earliest class in `classes` first (the listing's first photo), version 2 its last
            assertThat(per.getHeroA()).isEqualTo(photos.get(5 * l).getId());
            assertThat(per.getHeroB()).isEqualTo(photos.get(5 * l + 4).getId());
            assertThat(per.getKendallTau()).isCloseTo(-1.0, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(per.getMoves()).isEqualTo(10);
            assertThat(per.getHeroChanged()).isTrue();
        }
        assertThat(got.getHeroChangeShare()).isEqualTo(1.0);
        assertThat(got.getMeanKendallTau()).isCloseTo(-1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(got.getTotalMoves()).isEqualTo(30);
        // each order is the one Sort gives for that variant
        for (int l = 0; l < 3; l++) {
            for (String variant : List.of("old", "new")) {
                SortResponse sorted = sort.sort(SortRequest.newBuilder().setTenant(tenant).addAllImages(photos.subList(5 * l, 5 * l + 5))
                        .setExperiment("rules").setVariant(variant).build());
                var per = got.getPerListing(l);
                assertThat(sorted.getOrder(0).getId()).isEqualTo(variant.equals("old") ? per.getHeroA() : per.getHeroB());
            }
        }

        // a spelled-out variant with its own regulation is ordered by it, one without by the request's regulation
        VariantChoice specV1 = VariantChoice.newBuilder().setSpec(scored.clone().setRegulation("hero-rule").setRegulationVersion("1")).build();
        VariantChoice plain = VariantChoice.newBuilder().setSpec(scored).build();
        var bySpec = experiments.compareVariants(req.clone().setA(specV1).build()).getListings();
        assertThat(bySpec.getPerListingList()).isEqualTo(got.getPerListingList());
        var bothNewest = experiments.compareVariants(req.clone().setA(plain).setRegulation("hero-rule").build()).getListings();
        assertThat(bothNewest.getOrderedBy()).isEqualTo(rule + "2");
        assertThat(bothNewest.getMeanKendallTau()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(bothNewest.getHeroChanges()).isZero();
        // a regulation only on B: A is ordered by its first scalar score
        var mixed = experiments.compareVariants(req.clone().setA(plain).build()).getListings();
        assertThat(mixed.getOrderedBy()).isEqualTo("score quality@1 / " + rule + "2");
        // the request's regulation conflicts with A's own version 1
        assertThat(reason(() -> experiments.compareVariants(req.clone().setRegulation("hero-rule").build()))).isEqualTo("INVALID_REQUEST");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setA(VariantChoice.newBuilder().setSpec(scored.clone()
                .setRegulation("hero-rule").setRegulationVersion("7"))).build()))).isEqualTo("UNKNOWN_REGULATION");
        assertThat(reason(() -> experiments.compareVariants(req.clone().setA(VariantChoice.newBuilder().setSpec(VariantSpec.newBuilder()
                .addScores("quality").setRegulation("hero-rule"))).build()))).as("A has no imagenet score").isEqualTo("INVALID_REQUEST");
    }

    @Test
    void a_repeat_is_answered_from_the_store_bit_identically_and_images_can_be_named_by_hash() throws IOException {
        List<ImageInput> images = clive(40, 4).stream().map(r -> photo(r[0])).toList();
        ScoreOptions.Builder options = ScoreOptions.newBuilder().setTenant(tenant).addScores("quality").addScores("room_type").setTopK(3);
        double hits = store.orElseThrow().hits();
        ScoreResponse first = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(options).build());
        assertThat(store.get().hits()).isEqualTo(hits);
        ScoreResponse again = scores.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(options).build());
        assertThat(store.get().hits()).as("all four from the store").isEqualTo(hits + 4);
        // another tenant's key misses, so this is a recomputation: the stored answer equals it bit for bit
        ScoreResponse recomputed = scores.score(ScoreRequest.newBuilder().addAllImages(images)
                .setOptions(options.clone().setTenant("other-" + tenant)).build());
        assertThat(again).isEqualTo(first);
        assertThat(again.getResultsList()).isEqualTo(recomputed.getResultsList());
        for (int i = 0; i < 4; i++) {
            assertThat(Double.doubleToRawLongBits(again.getResults(i).getScores().getScores(0).getValue()))
                    .isEqualTo(Double.doubleToRawLongBits(recomputed.getResults(i).getScores().getScores(0).getValue()));
        }

        String sha = first.getResults(1).getScores().getContentSha256();
        ScoreResponse byHash = scores.score(ScoreRequest.newBuilder().setOptions(options)
                .addImages(ImageInput.newBuilder().setId("by-hash").setContentSha256(sha))
                .addImages(ImageInput.newBuilder().setId("never-seen").setContentSha256("0".repeat(64))).build());
        assertThat(byHash.getResults(0).getScores()).isEqualTo(first.getResults(1).getScores());
        assertThat(byHash.getResults(1).getError().getCode()).isEqualTo("NOT_STORED");
        ScoreResponse otherTenant = scores.score(ScoreRequest.newBuilder().setOptions(options.clone().setTenant("third-" + tenant))
                .addImages(ImageInput.newBuilder().setId("by-hash").setContentSha256(sha)).build());
        assertThat(otherTenant.getResults(0).getError().getCode()).as("a tenant cannot read another's results by hash").isEqualTo("NOT_STORED");
        ScoreResponse otherVersion = scores.score(ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setTenant(tenant)
                .addScores("quality_fast@1")).addImages(ImageInput.newBuilder().setId("by-hash").setContentSha256(sha)).build());
        assertThat(otherVersion.getResults(0).getError().getCode()).as("other heads: another key").isEqualTo("NOT_STORED");
        assertThat(reason(() -> scores.score(ScoreRequest.newBuilder().setOptions(options)
                .addImages(ImageInput.newBuilder().setId("bad").setContentSha256("xyz")).build()))).isEqualTo("INVALID_REQUEST");
    }

    static String reason(Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).isNotNull();
        try {
            com.google.rpc.Status s = StatusProto.fromThrowable(e);
            for (var any : s.getDetailsList()) {
                if (any.is(ErrorInfo.class)) {
                    return any.unpack(ErrorInfo.class).getReason();
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
        }
        return Status.fromThrowable(e).getCode().name();
    }
}
