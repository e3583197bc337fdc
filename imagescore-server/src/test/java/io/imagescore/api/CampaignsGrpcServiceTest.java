package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.imagescore.api.v1.AddRatersRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.CampaignImage;
import io.imagescore.api.v1.CampaignJudgement;
import io.imagescore.api.v1.CampaignRater;
import io.imagescore.api.v1.CreateCampaignRequest;
import io.imagescore.api.v1.CreateCampaignResponse;
import io.imagescore.api.v1.CampaignSummary;
import io.imagescore.api.v1.CampaignsGrpc;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.DeleteCampaignRequest;
import io.imagescore.api.v1.DeleteCampaignResponse;
import io.imagescore.api.v1.ExportJudgementsRequest;
import io.imagescore.api.v1.FitCampaignHeadRequest;
import io.imagescore.api.v1.FitCampaignHeadResponse;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ListCampaignsRequest;
import io.imagescore.api.v1.ListCampaignsResponse;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.RaterToken;
import io.imagescore.api.v1.RevokeRaterRequest;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.TuneCampaignLabelsRequest;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.api.v1.TuningViewpoint;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.imagescore.api.ScoreGrpcServiceTest.assertStatus;
import static io.imagescore.api.ScoreGrpcServiceTest.photo;
import static io.imagescore.api.TenancyTest.as;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * Service Campaigns over real gRPC, with API keys: the tune and fit actions on a campaign's answers (ratings planted
 * from a known wording, so tuning must find it), the export, rater tokens added and revoked (the page then refuses
 * the revoked one), deletion with its images, and tenancy: another tenant, a score-only key and a rater token get
 * nothing.
 */
@QuarkusTest
@TestProfile(TenancyTest.Keys.class) // the same application as TenancyTest: no extra boot
class CampaignsGrpcServiceTest {
    static final String OWNER = TenancyTest.KEY_A, OTHER = TenancyTest.KEY_B, READER = TenancyTest.KEY_A_READ;

    ManagedChannel channel;
    final Map<String, CampaignsGrpc.CampaignsBlockingStub> campaigns = new HashMap<>();

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        for (String key : List.of(OWNER, OTHER, READER)) {
            campaigns.put(key, as(key, CampaignsGrpc.newBlockingStub(channel)));
        }
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static RequestSpecification owner() {
        return given().header("Authorization", "Bearer " + OWNER);
    }

    /** 24 room photos, in a fixed order. */
    static List<String> rooms() throws IOException {
        List<String> out = new ArrayList<>();
        for (String room : List.of("kitchen", "bedroom", "bathroom")) {
            try (var files = Files.list(Shared.path("data/rooms/eval/" + room))) {
                files.sorted().limit(8).forEach(f -> out.add("data/rooms/eval/" + room + "/" + f.getFileName()));
            }
        }
        return out;
    }

    static String create(String name, String task, List<String> paths, int raters) {
        List<Map<String, String>> images = paths.stream().map(p -> Map.of("name", p.substring(p.lastIndexOf('/') + 1),
                "data", Base64.getEncoder().encodeToString(Shared.bytes(p)))).toList();
        return owner().contentType(ContentType.JSON).body(Map.of("name", name, "task", task, "raters", raters, "images", images))
                .post("/rating/api/tenant-a/campaigns").then().statusCode(201).extract().path("raters[0].token");
    }

    /**
     * Ratings planted as the quartile of each photo under the tiny model's "Bright photo." pair (measured through
     * Score): tuning on the campaign must choose that pair and store version 1 of the prompt set; the fit action
     * publishes a ridge head on the same ratings; the export returns exactly what was rated.
     */
    @Test
    void tune_and_fit_actions_turn_the_ratings_into_new_versions() throws Exception {
        List<String> paths = rooms();
        PromptSetsGrpc.PromptSetsBlockingStub sets = as(OWNER, PromptSetsGrpc.newBlockingStub(channel));
        sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("probe").setSpec(PromptSetSpec.newBuilder()
                .addAttributes(PromptSetsGrpcServiceTest.pair("bright", "Bright photo.", "Dark photo."))).build());
        ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setPack("clip-tiny").setPromptSet("probe"));
        paths.forEach(p -> req.addImages(photo(p)));
        List<Double> probe = as(OWNER, ImageScoreGrpc.newBlockingStub(channel)).score(req.build()).getResultsList().stream()
                .map(r -> PromptSetsGrpcServiceTest.scalars(r).get("bright")).toList();
        List<Double> sorted = probe.stream().sorted().toList();

        String token = create("rooms", "rating", paths, 1);
        Map<Integer, Integer> planted = new HashMap<>();
        for (int n = 0; n < paths.size(); n++) {
            int item = given().get("/rating/api/tenant-a/campaigns/rooms/state?token=" + token).then().statusCode(200)
                    .extract().path("item.index");
            int rating = 1 + sorted.indexOf(probe.get(item)) * 4 / paths.size();
            planted.put(item, rating);
            given().contentType(ContentType.JSON).body(Map.of("item", item, "rating", rating))
                    .post("/rating/api/tenant-a/campaigns/rooms/answers?token=" + token).then().statusCode(200);
        }

        TuneLabelsResponse tuned = campaigns.get(OWNER).tuneCampaignLabels(TuneCampaignLabelsRequest.newBuilder().setCampaign("rooms")
                .setPack("clip-tiny").setPromptSet("tuned").setSeed(5).setFolds(4).setActivate(true)
                .setViewpoint(TuningViewpoint.newBuilder()
                        .addCandidates(PromptPair.newBuilder().setPositive("Good photo.").setNegative("Bad photo."))
                        .addCandidates(PromptPair.newBuilder().setPositive("Bright photo.").setNegative("Dark photo."))
                        .addCandidates(PromptPair.newBuilder().setPositive("A photo of a kitchen.").setNegative("A photo of a bedroom.")))
                .build());
        assertThat(tuned.getCreated().getTenant()).isEqualTo("tenant-a");
        assertThat(tuned.getCreated().getName()).isEqualTo("tuned");
        assertThat(tuned.getCreated().getVersion()).isEqualTo("1");
        assertThat(tuned.getReportTable()).contains("viewpoint rooms: 24 images").contains("chosen: \"Bright photo.\" / \"Dark photo.\"");
        // the page's JSON action runs the same path: the next version of the same prompt set
        owner().contentType(ContentType.JSON).body(Map.of("pack", "clip-tiny", "prompt_set", "tuned", "viewpoint", "rooms",
                        "folds", 4, "seed", 5, "candidates", List.of(Map.of("positive", "Bright photo.", "negative", "Dark photo."))))
                .post("/rating/api/tenant-a/campaigns/rooms/tune").then().statusCode(200)
                .body("version", equalTo("2")).body("reliable", equalTo(true)).body("prompt_set", equalTo("tuned"));

        FitCampaignHeadResponse fitted = campaigns.get(OWNER).fitCampaignHead(FitCampaignHeadRequest.newBuilder()
                .setCampaign("rooms").build());
        assertThat(fitted.getHead()).isEqualTo("rooms");
        assertThat(fitted.getVersion()).isEqualTo("1");
        assertThat(fitted.getKind()).isEqualTo("regression");
        assertThat(fitted.getExamples()).isEqualTo(24);
        assertThat(fitted.hasCvRegression()).isTrue();
        assertThat(fitted.hasCvRanking()).isFalse();

        List<CampaignJudgement> exported = new ArrayList<>();
        campaigns.get(OWNER).exportJudgements(ExportJudgementsRequest.newBuilder().setCampaign("rooms").build())
                .forEachRemaining(r -> exported.addAll(r.getJudgementsList()));
        assertThat(exported).hasSize(24).allSatisfy(j -> {
            int index = paths.indexOf(paths.stream().filter(p -> p.endsWith("/" + j.getImage())).findFirst().orElseThrow());
            assertThat(j.getRating()).isEqualTo(planted.get(index));
            assertThat(j.getRater()).isEqualTo("r1");
            assertThat(j.getTask()).isEqualTo("rating");
            assertThat(j.getImageSha256()).hasSize(64);
            assertThat(j.getOutcome()).isEmpty();
        });

        // a pairwise campaign has no ratings to tune on
        create("room-pairs", "pairwise", paths.subList(0, 3), 1);
        assertStatus(() -> campaigns.get(OWNER).tuneCampaignLabels(TuneCampaignLabelsRequest.newBuilder().setCampaign("room-pairs")
                .setPack("clip-tiny").setPromptSet("tuned").build()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "pairwise");
        assertStatus(() -> campaigns.get(OWNER).tuneCampaignLabels(TuneCampaignLabelsRequest.newBuilder().setCampaign("rooms")
                        .setPromptSet("tuned").setViewpoint(TuningViewpoint.newBuilder().addCandidates(PromptPair.newBuilder()
                                .setPositive("Good photo.").setNegative("Bad photo."))).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "no text_encoder");
    }

    @Test
    void raters_are_added_and_revoked_and_campaigns_deleted_with_their_images() throws IOException {
        List<String> paths = List.of("data/clive/images/1010.JPG", "data/clive/images/1011.JPG", "data/clive/images/1012.JPG");
        String first = create("lifecycle", "rating", paths, 1);
        int item = given().get("/rating/api/tenant-a/campaigns/lifecycle/state?token=" + first).then().statusCode(200).extract().path("item.index");
        given().contentType(ContentType.JSON).body(Map.of("item", item, "rating", 2))
                .post("/rating/api/tenant-a/campaigns/lifecycle/answers?token=" + first).then().statusCode(200);

        List<RaterToken> added = campaigns.get(OWNER).addRaters(AddRatersRequest.newBuilder().setCampaign("lifecycle").setCount(2).build())
                .getRatersList();
        assertThat(added).extracting(RaterToken::getRater).containsExactly("r2", "r3");
        assertThat(added.get(0).getToken()).startsWith("rtk_");
        assertThat(added.get(0).getPath()).isEqualTo("/rating/tenant-a/lifecycle?token=" + added.get(0).getToken());
        given().get(added.get(0).getPath()).then().statusCode(200).body(containsString("lifecycle"));
        given().get("/rating/api/tenant-a/campaigns/lifecycle/state?token=" + added.get(1).getToken()).then().statusCode(200)
                .body("rater", equalTo("r3")).body("done", equalTo(0));

        CampaignSummary revoked = campaigns.get(OWNER).revokeRater(RevokeRaterRequest.newBuilder().setCampaign("lifecycle").setRater("r1").build());
        assertThat(revoked.getRatersList()).filteredOn(r -> !r.getRevoked().isEmpty()).extracting(r -> r.getId()).containsExactly("r1");
        RatingResourceTest.refused(given().get("/rating/api/tenant-a/campaigns/lifecycle/state?token=" + first).then(), 403,
                "RATER_REVOKED", "rater r1 in campaign 'lifecycle' was revoked");
        RatingResourceTest.refused(given().contentType(ContentType.JSON).body(Map.of("item", 0, "rating", 1))
                .post("/rating/api/tenant-a/campaigns/lifecycle/answers?token=" + first).then(), 403, "RATER_REVOKED", "new link");
        // the page a person opens: an HTML page with the same status, reason and message
        given().get("/rating/tenant-a/lifecycle?token=" + first).then().statusCode(403).contentType(containsString("text/html"))
                .body(containsString("<code>RATER_REVOKED</code>")).body(containsString("the token of rater r1 in campaign"));
        // the other raters go on; the revoked rater's answer stays
        given().get("/rating/api/tenant-a/campaigns/lifecycle/state?token=" + added.get(0).getToken()).then().statusCode(200);
        owner().get("/rating/api/tenant-a/campaigns/lifecycle").then().statusCode(200).body("raters", equalTo(2))
                .body("revoked", equalTo(List.of("r1"))).body("agreement.answers", equalTo(1));
        assertStatus(() -> campaigns.get(OWNER).revokeRater(RevokeRaterRequest.newBuilder().setCampaign("lifecycle").setRater("r9").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "no rater 'r9'");
        assertStatus(() -> campaigns.get(OWNER).addRaters(AddRatersRequest.newBuilder().setCampaign("lifecycle").setCount(0).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "count must be at least 1");
        assertStatus(() -> campaigns.get(OWNER).addRaters(AddRatersRequest.newBuilder().setCampaign("lifecycle").setCount(99).build()),
                Status.Code.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", "active raters of campaign 'lifecycle' are limited to 100 (imagescore.quotas.campaign-raters)");

        // another campaign shares one image: deleting 'lifecycle' keeps it, deletes the other two
        create("keeper", "rating", List.of(paths.get(2), "data/clive/images/1013.JPG"), 1);
        long before = owner().get("/rating/api/tenant-a/campaigns").then().statusCode(200).extract().jsonPath().getList("campaigns").size();
        DeleteCampaignResponse d = campaigns.get(OWNER).deleteCampaign(DeleteCampaignRequest.newBuilder().setCampaign("lifecycle").build());
        assertThat(d.getJudgements()).isEqualTo(1);
        assertThat(d.getImages()).isEqualTo(2);
        assertThat(d.getImageBytes()).isEqualTo(Shared.bytes(paths.get(0)).length + Shared.bytes(paths.get(1)).length);
        assertThat(campaigns.get(OWNER).listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList())
                .extracting(CampaignSummary::getName).doesNotContain("lifecycle").contains("keeper").hasSize((int) before - 1);
        RatingResourceTest.refused(given().get("/rating/api/tenant-a/campaigns/lifecycle/state?token=" + added.get(0).getToken()).then(),
                404, "UNKNOWN_CAMPAIGN", "no campaign 'lifecycle'");
        assertStatus(() -> campaigns.get(OWNER).deleteCampaign(DeleteCampaignRequest.newBuilder().setCampaign("lifecycle").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_CAMPAIGN", "lifecycle");
        // the deleted images are gone from the tenant's store: naming one by hash needs its data again
        String gone = io.imagescore.score.ScoringPipeline.sha256(Shared.bytes(paths.get(0)));
        RatingResourceTest.refused(owner().contentType(ContentType.JSON).body(Map.of("name", "again", "task", "rating", "images",
                List.of(Map.of("sha256", gone), Map.of("name", "x.jpg", "data", Base64.getEncoder().encodeToString(
                        Shared.bytes(paths.get(1))))))).post("/rating/api/tenant-a/campaigns").then(), 404, "NOT_STORED", "upload its data");
        // the page's JSON API deletes too
        owner().delete("/rating/api/tenant-a/campaigns/keeper").then().statusCode(200).body("images", equalTo(2)).body("judgements", equalTo(0));
    }

    static CampaignImage upload(String path) {
        return CampaignImage.newBuilder().setName(path.substring(path.lastIndexOf('/') + 1))
                .setData(com.google.protobuf.ByteString.copyFrom(Shared.bytes(path))).build();
    }

    /** The ErrorInfo of a refused call: its reason and metadata. */
    static ErrorInfo errorInfo(Runnable call) {
        StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).isNotNull();
        return StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).map(a -> {
            try {
                return a.unpack(ErrorInfo.class);
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).findFirst().orElseThrow();
    }

    /**
     * CreateCampaign runs the page's create: uploaded photos and photos named by SHA-256, both tasks, the raters' tokens
     * opening the page's API; each refusal has its status, reason and field, and nothing is stored by a refused call.
     */
    @Test
    void create_campaign_rpc_makes_what_the_page_makes_and_refuses_precisely() throws IOException {
        List<String> paths = rooms().subList(8, 14);
        CampaignsGrpc.CampaignsBlockingStub owner = campaigns.get(OWNER);
        CreateCampaignRequest.Builder pairs = CreateCampaignRequest.newBuilder().setName("rpc-pairs").setTitle("Which room photo is better?")
                .setTask("pairwise").setRaters(2);
        paths.forEach(p -> pairs.addImages(upload(p)));
        CreateCampaignResponse created = owner.createCampaign(pairs.build());
        CampaignSummary summary = created.getCampaign();
        assertThat(summary.getName()).isEqualTo("rpc-pairs");
        assertThat(summary.getTask()).isEqualTo("pairwise");
        assertThat(summary.getHead()).isEqualTo("quality_fast");
        assertThat(summary.getImages()).isEqualTo(6);
        assertThat(summary.getPerRater()).isEqualTo(12); // min(2n, n(n−1)/2)
        assertThat(summary.getRatersList()).extracting(CampaignRater::getId).containsExactly("r1", "r2");
        assertThat(created.getRatersList()).hasSize(2).allSatisfy(t -> {
            assertThat(t.getToken()).startsWith("rtk_");
            assertThat(t.getPath()).isEqualTo("/rating/tenant-a/rpc-pairs?token=" + t.getToken());
        });
        assertThat(owner.listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList())
                .filteredOn(c -> c.getName().equals("rpc-pairs")).containsExactly(summary);
        String sha = given().get("/rating/api/tenant-a/campaigns/rpc-pairs/state?token=" + created.getRaters(1).getToken())
                .then().statusCode(200).body("rater", equalTo("r2")).body("title", equalTo("Which room photo is better?"))
                .extract().path("item.sha256");

        // a rating campaign naming a stored photo by its hash, with its own anchors
        List<String> anchors = List.of("unusable", "weak", "fine", "great");
        CreateCampaignResponse rating = owner.createCampaign(CreateCampaignRequest.newBuilder().setName("rpc-rating").setTask("rating")
                .addAllAnchors(anchors).addImages(CampaignImage.newBuilder().setSha256(sha)).addImages(upload("data/clive/images/1030.JPG"))
                .build());
        assertThat(rating.getCampaign().getImages()).isEqualTo(2);
        given().get("/rating/api/tenant-a/campaigns/rpc-rating/state?token=" + rating.getRaters(0).getToken()).then().statusCode(200)
                .body("anchors", equalTo(anchors)).body("total", equalTo(2));

        CampaignImage one = upload("data/clive/images/1031.JPG");
        CampaignImage two = upload("data/clive/images/1032.JPG");
        java.util.function.Function<CreateCampaignRequest.Builder, ErrorInfo> refuse = b -> errorInfo(() -> owner.createCampaign(b.build()));
        CreateCampaignRequest.Builder ok = CreateCampaignRequest.newBuilder().setName("rpc-refused").setTask("rating").addImages(one).addImages(two);
        assertStatus(() -> owner.createCampaign(ok.clone().setTask("stars").build()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST",
                "task must be 'rating'");
        assertThat(refuse.apply(ok.clone().setTask("stars")).getMetadataMap()).containsEntry("field", "task");
        assertThat(refuse.apply(ok.clone().addAllAnchors(List.of("a", "b", "c"))).getMetadataMap()).containsEntry("field", "anchors");
        assertThat(refuse.apply(ok.clone().setTask("pairwise").addAnchors("x")).getMetadataMap()).containsEntry("field", "anchors");
        assertThat(refuse.apply(ok.clone().setTask("pairwise").setComparisons(2)).getMetadataMap()).as("1 pair of 2 images")
                .containsEntry("field", "comparisons");
        assertThat(refuse.apply(ok.clone().clearImages().addImages(one)).getMetadataMap()).containsEntry("field", "images");
        assertThat(refuse.apply(ok.clone().addImages(CampaignImage.newBuilder().setName("empty"))).getMetadataMap())
                .containsEntry("field", "images[2]");
        assertThat(refuse.apply(ok.clone().addImages(one)).getMetadataMap()).containsEntry("field", "images[2]");
        assertThat(refuse.apply(ok.clone().setName("Bad Name")).getReason()).isEqualTo("INVALID_REQUEST");
        assertStatus(() -> owner.createCampaign(ok.clone().addImages(CampaignImage.newBuilder().setSha256("0".repeat(64))).build()),
                Status.Code.NOT_FOUND, "NOT_STORED", "upload its data");
        assertStatus(() -> owner.createCampaign(ok.clone().addImages(CampaignImage.newBuilder()
                        .setData(com.google.protobuf.ByteString.copyFromUtf8("not an image"))).build()),
                Status.Code.INVALID_ARGUMENT, "UNSUPPORTED_FORMAT", "images[2]");
        assertStatus(() -> owner.createCampaign(ok.clone().setHead("nope").build()), Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "nope");
        assertStatus(() -> owner.createCampaign(ok.clone().setName("rpc-pairs").build()), Status.Code.ALREADY_EXISTS,
                "CAMPAIGN_EXISTS", "rpc-pairs");
        assertStatus(() -> owner.createCampaign(ok.clone().setRaters(101).build()), Status.Code.RESOURCE_EXHAUSTED,
                "QUOTA_EXCEEDED", "imagescore.quotas.campaign-raters");
        assertThat(refuse.apply(ok.clone().setRaters(101)).getMetadataMap()).containsEntry("quota", "campaign_raters")
                .containsEntry("limit", "100");
        // past the images per campaign: refused on the count, before any image is hashed or scored
        CreateCampaignRequest.Builder many = ok.clone().clearImages();
        for (int i = 0; i < 501; i++) {
            many.addImages(CampaignImage.newBuilder().setSha256(String.format("%064x", i)));
        }
        assertThat(refuse.apply(many).getMetadataMap()).containsEntry("quota", "campaign_images").containsEntry("limit", "500");
        assertStatus(() -> campaigns.get(OTHER).createCampaign(ok.clone().setTenant("tenant-a").build()), Status.Code.PERMISSION_DENIED,
                "TENANT_MISMATCH", "tenant-b");
        assertStatus(() -> campaigns.get(READER).createCampaign(ok.build()), Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        assertThat(owner.listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList())
                .extracting(CampaignSummary::getName).doesNotContain("rpc-refused");
        given().get("/rating/api/tenant-a/campaigns/rpc-refused/state?token=x").then().statusCode(404);
    }

    @Test
    void other_tenants_score_only_keys_and_rater_tokens_get_nothing() {
        String token = create("private", "rating", List.of("data/clive/images/1020.JPG", "data/clive/images/1021.JPG"), 1);
        CampaignsGrpc.CampaignsBlockingStub other = campaigns.get(OTHER);
        assertThat(other.listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList())
                .extracting(CampaignSummary::getName).doesNotContain("private");
        List<Runnable> acmeCalls = List.of(
                () -> other.listCampaigns(ListCampaignsRequest.newBuilder().setTenant("tenant-a").build()),
                () -> other.exportJudgements(ExportJudgementsRequest.newBuilder().setTenant("tenant-a").setCampaign("private").build()).hasNext(),
                () -> other.fitCampaignHead(FitCampaignHeadRequest.newBuilder().setTenant("tenant-a").setCampaign("private").build()),
                () -> other.tuneCampaignLabels(TuneCampaignLabelsRequest.newBuilder().setTenant("tenant-a").setCampaign("private").build()),
                () -> other.addRaters(AddRatersRequest.newBuilder().setTenant("tenant-a").setCampaign("private").setCount(1).build()),
                () -> other.revokeRater(RevokeRaterRequest.newBuilder().setTenant("tenant-a").setCampaign("private").setRater("r1").build()),
                () -> other.deleteCampaign(DeleteCampaignRequest.newBuilder().setTenant("tenant-a").setCampaign("private").build()));
        for (Runnable call : acmeCalls) {
            assertStatus(call, Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "cannot act on tenant 'tenant-a'");
        }
        // its own tenant has no such campaign
        assertStatus(() -> other.exportJudgements(ExportJudgementsRequest.newBuilder().setCampaign("private").build()).hasNext(),
                Status.Code.NOT_FOUND, "UNKNOWN_CAMPAIGN", "tenant 'tenant-b' has no campaign 'private'");
        assertStatus(() -> other.deleteCampaign(DeleteCampaignRequest.newBuilder().setCampaign("private").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_CAMPAIGN", "no campaign 'private'");
        // nor over HTTP
        RatingResourceTest.refused(given().header("Authorization", "Bearer " + OTHER).delete("/rating/api/tenant-a/campaigns/private").then(),
                403, "TENANT_MISMATCH", "cannot act on tenant 'tenant-a'");
        RatingResourceTest.refused(given().header("Authorization", "Bearer " + OTHER)
                .post("/rating/api/tenant-a/campaigns/private/raters/r1/revoke").then(), 403, "TENANT_MISMATCH", "tenant-a");
        // a score-only key of the tenant: the owner's role is missing
        assertStatus(() -> campaigns.get(READER).listCampaigns(ListCampaignsRequest.getDefaultInstance()),
                Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        // a rater token is no API key: refused by every RPC, and by the owner's HTTP API
        CampaignsGrpc.CampaignsBlockingStub rater = as(token, CampaignsGrpc.newBlockingStub(channel));
        assertStatus(() -> rater.listCampaigns(ListCampaignsRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED,
                "UNAUTHENTICATED", "rater token");
        assertStatus(() -> as(token, ImageScoreGrpc.newBlockingStub(channel)).score(ScoreRequest.newBuilder()
                .addImages(photo("data/clive/images/1020.JPG")).build()), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "rater token");
        RatingResourceTest.refused(given().header("Authorization", "Bearer " + token).delete("/rating/api/tenant-a/campaigns/private").then(),
                401, "UNAUTHENTICATED", "rater token");
        // still there, untouched
        assertThat(campaigns.get(OWNER).listCampaigns(ListCampaignsRequest.getDefaultInstance()).getCampaignsList())
                .extracting(CampaignSummary::getName).contains("private");
    }

    @jakarta.inject.Inject
    io.imagescore.rating.CampaignStore store;

    /** A campaign of two one-byte images stored straight into the store (no prior to score), with {@code raters} revoked raters. */
    private void stored(String tenant, String name, int raters) {
        List<io.imagescore.rating.Campaign.Rater> rs = new ArrayList<>();
        for (int r = 1; r <= raters; r++) {
            rs.add(new io.imagescore.rating.Campaign.Rater("r" + r, String.format("%064x", r), "2026-12-06T23:00:00.123456Z"));
        }
        store.create(tenant, new io.imagescore.rating.Campaign(name, name, io.imagescore.rating.Campaign.Task.RATING,
                "mobilenetv2-default", "quality_fast", List.of("1", "2", "3", "4"),
                List.of(new io.imagescore.rating.Campaign.Image("0".repeat(64), "a", 0), new io.imagescore.rating.Campaign.Image("1".repeat(64), "b", 0)),
                rs, 0, java.time.Instant.now().toString()), Map.of("0".repeat(64), new byte[] {0}, "1".repeat(64), new byte[] {1}));
    }

    private static List<ListCampaignsResponse> pages(CampaignsGrpc.CampaignsBlockingStub stub, String tenant, int size) {
        List<ListCampaignsResponse> out = new ArrayList<>();
        String token = "";
        do {
            ListCampaignsResponse page = stub.listCampaigns(ListCampaignsRequest.newBuilder().setTenant(tenant).setPageSize(size)
                    .setPageToken(token).build());
            out.add(page);
            token = page.getNextPageToken();
        } while (!token.isEmpty() && out.size() < 100);
        return out;
    }

    /**
     * ListCampaigns in pages: by name, the cursor stable while campaigns come and go between pages, a page cut at about
     * 1 MiB of summaries, the same pages on the JSON API; a token of another tenant, a garbage token and a size out of
     * range are INVALID_ARGUMENT with their field.
     */
    @Test
    void list_campaigns_pages_by_name_and_a_token_serves_only_its_tenant() {
        String suffix = java.util.UUID.randomUUID().toString().substring(0, 8);
        String tenant = "pages-" + suffix;
        List<String> names = new ArrayList<>(List.of("m", "c", "x", "a", "q", "f", "t"));
        names.forEach(n -> stored(tenant, n, 1));
        java.util.Collections.sort(names);
        CampaignsGrpc.CampaignsBlockingStub admin = as(TenancyTest.KEY_ADMIN, CampaignsGrpc.newBlockingStub(channel));

        List<ListCampaignsResponse> pages = pages(admin, tenant, 3);
        assertThat(pages).extracting(ListCampaignsResponse::getCampaignsCount).containsExactly(3, 3, 1);
        assertThat(pages.stream().flatMap(p -> p.getCampaignsList().stream()).map(CampaignSummary::getName)).containsExactlyElementsOf(names);
        assertThat(pages.getLast().getNextPageToken()).isEmpty();
        assertThat(pages.getFirst().getCampaigns(0)).isEqualTo(CampaignsGrpcService.summary(store.get(tenant, "a")));
        ListCampaignsResponse all = admin.listCampaigns(ListCampaignsRequest.newBuilder().setTenant(tenant).build());
        assertThat(all.getCampaignsList()).extracting(CampaignSummary::getName).as("0 = 100 per page").containsExactlyElementsOf(names);
        assertThat(all.getNextPageToken()).isEmpty();

        // between pages: the next page's first campaign is deleted and one sorting before the cursor is created
        String token = pages.getFirst().getNextPageToken(); // after "f"
        store.delete(tenant, "m");
        stored(tenant, "b", 1);
        ListCampaignsResponse second = admin.listCampaigns(ListCampaignsRequest.newBuilder().setTenant(tenant).setPageSize(3)
                .setPageToken(token).build());
        assertThat(second.getCampaignsList()).extracting(CampaignSummary::getName).containsExactly("q", "t", "x");
        assertThat(second.getNextPageToken()).as("x is the last").isEmpty();

        // the same pages on the page's JSON API
        List<String> json = new ArrayList<>();
        String next = "";
        do {
            var body = given().header("Authorization", "Bearer " + TenancyTest.KEY_ADMIN).queryParam("page_size", 2)
                    .queryParam("page_token", next).get("/rating/api/" + tenant + "/campaigns").then().statusCode(200).extract().jsonPath();
            assertThat(body.getList("campaigns", String.class)).hasSizeLessThanOrEqualTo(2);
            json.addAll(body.getList("campaigns", String.class));
            next = body.getString("next_page_token");
        } while (!next.isEmpty());
        assertThat(json).containsExactly("a", "b", "c", "f", "q", "t", "x");
        RatingResourceTest.refused(given().header("Authorization", "Bearer " + TenancyTest.KEY_ADMIN).queryParam("page_size", "ten")
                .get("/rating/api/" + tenant + "/campaigns").then(), 400, "INVALID_REQUEST", "page_size must be a whole number 0–500");
        RatingResourceTest.refused(owner().queryParam("page_token", token).get("/rating/api/tenant-a/campaigns").then(), 400,
                "INVALID_REQUEST", "another tenant's campaigns");

        // a token is bound to its tenant: tenant-b's owner and the admin listing another tenant are refused
        for (Runnable call : List.<Runnable>of(
                () -> campaigns.get(OTHER).listCampaigns(ListCampaignsRequest.newBuilder().setPageToken(token).build()),
                () -> admin.listCampaigns(ListCampaignsRequest.newBuilder().setTenant("tenant-b").setPageToken(token).build()))) {
            assertStatus(call, Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "page_token belongs to another tenant's campaigns");
            assertThat(errorInfo(call).getMetadataMap()).containsEntry("field", "page_token");
        }
        for (String bad : List.of("not a token", "eHl6", java.util.Base64.getUrlEncoder().encodeToString("p1\nregulations\n".concat(tenant).concat("\nf").getBytes()))) {
            Runnable call = () -> admin.listCampaigns(ListCampaignsRequest.newBuilder().setTenant(tenant).setPageToken(bad).build());
            assertStatus(call, Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "page_token is not a campaigns page token");
            assertThat(errorInfo(call).getMetadataMap()).containsEntry("field", "page_token");
        }
        for (int size : new int[] {-1, 501}) {
            Runnable call = () -> admin.listCampaigns(ListCampaignsRequest.newBuilder().setTenant(tenant).setPageSize(size).build());
            assertStatus(call, Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "page_size must be 0 (= 100) to 500, got " + size);
            assertThat(errorInfo(call).getMetadataMap()).containsEntry("field", "page_size");
        }

        // summaries listing 1,000 revoked raters each (~40 KB): a page of 500 stops at about 1 MiB and goes on from there
        String big = "pages-big-" + suffix;
        List<String> bigNames = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            bigNames.add(String.format("c%02d", i));
            stored(big, bigNames.getLast(), 1000);
        }
        List<ListCampaignsResponse> cut = pages(admin, big, 500);
        assertThat(cut).hasSizeGreaterThan(1).allSatisfy(p -> assertThat(p.getSerializedSize())
                .isLessThanOrEqualTo(CampaignsGrpcService.MAX_LIST_BYTES + 128));
        assertThat(cut.getFirst().getCampaignsCount()).isBetween(20, 29);
        assertThat(cut.stream().flatMap(p -> p.getCampaignsList().stream()).map(CampaignSummary::getName)).containsExactlyElementsOf(bigNames);
        assertThat(cut.getFirst().getCampaigns(0).getRatersCount()).isEqualTo(1000);
    }
}
