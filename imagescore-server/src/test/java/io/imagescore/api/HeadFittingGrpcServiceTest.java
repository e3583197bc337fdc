package io.imagescore.api;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.EvaluateHeadRequest;
import io.imagescore.api.v1.EvaluateHeadResponse;
import io.imagescore.api.v1.FitHeadRequest;
import io.imagescore.api.v1.FitHeadResponse;
import io.imagescore.api.v1.FitKind;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.LabelledImage;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
class HeadFittingGrpcServiceTest {
    static final String HEAD = "test_quality";
    ManagedChannel channel;
    HeadFittingGrpc.HeadFittingBlockingStub fittingStub;
    ImageScoreGrpc.ImageScoreBlockingStub scoringStub;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        fittingStub = HeadFittingGrpc.newBlockingStub(channel);
        scoringStub = ImageScoreGrpc.newBlockingStub(channel);
    }

    // A stub's deadline is absolute from when it is set: each call gets its own, so a slow fit on a loaded machine
    // does not leave the next call with an expired one.
    HeadFittingGrpc.HeadFittingBlockingStub fitting() {
        return fittingStub.withDeadlineAfter(300, TimeUnit.SECONDS);
    }

    ImageScoreGrpc.ImageScoreBlockingStub scoring() {
        return scoringStub.withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    record Rated(String file, byte[] data, double mos) {
    }

    static List<Rated> clive(int n) throws IOException {
        List<Rated> out = new ArrayList<>();
        for (String line : Files.readAllLines(Shared.path("data/clive/mos.csv")).subList(1, n + 1)) {
            String[] f = line.split(",");
            out.add(new Rated(f[0], Shared.bytes("data/clive/images/" + f[0]), Double.parseDouble(f[1])));
        }
        return out;
    }

    static String sha256(byte[] data) {
        return io.imagescore.score.ScoringPipeline.sha256(data);
    }

    double score(Rated r, String scoreRef, String expectVersion) {
        var res = scoring().score(ScoreRequest.newBuilder()
                .addImages(ImageInput.newBuilder().setId(r.file()).setData(ByteString.copyFrom(r.data())))
                .setOptions(ScoreOptions.newBuilder().addScores(scoreRef)).build());
        NamedScore s = res.getResults(0).getScores().getScoresList().getFirst();
        assertThat(s.getName()).isEqualTo(HEAD);
        assertThat(s.getVersion()).isEqualTo(expectVersion);
        return s.getValue();
    }

    @Test
    void a_head_fitted_through_the_rpc_is_served_by_the_next_score_call_and_the_old_version_still_answers() throws IOException {
        List<Rated> set = clive(24);
        FitHeadRequest.Builder first = FitHeadRequest.newBuilder().setName(HEAD).setKind(FitKind.FIT_KIND_REGRESSION)
                .addViews("center").setSeed(1).setFolds(4).setUnit("MOS");
        set.forEach(r -> first.addImages(LabelledImage.newBuilder().setId(r.file()).setData(ByteString.copyFrom(r.data())).setTarget(r.mos())));
        FitHeadResponse v1 = fitting().fitHead(first.build());
        assertThat(v1.getVersionsList()).contains(v1.getVersion());
        assertThat(v1.getTrainingSetSha256()).hasSize(64);
        assertThat(v1.getMethod()).isEqualTo("ridge");
        assertThat(v1.hasCvRegression()).isTrue();

        Rated probe = set.get(5);
        double a = score(probe, HEAD, v1.getVersion());

        // Refit on the reversed scale, naming the images by content hash only: their embeddings are cached.
        FitHeadRequest.Builder second = FitHeadRequest.newBuilder().setName(HEAD).setKind(FitKind.FIT_KIND_REGRESSION)
                .addViews("center").setSeed(1).setFolds(4);
        set.forEach(r -> second.addImages(LabelledImage.newBuilder().setId(r.file()).setSha256(sha256(r.data())).setTarget(100 - r.mos())));
        FitHeadResponse v2 = fitting().fitHead(second.build());
        assertThat(Long.parseLong(v2.getVersion())).isEqualTo(Long.parseLong(v1.getVersion()) + 1);
        assertThat(v2.getPack().getContentHash()).isNotEqualTo(v1.getPack().getContentHash());

        double b = score(probe, HEAD, v2.getVersion());
        assertThat(b).isNotEqualTo(a);
        assertThat(score(probe, HEAD + "@" + v1.getVersion(), v1.getVersion())).isEqualTo(a);

        ScoreDescription d = scoring().describePacks(DescribePacksRequest.getDefaultInstance()).getPacks(0).getScoresList()
                .stream().filter(s -> s.getName().equals(HEAD)).findFirst().orElseThrow();
        assertThat(d.getVersion()).isEqualTo(v2.getVersion());
        assertThat(d.getVersionsList()).contains(v1.getVersion(), v2.getVersion());
        assertThat(d.getViewsList()).containsExactly("center");

        Path dataDir = Path.of(ConfigProvider.getConfig().getValue("imagescore.data-dir", String.class));
        assertThat(dataDir.resolve("heads/mobilenetv2-default/" + HEAD + "/" + v2.getVersion() + "/head.json")).isRegularFile();

        EvaluateHeadRequest.Builder eval = EvaluateHeadRequest.newBuilder().setScore(HEAD + "@" + v1.getVersion());
        set.forEach(r -> eval.addImages(LabelledImage.newBuilder().setId(r.file()).setSha256(sha256(r.data())).setTarget(r.mos())));
        EvaluateHeadResponse ev = fitting().evaluateHead(eval.build());
        assertThat(ev.getVersion()).isEqualTo(v1.getVersion());
        assertThat(ev.getExamples()).isEqualTo(24);
        assertThat(ev.getRegression().getSrcc()).as("on its own training images").isGreaterThan(0.5);
        assertThat(ev.getRanking().getPairs()).isEqualTo(24 * 23 / 2);
        // the reversed head orders the same images the other way round
        EvaluateHeadResponse reversed = fitting().evaluateHead(eval.setScore(HEAD + "@" + v2.getVersion()).build());
        assertThat(reversed.getRegression().getSrcc()).isLessThan(-0.5);
    }

    @Test
    void a_kernel_classifier_fitted_through_the_rpc_classifies_in_the_next_score_call() throws IOException {
        List<Rated> set = clive(12);
        List<Double> sorted = set.stream().map(Rated::mos).sorted().toList();
        double median = (sorted.get(5) + sorted.get(6)) / 2;
        FitHeadRequest.Builder req = FitHeadRequest.newBuilder().setName("test_kernel").setKind(FitKind.FIT_KIND_CLASSES)
                .setClassifier(io.imagescore.api.v1.Classifier.CLASSIFIER_KERNEL).setFolds(3).addViews("center");
        for (Rated r : set) {
            req.addImages(LabelledImage.newBuilder().setId(r.file()).setData(ByteString.copyFrom(r.data())).setLabel(r.mos() > median ? "good" : "poor"));
        }
        FitHeadResponse fitted = fitting().fitHead(req.build());
        assertThat(fitted.getMethod()).startsWith("RBF kernel ridge");
        assertThat(fitted.hasCvClassification()).isTrue();

        var res = scoring().score(ScoreRequest.newBuilder()
                .addImages(ImageInput.newBuilder().setId("probe").setData(ByteString.copyFrom(set.getFirst().data())))
                .setOptions(ScoreOptions.newBuilder().addScores("test_kernel")).build());
        var dist = res.getResults(0).getScores().getClassesList().getFirst();
        assertThat(dist.getName()).isEqualTo("test_kernel");
        assertThat(dist.getVersion()).isEqualTo(fitted.getVersion());
        assertThat(dist.getTopList().stream().mapToDouble(p -> p.getProbability()).sum()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
    }

    @Test
    void bad_fit_requests_get_precise_statuses() throws IOException {
        List<Rated> set = clive(12);
        FitHeadRequest.Builder classes = FitHeadRequest.newBuilder().setName("test_classes").setKind(FitKind.FIT_KIND_CLASSES).addViews("center");
        for (int i = 0; i < set.size(); i++) {
            classes.addImages(LabelledImage.newBuilder().setId("i" + i).setData(ByteString.copyFrom(set.get(i).data())).setLabel(i < 9 ? "good" : "bad"));
        }
        ScoreGrpcServiceTest.assertStatus(() -> fitting().fitHead(classes.build()), Status.Code.FAILED_PRECONDITION,
                "INSUFFICIENT_LABELS", "too few examples per class: {bad=3}");

        FitHeadRequest.Builder nan = FitHeadRequest.newBuilder().setName("test_nan").setKind(FitKind.FIT_KIND_REGRESSION);
        for (int i = 0; i < set.size(); i++) {
            nan.addImages(LabelledImage.newBuilder().setId("i" + i).setData(ByteString.copyFrom(set.get(i).data())).setTarget(i == 4 ? Double.NaN : i));
        }
        ScoreGrpcServiceTest.assertStatus(() -> fitting().fitHead(nan.build()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "'i4' has target NaN");

        FitHeadRequest.Builder unknown = FitHeadRequest.newBuilder().setName("test_unknown").setKind(FitKind.FIT_KIND_REGRESSION);
        for (int i = 0; i < set.size(); i++) {
            unknown.addImages(LabelledImage.newBuilder().setId("i" + i).setSha256("0".repeat(63) + i % 10).setTarget(i));
        }
        ScoreGrpcServiceTest.assertStatus(() -> fitting().fitHead(unknown.build()), Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "unknown image 'i0'");

        ScoreGrpcServiceTest.assertStatus(() -> fitting().fitHead(FitHeadRequest.newBuilder().setName("x").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", "kind must be");
        ScoreGrpcServiceTest.assertStatus(() -> fitting().evaluateHead(EvaluateHeadRequest.newBuilder().setScore("no_such_score").build()),
                Status.Code.NOT_FOUND, "UNKNOWN_SCORE", "no_such_score");
    }
}
