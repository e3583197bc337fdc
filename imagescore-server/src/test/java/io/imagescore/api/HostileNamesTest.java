package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.ActivatePromptSetVersionRequest;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.DeleteHeadRequest;
import io.imagescore.api.v1.DeleteHeadVersionRequest;
import io.imagescore.api.v1.DeletePromptSetVersionRequest;
import io.imagescore.api.v1.DeleteRegulationRequest;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.EvaluateHeadRequest;
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
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.Regulation;
import io.imagescore.api.v1.RegulationOrdering;
import io.imagescore.api.v1.RegulationRef;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.tenant.TenantNames;
import io.imagescore.tenant.TenantNamesTest;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every RPC that takes a name refuses hostile names (path traversal, absolute paths, NUL and control characters,
 * 10 KB names, Unicode look-alikes) with INVALID_ARGUMENT / INVALID_REQUEST and a message naming the rule, and none of
 * them writes anything: the data directory ({@code imagescore.data-dir}) and its surroundings are the same afterwards.
 */
@QuarkusTest
class HostileNamesTest {
    static final String VALID = "hygiene-ok";
    static final List<String> HOSTILE_VERSIONS = List.of("../1", "1/../../x", "/etc/x", "0", "01", "x", "99999999999", "-1",
            "1\0", "\uff11", "9".repeat(10 * 1024));
    static final List<String> SCORE_REFS = List.of("quality@", "quality@x", "quality@99999999999", "@1", "quality@0",
            "quality@../1", "quality@1@2");

    ManagedChannel channel;
    ImageScoreGrpc.ImageScoreBlockingStub score;
    PromptSetsGrpc.PromptSetsBlockingStub sets;
    ImageSortGrpc.ImageSortBlockingStub sort;
    HeadFittingGrpc.HeadFittingBlockingStub fitting;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        score = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        sets = PromptSetsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        sort = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        fitting = HeadFittingGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static Path dataDir() {
        return Path.of(ConfigProvider.getConfig().getValue("imagescore.data-dir", String.class)).toAbsolutePath().normalize();
    }

    static final PromptSetSpec SPEC = PromptSetSpec.newBuilder().addAttributes(PromptAttribute.newBuilder().setName("good")
            .addPairs(PromptPair.newBuilder().setPositive("Good photo.").setNegative("Bad photo."))).build();
    static final Regulation REGULATION = Regulation.newBuilder().setClassifier("room_type").addClasses("kitchen").build();
    static final ImageInput IMAGE = ImageInput.newBuilder().setId("i").setData(ByteString.copyFrom(new byte[] {1, 2, 3})).build();

    /** Each RPC that takes a name, as a call with that name in one field. */
    static Map<String, Function<String, Runnable>> calls(HostileNamesTest t) {
        Map<String, Function<String, Runnable>> c = new LinkedHashMap<>();
        c.put("CreatePromptSetVersion.tenant", n -> () -> t.sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder()
                .setTenant(n).setName(VALID).setSpec(SPEC).build()));
        c.put("CreatePromptSetVersion.name", n -> () -> t.sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder()
                .setName(n).setSpec(SPEC).build()));
        c.put("GetPromptSet.tenant", n -> () -> t.sets.getPromptSet(GetPromptSetRequest.newBuilder().setTenant(n).setName(VALID).build()));
        c.put("GetPromptSet.name", n -> () -> t.sets.getPromptSet(GetPromptSetRequest.newBuilder().setName(n).build()));
        c.put("ActivatePromptSetVersion.tenant", n -> () -> t.sets.activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder()
                .setTenant(n).setName(VALID).setVersion("1").build()));
        c.put("ActivatePromptSetVersion.name", n -> () -> t.sets.activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder()
                .setName(n).setVersion("1").build()));
        c.put("ListPromptSets.tenant", n -> () -> t.sets.listPromptSets(ListPromptSetsRequest.newBuilder().setTenant(n).build()));
        c.put("PutRegulation.tenant", n -> () -> t.sort.putRegulation(PutRegulationRequest.newBuilder().setTenant(n).setName(VALID)
                .setRegulation(REGULATION).build()));
        c.put("PutRegulation.name", n -> () -> t.sort.putRegulation(PutRegulationRequest.newBuilder().setName(n)
                .setRegulation(REGULATION).build()));
        c.put("PutRegulation.classifier", n -> () -> t.sort.putRegulation(PutRegulationRequest.newBuilder().setName(VALID)
                .setRegulation(REGULATION.toBuilder().setClassifier(n)).build()));
        c.put("GetRegulation.tenant", n -> () -> t.sort.getRegulation(GetRegulationRequest.newBuilder().setTenant(n).setName(VALID).build()));
        c.put("GetRegulation.name", n -> () -> t.sort.getRegulation(GetRegulationRequest.newBuilder().setName(n).build()));
        c.put("DeleteRegulation.tenant", n -> () -> t.sort.deleteRegulation(DeleteRegulationRequest.newBuilder().setTenant(n).setName(VALID).build()));
        c.put("DeleteRegulation.name", n -> () -> t.sort.deleteRegulation(DeleteRegulationRequest.newBuilder().setName(n).build()));
        c.put("ListRegulations.tenant", n -> () -> t.sort.listRegulations(ListRegulationsRequest.newBuilder().setTenant(n).build()));
        c.put("Sort.stored.tenant", n -> () -> t.sort.sort(SortRequest.newBuilder().addImages(IMAGE).setByRegulation(RegulationOrdering
                .newBuilder().setStored(RegulationRef.newBuilder().setTenant(n).setName(VALID))).build()));
        c.put("Sort.stored.name", n -> () -> t.sort.sort(SortRequest.newBuilder().addImages(IMAGE).setByRegulation(RegulationOrdering
                .newBuilder().setStored(RegulationRef.newBuilder().setName(n))).build()));
        c.put("FitHead.name", n -> () -> t.fitting.fitHead(FitHeadRequest.newBuilder().setName(n).setKind(FitKind.FIT_KIND_REGRESSION)
                .addImages(LabelledImage.newBuilder().setId("a").setSha256("0".repeat(64)).setTarget(1)).build()));
        c.put("FitHead.pack", n -> () -> t.fitting.fitHead(FitHeadRequest.newBuilder().setPack(n).setName(VALID.replace('-', '_'))
                .setKind(FitKind.FIT_KIND_REGRESSION).build()));
        c.put("FitHead.tenant", n -> () -> t.fitting.fitHead(FitHeadRequest.newBuilder().setTenant(n).setName(VALID.replace('-', '_'))
                .setKind(FitKind.FIT_KIND_REGRESSION).build()));
        c.put("DeleteHead.tenant", n -> () -> t.fitting.deleteHead(DeleteHeadRequest.newBuilder().setTenant(n).setName(VALID).build()));
        c.put("DeleteHead.pack", n -> () -> t.fitting.deleteHead(DeleteHeadRequest.newBuilder().setPack(n).setName(VALID).build()));
        c.put("DeleteHead.name", n -> () -> t.fitting.deleteHead(DeleteHeadRequest.newBuilder().setName(n).build()));
        c.put("DeleteHeadVersion.name", n -> () -> t.fitting.deleteHeadVersion(DeleteHeadVersionRequest.newBuilder().setName(n).setVersion("1").build()));
        c.put("DeletePromptSetVersion.tenant", n -> () -> t.sets.deletePromptSetVersion(DeletePromptSetVersionRequest.newBuilder()
                .setTenant(n).setName(VALID).setVersion("1").build()));
        c.put("DeletePromptSetVersion.name", n -> () -> t.sets.deletePromptSetVersion(DeletePromptSetVersionRequest.newBuilder()
                .setName(n).setVersion("1").build()));
        c.put("DescribePacks.tenant", n -> () -> t.score.describePacks(DescribePacksRequest.newBuilder().setTenant(n).build()));
        c.put("Sort.tenant", n -> () -> t.sort.sort(SortRequest.newBuilder().setTenant(n).addImages(IMAGE).build()));
        c.put("EvaluateHead.tenant", n -> () -> t.fitting.evaluateHead(EvaluateHeadRequest.newBuilder().setTenant(n).setScore("quality").build()));
        c.put("EvaluateHead.score", n -> () -> t.fitting.evaluateHead(EvaluateHeadRequest.newBuilder().setScore(n).build()));
        c.put("Score.scores", n -> () -> t.score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().addScores(n)).build()));
        c.put("Score.tenant", n -> () -> t.score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().setTenant(n).setPromptSet(VALID)).build()));
        c.put("Score.prompt_set", n -> () -> t.score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().setPromptSet(n)).build()));
        c.put("Score.pack", n -> () -> t.score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().setPack(n)).build()));
        return c;
    }

    /** Each RPC that takes a version, as a call with that version. */
    Map<String, Function<String, Runnable>> versionCalls() {
        Map<String, Function<String, Runnable>> c = new LinkedHashMap<>();
        c.put("GetPromptSet.version", v -> () -> sets.getPromptSet(GetPromptSetRequest.newBuilder().setName(VALID).setVersion(v).build()));
        c.put("ActivatePromptSetVersion.version", v -> () -> sets.activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder()
                .setName(VALID).setVersion(v).build()));
        c.put("DeleteHeadVersion.version", v -> () -> fitting.deleteHeadVersion(DeleteHeadVersionRequest.newBuilder().setName(VALID).setVersion(v).build()));
        c.put("DeletePromptSetVersion.version", v -> () -> sets.deletePromptSetVersion(DeletePromptSetVersionRequest.newBuilder()
                .setName(VALID).setVersion(v).build()));
        c.put("GetRegulation.version", v -> () -> sort.getRegulation(GetRegulationRequest.newBuilder().setName(VALID).setVersion(v).build()));
        c.put("Sort.stored.version", v -> () -> sort.sort(SortRequest.newBuilder().addImages(IMAGE).setByRegulation(RegulationOrdering
                .newBuilder().setStored(RegulationRef.newBuilder().setName(VALID).setVersion(v))).build()));
        c.put("Score.prompt_set_version", v -> () -> score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().setPromptSet(VALID).setPromptSetVersion(v)).build()));
        c.put("Score.scores@version", v -> () -> score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().addScores("quality@" + v)).build()));
        return c;
    }

    static void assertInvalid(String what, Runnable call, String rulePart) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as(what).isNotNull();
        assertThat(e.getStatus().getCode()).as(what + ": " + e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        String message = e.getStatus().getDescription();
        assertThat(message).as(what).contains(rulePart).hasSizeLessThan(500)
                .doesNotContain("\0", "\n", "\u0007", "\u0430", "\uff41", "\uff11", "Exception");
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        assertThat(details).as(what).isNotNull();
        assertThat(details.getDetailsList()).as(what).anySatisfy(any -> {
            try {
                ErrorInfo info = any.unpack(ErrorInfo.class);
                assertThat(info.getReason()).isEqualTo("INVALID_REQUEST");
                assertThat(info.getDomain()).isEqualTo("imagescore");
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        });
    }

    /** Every file and directory under {@code dir}, relative; empty if it does not exist. */
    static Set<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void every_rpc_taking_a_name_refuses_hostile_names_and_writes_nothing() throws IOException {
        Path data = dataDir();
        Path around = data.getParent();
        Set<String> dataBefore = tree(data);
        Set<String> aroundBefore = listing(around);
        Set<String> grandBefore = listing(around.getParent());
        List<Path> escapes = List.of(Path.of("/etc/x"), around.resolve("x"), around.getParent().resolve("x"), Path.of("/x"));
        List<Path> preexisting = escapes.stream().filter(Files::exists).toList();

        List<String> checked = new ArrayList<>();
        for (var call : calls(this).entrySet()) {
            for (String name : TenantNamesTest.HOSTILE) {
                String what = call.getKey() + " = " + TenantNames.quote(name);
                assertInvalid(what, call.getValue().apply(name), "must be 1-64 characters");
                checked.add(what);
            }
        }
        for (var call : versionCalls().entrySet()) {
            for (String version : HOSTILE_VERSIONS) {
                String what = call.getKey() + " = " + TenantNames.quote(version);
                assertInvalid(what, call.getValue().apply(version), "must be a positive whole number");
                checked.add(what);
            }
        }
        for (String ref : SCORE_REFS) {
            assertInvalid("Score.scores = " + ref, calls(this).get("Score.scores").apply(ref), "must be");
            assertInvalid("EvaluateHead.score = " + ref, calls(this).get("EvaluateHead.score").apply(ref), "must be");
        }
        assertThat(checked).hasSize(calls(this).size() * TenantNamesTest.HOSTILE.size() + versionCalls().size() * HOSTILE_VERSIONS.size());

        assertThat(tree(data)).as("data directory after hostile requests").isEqualTo(dataBefore);
        assertThat(listing(around)).isEqualTo(aroundBefore);
        assertThat(listing(around.getParent())).isEqualTo(grandBefore);
        for (Path p : escapes) {
            if (!preexisting.contains(p)) {
                assertThat(p).doesNotExist();
            }
        }
    }

    @Test
    void a_client_sha256_is_used_only_as_64_lowercase_hex() throws IOException {
        Set<String> before = tree(dataDir());
        for (String bad : List.of("../../../../etc/passwd", "/etc/passwd", "ab", "0".repeat(63), "0".repeat(65),
                "A".repeat(64), "0".repeat(62) + "/x", "0".repeat(63) + "\0", "\uff10".repeat(64))) {
            Runnable fit = () -> fitting.fitHead(FitHeadRequest.newBuilder().setName("hygiene_head").setKind(FitKind.FIT_KIND_REGRESSION)
                    .addImages(LabelledImage.newBuilder().setId("a").setSha256(bad).setTarget(1)).build());
            assertInvalid("FitHead sha256 " + TenantNames.quote(bad), fit, "must be exactly 64 lowercase hex characters");
            Runnable eval = () -> fitting.evaluateHead(EvaluateHeadRequest.newBuilder().setScore("quality")
                    .addImages(LabelledImage.newBuilder().setId("a").setSha256(bad).setTarget(1)).build());
            assertInvalid("EvaluateHead sha256 " + TenantNames.quote(bad), eval, "must be exactly 64 lowercase hex characters");
        }
        assertThat(tree(dataDir())).isEqualTo(before);
    }

    @Test
    void an_unknown_preprocess_mode_is_invalid_not_silently_exact() {
        for (int mode : new int[] {3, 99, -5}) {
            assertInvalid("Score preprocess_mode " + mode, () -> score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                    .setOptions(ScoreOptions.newBuilder().setPreprocessModeValue(mode)).build()), "preprocess_mode " + mode + " is not a known mode");
            assertInvalid("FitHead preprocess_mode " + mode, () -> fitting.fitHead(FitHeadRequest.newBuilder().setName("hygiene_head")
                    .setKind(FitKind.FIT_KIND_REGRESSION).setPreprocessModeValue(mode).build()), "is not a known mode");
        }
        // the defined values still work
        var fast = score.score(ScoreRequest.newBuilder().addImages(IMAGE)
                .setOptions(ScoreOptions.newBuilder().setPreprocessModeValue(2).addScores("quality")).build());
        assertThat(fast.getResults(0).getError().getCode()).isNotEmpty(); // 3 bytes are no image: a per-image error, not a request error
    }

    @Test
    void a_very_large_but_defined_version_is_not_found_and_not_internal() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> score.score(ScoreRequest.newBuilder()
                .addImages(IMAGE).setOptions(ScoreOptions.newBuilder().addScores("quality@999999999")).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).contains("has no version '999999999'");
    }

    static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}
