package io.imagescore.api;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.imagescore.api.v1.ActivatePromptSetVersionRequest;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.DeleteRegulationRequest;
import io.imagescore.api.v1.FitHeadRequest;
import io.imagescore.api.v1.FitKind;
import io.imagescore.api.v1.GetPromptSetRequest;
import io.imagescore.api.v1.GetRegulationRequest;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.LabelledImage;
import io.imagescore.api.v1.ListPromptSetsRequest;
import io.imagescore.api.v1.ListRegulationsRequest;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.Regulation;
import io.imagescore.api.v1.RegulationOrdering;
import io.imagescore.api.v1.RegulationRef;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.tenant.ApiKeys;
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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.imagescore.api.ScoreGrpcServiceTest.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two tenants with API keys (plus a score-only key and an admin): every RPC that names stored state is refused across
 * tenants, unauthenticated and wrong-role calls are refused with stable reasons, built-in heads stay read-only, and a
 * key added to the keys file works without a restart.
 */
@QuarkusTest
@TestProfile(TenancyTest.Keys.class)
class TenancyTest {
    static final String KEY_A = "isk_tenant-a-test-key", KEY_B = "isk_tenant-b-test-key",
            KEY_A_READ = "isk_tenant-a-score-only", KEY_ADMIN = "isk_admin-test-key";
    static final Path KEYS = keysFile();

    public static class Keys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                return Map.of(
                        "imagescore.packs.dirs", Shared.root().resolve("packs/mobilenetv2-default") + ","
                            + Shared.root().resolve("imagescore-core/src/test/resources/packs/clip-tiny"),
                        "imagescore.data-dir", Files.createTempDirectory("imagescore-tenancy").toString(),
                        "imagescore.security.api-keys-file", KEYS.toString(),
                        // retention: the active version and one more
                        "imagescore.retention.head-versions", "1", "imagescore.retention.prompt-set-versions", "1");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static Path keysFile() {
        try {
            // one fixed path: the profile (read by the application) and the test instance load this class separately
            Path f = Path.of("target/tenancy-test-keys.txt").toAbsolutePath();
            Files.writeString(f, String.join("\n",
                    "# test keys",
                    ApiKeys.hash(KEY_A) + " tenant-a score,configure",
                    ApiKeys.hash(KEY_B) + " tenant-b score,configure",
                    ApiKeys.hash(KEY_A_READ) + " tenant-a score",
                    ApiKeys.hash(KEY_ADMIN) + " ops admin", ""));
            Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10_000));
            return f;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    ManagedChannel channel;
    final Map<String, ImageSortGrpc.ImageSortBlockingStub> sort = new HashMap<>();
    final Map<String, PromptSetsGrpc.PromptSetsBlockingStub> sets = new HashMap<>();
    final Map<String, ImageScoreGrpc.ImageScoreBlockingStub> score = new HashMap<>();
    final Map<String, HeadFittingGrpc.HeadFittingBlockingStub> fit = new HashMap<>();
    final Map<String, io.imagescore.api.v1.ExperimentsGrpc.ExperimentsBlockingStub> experiments = new HashMap<>();

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        for (String key : List.of(KEY_A, KEY_B, KEY_A_READ, KEY_ADMIN, "", "isk_not-a-known-key")) {
            sort.put(key, as(key, ImageSortGrpc.newBlockingStub(channel)));
            sets.put(key, as(key, PromptSetsGrpc.newBlockingStub(channel)));
            score.put(key, as(key, ImageScoreGrpc.newBlockingStub(channel)));
            fit.put(key, as(key, HeadFittingGrpc.newBlockingStub(channel)));
            experiments.put(key, as(key, io.imagescore.api.v1.ExperimentsGrpc.newBlockingStub(channel)));
        }
    }

    static <S extends AbstractStub<S>> S as(String key, S stub) {
        S s = stub.withDeadlineAfter(60, TimeUnit.SECONDS);
        if (key.isEmpty()) {
            return s;
        }
        Metadata md = new Metadata();
        md.put(CallerInterceptor.AUTHORIZATION, "Bearer " + key);
        return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static final Regulation ROOMS = Regulation.newBuilder().setClassifier("imagenet")
            .addAllClasses(List.of("quilt", "bathtub", "microwave", "dining table")).build();

    static ImageInput photo(String path) {
        return ImageInput.newBuilder().setId(path).setData(ByteString.copyFrom(Shared.bytes(path))).build();
    }

    @Test
    void calls_without_a_valid_key_are_unauthenticated_and_probes_stay_open() {
        ScoreRequest req = ScoreRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG")).build();
        assertStatus(() -> score.get("").score(req), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "authorization: Bearer");
        assertStatus(() -> score.get("isk_not-a-known-key").score(req), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "unknown API key");
        assertStatus(() -> sort.get("").listRegulations(ListRegulationsRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "API key");
        var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        assertThat(score.get(KEY_A_READ).score(req).getResultsCount()).isEqualTo(1);
    }

    @Test
    void a_tenant_cannot_read_list_change_or_delete_another_tenants_regulations() {
        var stored = sort.get(KEY_A).putRegulation(PutRegulationRequest.newBuilder().setName("rooms").setRegulation(ROOMS).build());
        assertThat(stored.getTenant()).as("an omitted tenant is the caller's").isEqualTo("tenant-a");

        assertStatus(() -> sort.get(KEY_B).getRegulation(GetRegulationRequest.newBuilder().setTenant("tenant-a").setName("rooms").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "cannot act on tenant 'tenant-a'");
        assertStatus(() -> sort.get(KEY_B).getRegulation(GetRegulationRequest.newBuilder().setName("rooms").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_REGULATION", "tenant-b");
        assertThat(sort.get(KEY_B).listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList()).isEmpty();
        assertStatus(() -> sort.get(KEY_B).listRegulations(ListRegulationsRequest.newBuilder().setTenant("tenant-a").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sort.get(KEY_B).putRegulation(PutRegulationRequest.newBuilder().setTenant("tenant-a").setName("rooms").setRegulation(ROOMS).build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sort.get(KEY_B).deleteRegulation(DeleteRegulationRequest.newBuilder().setTenant("tenant-a").setName("rooms").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        SortRequest byStored = SortRequest.newBuilder().addImages(photo("data/rooms/eval/kitchen/Places365_val_00000266.jpg"))
                .setByRegulation(RegulationOrdering.newBuilder().setStored(RegulationRef.newBuilder().setTenant("tenant-a").setName("rooms"))).build();
        assertStatus(() -> sort.get(KEY_B).sort(byStored), Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertThat(sort.get(KEY_A).sort(byStored).getOrderCount()).isEqualTo(1);

        // A's state is untouched, and the score-only key of tenant A may read but not change it
        assertThat(sort.get(KEY_A_READ).getRegulation(GetRegulationRequest.newBuilder().setName("rooms").build()).getVersion())
                .isEqualTo(stored.getVersion());
        assertStatus(() -> sort.get(KEY_A_READ).deleteRegulation(DeleteRegulationRequest.newBuilder().setName("rooms").build()),
                Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "needs the role 'configure'");
        assertThat(sort.get(KEY_ADMIN).listRegulations(ListRegulationsRequest.newBuilder().setTenant("tenant-a").build())
                .getRegulationsList()).extracting(r -> r.getName()).containsExactly("rooms");
    }

    @Test
    void a_tenant_cannot_read_list_activate_or_extend_another_tenants_prompt_sets() {
        var spec = PromptSetsGrpcServiceTest.spec(false);
        var v1 = sets.get(KEY_A).createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("looks").setSpec(spec).build());
        assertThat(v1.getRef().getTenant()).isEqualTo("tenant-a");
        assertStatus(() -> sets.get(KEY_B).getPromptSet(GetPromptSetRequest.newBuilder().setTenant("tenant-a").setName("looks").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sets.get(KEY_B).getPromptSet(GetPromptSetRequest.newBuilder().setName("looks").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PROMPT_SET", "tenant-b");
        assertThat(sets.get(KEY_B).listPromptSets(ListPromptSetsRequest.getDefaultInstance()).getPromptSetsList())
                .noneMatch(s -> s.getTenant().equals("tenant-a"));
        assertThat(sets.get(KEY_A).listPromptSets(ListPromptSetsRequest.getDefaultInstance()).getPromptSetsList())
                .allMatch(s -> s.getTenant().equals("tenant-a")).isNotEmpty();
        assertStatus(() -> sets.get(KEY_B).createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("tenant-a").setName("looks").setSpec(spec).build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sets.get(KEY_B).activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder().setTenant("tenant-a").setName("looks").setVersion("1").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sets.get(KEY_A_READ).createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("looks").setSpec(spec).build()),
                Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        ScoreRequest withSet = ScoreRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG"))
                .setOptions(ScoreOptions.newBuilder().setPack("clip-tiny").setTenant("tenant-a").setPromptSet("looks")).build();
        assertStatus(() -> score.get(KEY_B).score(withSet), Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertThat(score.get(KEY_A).score(withSet).getResults(0).hasScores()).isTrue();
        assertThat(sets.get(KEY_A).getPromptSet(GetPromptSetRequest.newBuilder().setName("looks").build()).getRef().getVersion()).isEqualTo(v1.getRef().getVersion());
    }

    @Test
    void fitting_a_head_named_like_a_built_in_leaves_every_tenants_scores_bit_identical() {
        ScoreRequest req = ScoreRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG"))
                .setOptions(ScoreOptions.newBuilder().addScores("quality_fast")).build();
        ScoreResponse before = score.get(KEY_B).score(req);
        FitHeadRequest.Builder f = FitHeadRequest.newBuilder().setName("quality_fast").setKind(FitKind.FIT_KIND_REGRESSION).addViews("center");
        for (int i = 0; i < 8; i++) {
            String file = "data/clive/images/10%02d.JPG".formatted(i);
            f.addImages(LabelledImage.newBuilder().setId(file).setData(ByteString.copyFrom(Shared.bytes(file))).setTarget(100 - i));
        }
        assertStatus(() -> fit.get(KEY_A).fitHead(f.build()), Status.Code.PERMISSION_DENIED, "BUILTIN_READ_ONLY", "read-only");
        assertStatus(() -> fit.get(KEY_A_READ).fitHead(f.setName("mine").build()), Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        ScoreResponse after = score.get(KEY_B).score(req);
        assertThat(after.getResults(0).getScores()).isEqualTo(before.getResults(0).getScores());
        assertThat(after.getPack()).isEqualTo(before.getPack());
    }

    static FitHeadRequest.Builder regression(String name, int offset) {
        FitHeadRequest.Builder f = FitHeadRequest.newBuilder().setName(name).setKind(FitKind.FIT_KIND_REGRESSION).addViews("center").setFolds(2);
        for (int i = 0; i < 12; i++) {
            String file = "data/clive/images/10%02d.JPG".formatted(i);
            f.addImages(LabelledImage.newBuilder().setId(file).setData(ByteString.copyFrom(Shared.bytes(file))).setTarget(offset + 3 * i));
        }
        return f;
    }

    static java.util.List<String> scoreNames(io.imagescore.api.v1.DescribePacksResponse r) {
        return r.getPacks(0).getScoresList().stream().map(io.imagescore.api.v1.ScoreDescription::getName).toList();
    }

    @Test
    void a_fitted_head_is_visible_scorable_and_deletable_only_by_its_tenant() {
        var fitA = fit.get(KEY_A);
        assertThat(fitA.fitHead(regression("style", 40).build()).getVersion()).isEqualTo("1");
        assertThat(fitA.fitHead(regression("style", 70).build()).getVersion()).isEqualTo("2");
        // retention keeps the active version and one more
        assertThat(fitA.fitHead(regression("style", 10).build()).getVersionsList()).containsExactly("2", "3");
        ScoreRequest byStyle = ScoreRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG"))
                .setOptions(ScoreOptions.newBuilder().addScores("style")).build();
        double aScore = score.get(KEY_A).score(byStyle).getResults(0).getScores().getScores(0).getValue();
        var describe = io.imagescore.api.v1.DescribePacksRequest.newBuilder().setPack("mobilenetv2-default").build();
        assertThat(scoreNames(score.get(KEY_A).describePacks(describe))).contains("style", "quality_fast");

        // tenant B: as if the head did not exist, in every RPC that names a head
        assertStatus(() -> score.get(KEY_B).score(byStyle), Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "style");
        assertStatus(() -> score.get(KEY_B).score(ScoreRequest.newBuilder(byStyle).setOptions(ScoreOptions.newBuilder().addScores("style@1")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "style");
        assertThat(scoreNames(score.get(KEY_B).describePacks(describe))).doesNotContain("style").contains("quality_fast");
        var sortByStyle = SortRequest.newBuilder().addImages(photo("data/clive/images/1000.JPG")).addImages(photo("data/clive/images/1001.JPG"))
                .setByScore(io.imagescore.api.v1.ScoreOrdering.newBuilder().addTerms(io.imagescore.api.v1.WeightedScore.newBuilder().setScore("style").setWeight(1)));
        assertThat(sort.get(KEY_A).sort(sortByStyle.build()).getOrderCount()).isEqualTo(2);
        assertStatus(() -> sort.get(KEY_B).sort(sortByStyle.build()), Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "style");
        assertStatus(() -> score.get(KEY_B).describePacks(io.imagescore.api.v1.DescribePacksRequest.newBuilder().setTenant("tenant-a").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> fit.get(KEY_B).deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("style").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "style");
        assertStatus(() -> fit.get(KEY_B).deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setTenant("tenant-a").setName("style").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");

        // B's head of the same name is B's own: its own version 1, and A's scores do not move
        assertThat(fit.get(KEY_B).fitHead(regression("style", 90).build()).getVersion()).isEqualTo("1");
        assertThat(score.get(KEY_A).score(byStyle).getResults(0).getScores().getScores(0).getValue()).isEqualTo(aScore);
        assertThat(score.get(KEY_B).score(byStyle).getResults(0).getScores().getScores(0).getVersion()).isEqualTo("1");
        assertThat(fit.get(KEY_B).deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("style").build()).getDeletedVersions()).isEqualTo(1);
        assertStatus(() -> score.get(KEY_B).score(byStyle), Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "style");
        assertThat(score.get(KEY_A).score(byStyle).getResults(0).getScores().getScores(0).getValue()).isEqualTo(aScore);

        // deleting: role configure, built-ins read-only, the active version stays, then the whole head
        var v2 = io.imagescore.api.v1.DeleteHeadVersionRequest.newBuilder().setName("style").setVersion("3").build();
        assertStatus(() -> fit.get(KEY_A_READ).deleteHeadVersion(v2), Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        assertStatus(() -> fitA.deleteHeadVersion(v2), Status.Code.FAILED_PRECONDITION, "ACTIVE_VERSION", "active");
        assertStatus(() -> fitA.deleteHeadVersion(io.imagescore.api.v1.DeleteHeadVersionRequest.newBuilder(v2).setVersion("7").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_HEAD_VERSION", "no version 7");
        assertStatus(() -> fitA.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("quality_fast").build()),
                Status.Code.PERMISSION_DENIED, "BUILTIN_READ_ONLY", "read-only");
        assertStatus(() -> score.get(KEY_A).score(ScoreRequest.newBuilder(byStyle).setOptions(ScoreOptions.newBuilder().addScores("style@1")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_HEAD_VERSION", "style");
        var left = fitA.deleteHeadVersion(io.imagescore.api.v1.DeleteHeadVersionRequest.newBuilder(v2).setVersion("2").build());
        assertThat(left.getVersionsList()).containsExactly("3");
        assertStatus(() -> score.get(KEY_A).score(ScoreRequest.newBuilder(byStyle).setOptions(ScoreOptions.newBuilder().addScores("style@2")).build()),
                Status.Code.NOT_FOUND, "UNKNOWN_HEAD_VERSION", "style");
        assertThat(fitA.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("style").build()).getDeletedVersions()).isEqualTo(1);
        assertThat(scoreNames(score.get(KEY_A).describePacks(describe))).doesNotContain("style");
    }

    @Test
    void a_head_version_an_experiment_pins_outlives_retention_and_cannot_be_deleted() {
        var fitA = fit.get(KEY_A);
        assertThat(fitA.fitHead(regression("pinned", 40).build()).getVersion()).isEqualTo("1");
        var spec = io.imagescore.api.v1.ExperimentSpec.newBuilder().setSalt("s")
                .addVariants(io.imagescore.api.v1.ExperimentVariant.newBuilder().setName("a").setWeight(1)
                        .setSpec(io.imagescore.api.v1.VariantSpec.newBuilder().addScores("pinned@1")))
                .addVariants(io.imagescore.api.v1.ExperimentVariant.newBuilder().setName("b").setWeight(1)
                        .setSpec(io.imagescore.api.v1.VariantSpec.newBuilder().addScores("quality_fast")));
        experiments.get(KEY_A).createExperimentVersion(io.imagescore.api.v1.CreateExperimentVersionRequest.newBuilder()
                .setName("hero").setSpec(spec).build());
        fitA.fitHead(regression("pinned", 70).build());
        // retention keeps the active version and one more, and the pinned version 1 beside them
        assertThat(fitA.fitHead(regression("pinned", 10).build()).getVersionsList()).containsExactly("1", "2", "3");
        assertThat(fitA.fitHead(regression("pinned", 20).build()).getVersionsList()).containsExactly("1", "3", "4");
        var v1 = io.imagescore.api.v1.DeleteHeadVersionRequest.newBuilder().setName("pinned").setVersion("1").build();
        assertStatus(() -> fitA.deleteHeadVersion(v1), Status.Code.FAILED_PRECONDITION, "VERSION_PINNED", "hero@1");
        assertStatus(() -> fitA.deleteHead(io.imagescore.api.v1.DeleteHeadRequest.newBuilder().setName("pinned").build()),
                Status.Code.FAILED_PRECONDITION, "VERSION_PINNED", "hero@1");
        assertThat(fitA.deleteHeadVersion(io.imagescore.api.v1.DeleteHeadVersionRequest.newBuilder(v1).setVersion("3").build())
                .getVersionsList()).containsExactly("1", "4");
    }

    @Test
    void images_a_tenant_embedded_are_referenced_by_hash_only_by_that_tenant() throws Exception {
        // photos no other test sends, so neither tenant has them cached before
        FitHeadRequest.Builder byBytes = FitHeadRequest.newBuilder().setName("by_bytes").setKind(FitKind.FIT_KIND_REGRESSION)
                .addViews("center").setFolds(2);
        FitHeadRequest.Builder byHash = FitHeadRequest.newBuilder(byBytes.build()).setName("by_hash");
        for (int i = 0; i < 12; i++) {
            String file = "data/clive/images/11%02d.JPG".formatted(i);
            byte[] data = Shared.bytes(file);
            byBytes.addImages(LabelledImage.newBuilder().setId(file).setData(ByteString.copyFrom(data)).setTarget(3 * i));
            byHash.addImages(LabelledImage.newBuilder().setId(file).setTarget(3 * i)
                    .setSha256(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data))));
        }
        fit.get(KEY_A).fitHead(byBytes.build());
        // B never sent these photos: their hashes name nothing for B, although A's embeddings are in the shared cache
        assertStatus(() -> fit.get(KEY_B).fitHead(byHash.build()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST",
                "no cached embedding");
        assertThat(fit.get(KEY_A).fitHead(byHash.build()).getVersion()).isEqualTo("1");
    }

    @Test
    void a_prompt_set_version_is_deleted_only_by_its_tenant_and_never_while_active() {
        var spec = PromptSetsGrpcServiceTest.spec(false);
        var create = CreatePromptSetVersionRequest.newBuilder().setName("kept").setSpec(spec).build();
        sets.get(KEY_A).createPromptSetVersion(create);
        sets.get(KEY_A).createPromptSetVersion(create);
        sets.get(KEY_A).createPromptSetVersion(create);
        // retention keeps the active version (1) and the newest other one
        assertThat(sets.get(KEY_A).listPromptSets(ListPromptSetsRequest.getDefaultInstance()).getPromptSetsList().stream()
                .filter(p -> p.getName().equals("kept")).findFirst().orElseThrow().getVersionsList()).containsExactly("1", "3");
        var delete = io.imagescore.api.v1.DeletePromptSetVersionRequest.newBuilder().setName("kept").setVersion("1").build();
        assertStatus(() -> sets.get(KEY_A).deletePromptSetVersion(delete), Status.Code.FAILED_PRECONDITION, "ACTIVE_VERSION", "active");
        assertStatus(() -> sets.get(KEY_B).deletePromptSetVersion(io.imagescore.api.v1.DeletePromptSetVersionRequest.newBuilder(delete).setTenant("tenant-a").setVersion("3").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        assertStatus(() -> sets.get(KEY_B).deletePromptSetVersion(io.imagescore.api.v1.DeletePromptSetVersionRequest.newBuilder(delete).setVersion("3").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PROMPT_SET", "kept");
        assertStatus(() -> sets.get(KEY_A_READ).deletePromptSetVersion(delete), Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "configure");
        assertThat(sets.get(KEY_A).deletePromptSetVersion(io.imagescore.api.v1.DeletePromptSetVersionRequest.newBuilder(delete).setVersion("3").build())
                .getVersionsList()).containsExactly("1");
        assertStatus(() -> sets.get(KEY_A).getPromptSet(GetPromptSetRequest.newBuilder().setName("kept").setVersion("3").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_PROMPT_SET", "kept");
    }

    @Test
    void a_key_added_to_the_file_works_without_a_restart() throws Exception {
        String fresh = ApiKeys.create("tenant-c", java.util.Set.of(io.imagescore.tenant.Role.SCORE)).key();
        var stub = as(fresh, ImageSortGrpc.newBlockingStub(channel));
        assertStatus(() -> stub.listRegulations(ListRegulationsRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "unknown");
        Files.writeString(KEYS, ApiKeys.hash(fresh) + " tenant-c score\n", StandardOpenOption.APPEND);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                assertThat(stub.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList()).isEmpty();
                break;
            } catch (io.grpc.StatusRuntimeException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
