package io.imagescore.batch;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.image.PreprocessMode;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consistency suite: one promise — a score is fully determined by the image and the versions named beside it —
 * checked on shared photos for every head version of the default pack, in both preprocessing modes, across every
 * entry point: {@code Score} (each score alone and all together), {@code ScoreStream}, {@code Sort} (raw scores of a
 * score ordering, class and confidence of a regulation ordering), and the batch tool both
 * embedded (CSV, JSONL, Parquet) and against the service (Parquet). Every value must be bit-identical: it is the
 * same computation (same pixels, same int8-exact encoder, same head) on every path, and doubles round-trip exactly
 * through all three file formats. Every column names its version, so "apparel" (active = 2) and "apparel@1" are two
 * different columns.
 * <p>
 * Defects this found, each failing here before its fix: batch {@code --scores apparel,apparel@1} wrote one
 * mislabelled "apparel" column; in FAST mode {@code quality_fast} changed when {@code quality} was asked for too.
 */
@QuarkusTest
class ConsistencySuiteTest {
    static final List<String> PHOTOS = List.of(
            "data/rooms/eval/kitchen/Places365_val_00000266.jpg", "data/rooms/eval/bedroom/Places365_val_00000713.jpg",
            "data/clive/images/1000.JPG", "data/clive/images/1017.JPG");
    static final List<String> PINNED = List.of("quality@1", "quality_fast@1", "imagenet@1", "room_type@1", "apparel@1", "apparel@2");

    ManagedChannel channel;
    ImageScoreGrpc.ImageScoreBlockingStub score;
    @TempDir
    Path tmp;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().maxInboundMessageSize(64 << 20).build();
        score = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static List<ImageInput> images() {
        return PHOTOS.stream().map(p -> ImageInput.newBuilder().setId(p).setData(ByteString.copyFrom(Shared.bytes(p))).build()).toList();
    }

    static io.imagescore.api.v1.PreprocessMode proto(PreprocessMode mode) {
        return mode == PreprocessMode.FAST ? io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST
                : io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_EXACT;
    }

    /** Per image: "name@version" → the scalar value, or the top class "label=probability". */
    static Map<String, Map<String, String>> values(List<ImageResult> results) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (ImageResult r : results) {
            assertThat(r.hasScores()).as(r.getId() + " " + r.getError()).isTrue();
            Map<String, String> v = out.computeIfAbsent(r.getId(), k -> new LinkedHashMap<>());
            r.getScores().getScoresList().forEach(s -> v.put(s.getName() + "@" + s.getVersion(), Double.toString(s.getValue())));
            r.getScores().getClassesList().forEach(c -> v.put(c.getName() + "@" + c.getVersion(),
                    c.getTop(0).getLabel() + "=" + c.getTop(0).getProbability()));
        }
        return out;
    }

    static Map<String, Map<String, String>> values(List<BatchRow> rows, List<String> keys) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (BatchRow r : rows) {
            assertThat(r.failed()).as(r.id()).isFalse();
            Map<String, String> v = out.computeIfAbsent(r.id(), k -> new LinkedHashMap<>());
            for (String k : keys) {
                if (r.scalars().containsKey(k)) {
                    v.put(k, Double.toString(r.scalars().get(k)));
                } else {
                    BatchRow.TopClass t = r.classes().get(k);
                    assertThat(t).as(r.id() + " has a column " + k).isNotNull();
                    v.put(k, t.label() + "=" + t.probability());
                }
            }
        }
        return out;
    }

    ScoreResponse scoreAll(List<String> scores, PreprocessMode mode) {
        return score.score(ScoreRequest.newBuilder().addAllImages(images())
                .setOptions(ScoreOptions.newBuilder().addAllScores(scores).setTopK(1).setPreprocessMode(proto(mode))).build());
    }

    @ParameterizedTest
    @EnumSource(PreprocessMode.class)
    void every_entry_point_gives_the_same_value_for_the_same_image_and_version(PreprocessMode mode) throws Exception {
        ScoreResponse all = scoreAll(PINNED, mode);
        Map<String, Map<String, String>> reference = values(all.getResultsList());
        assertThat(reference.values()).allSatisfy(v -> assertThat(v.keySet()).containsExactlyInAnyOrderElementsOf(PINNED));

        // each score alone, and the active-version spelling, equal the combined request bit for bit
        for (String s : PINNED) {
            Map<String, Map<String, String>> alone = values(scoreAll(List.of(s), mode).getResultsList());
            for (String photo : PHOTOS) {
                assertThat(alone.get(photo).get(s)).as("%s %s alone vs with the others (%s)", photo, s, mode)
                        .isEqualTo(reference.get(photo).get(s));
            }
        }
        Map<String, Map<String, String>> active = values(scoreAll(List.of("apparel", "quality_fast"), mode).getResultsList());
        assertThat(active.get(PHOTOS.getFirst())).containsEntry("apparel@2", reference.get(PHOTOS.getFirst()).get("apparel@2"))
                .containsEntry("quality_fast@1", reference.get(PHOTOS.getFirst()).get("quality_fast@1"));

        assertThat(values(stream(PINNED, mode))).as("ScoreStream").isEqualTo(reference);

        // Sort: the raw scores it reports for a score ordering, and the class and confidence of a regulation ordering
        var sort = io.imagescore.api.v1.ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        var byScore = sort.sort(io.imagescore.api.v1.SortRequest.newBuilder().addAllImages(images()).setPreprocessMode(proto(mode))
                .setByScore(io.imagescore.api.v1.ScoreOrdering.newBuilder()
                        .addTerms(io.imagescore.api.v1.WeightedScore.newBuilder().setScore("quality@1"))
                        .addTerms(io.imagescore.api.v1.WeightedScore.newBuilder().setScore("quality_fast@1"))).build());
        assertThat(byScore.getPreprocessingId()).isEqualTo(all.getPreprocessingId());
        for (var img : byScore.getOrderList()) {
            for (var s : img.getScoresList()) {
                assertThat(Double.toString(s.getValue())).as("Sort %s %s@%s", img.getId(), s.getName(), s.getVersion())
                        .isEqualTo(reference.get(img.getId()).get(s.getName() + "@" + s.getVersion()));
            }
            assertThat(img.getScoresCount()).isEqualTo(2);
        }
        var byRoom = sort.sort(io.imagescore.api.v1.SortRequest.newBuilder().addAllImages(images()).setPreprocessMode(proto(mode))
                .setByRegulation(io.imagescore.api.v1.RegulationOrdering.newBuilder().setInline(io.imagescore.api.v1.Regulation.newBuilder()
                        .setClassifier("room_type").addAllClasses(List.of("kitchen", "bedroom", "bathroom", "dining_room",
                                "living_room", "entrance_hall")))).build());
        for (var img : byRoom.getOrderList()) {
            assertThat(img.getClassLabel() + "=" + img.getConfidence()).as("Sort regulation %s", img.getId())
                    .isEqualTo(reference.get(img.getId()).get("room_type@1"));
        }

        // batch, embedded, every format; "apparel" (active) and "apparel@1" are two columns
        List<String> batchScores = new ArrayList<>(PINNED);
        batchScores.add("apparel");
        Path manifest = BatchFixtures.csv(tmp.resolve("m.csv"), manifest());
        for (OutputFormat format : OutputFormat.values()) {
            Path out = tmp.resolve("embedded-" + format + "-" + mode);
            var settings = new BatchRunner.Settings(new Input(manifest, null, null, null), Shard.ALL, out, format, 2, 8,
                    false, batchScores, mode.name().toLowerCase(java.util.Locale.ROOT), Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
            EmbeddedTarget target = new EmbeddedTarget(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 2, 1, 8, batchScores, false, mode);
            BatchSummary summary = new BatchRunner(settings, target, new PrintStream(new ByteArrayOutputStream())).run();
            assertThat(summary.exitCode()).as(format + " " + summary.error()).isZero();
            List<BatchRow> rows = BatchFixtures.rows(out, format, schema());
            assertThat(values(rows, PINNED)).as("batch --embedded %s %s", format, mode).isEqualTo(reference);
            assertThat(rows).allSatisfy(r -> assertThat(r.preprocessingId()).isEqualTo(all.getPreprocessingId()));
        }

        // batch against the service
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Path out = tmp.resolve("remote-" + mode);
        var settings = new BatchRunner.Settings(new Input(manifest, null, null, null), Shard.ALL, out, OutputFormat.PARQUET, 2, 8,
                false, batchScores, mode.name().toLowerCase(java.util.Locale.ROOT), Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        RemoteTarget remote = new RemoteTarget("localhost:" + port, RemoteTarget.Tls.NONE, 1, 8,
                ScoreOptions.newBuilder().addAllScores(batchScores).setTopK(1).setPreprocessMode(proto(mode)).build(), Backoff.DEFAULT);
        BatchSummary summary = new BatchRunner(settings, remote, new PrintStream(new ByteArrayOutputStream())).run();
        assertThat(summary.exitCode()).as(String.valueOf(summary.error())).isZero();
        assertThat(values(BatchFixtures.rows(out, OutputFormat.PARQUET, schema()), PINNED)).as("batch --target %s", mode).isEqualTo(reference);
    }

    static Map<String, String> manifest() {
        Map<String, String> m = new LinkedHashMap<>();
        PHOTOS.forEach(p -> m.put(p, Shared.path(p).toString()));
        return m;
    }

    static OutputSchema schema() {
        return new OutputSchema(List.of("quality@1", "quality_fast@1"), List.of("imagenet@1", "room_type@1", "apparel@1", "apparel@2"), false);
    }

    List<ImageResult> stream(List<String> scores, PreprocessMode mode) throws InterruptedException {
        List<ImageResult> results = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        StreamObserver<ScoreStreamRequest> requests = ImageScoreGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
                .scoreStream(new StreamObserver<>() {
                    @Override
                    public void onNext(ScoreStreamResponse r) {
                        if (r.hasResult()) {
                            synchronized (results) {
                                results.add(r.getResult());
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        failure[0] = t;
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.onNext(ScoreStreamRequest.newBuilder().setOptions(ScoreOptions.newBuilder().addAllScores(scores).setTopK(1)
                .setPreprocessMode(proto(mode))).build());
        images().forEach(i -> requests.onNext(ScoreStreamRequest.newBuilder().setImage(i).build()));
        requests.onCompleted();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();
        assertThat(failure[0]).isNull();
        results.sort(java.util.Comparator.comparing(r -> PHOTOS.indexOf(r.getId())));
        return results;
    }
}
