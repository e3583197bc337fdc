package io.imagescore.model.triton;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes per image on the wire to Triton (the serialized ModelInfer requests the Triton test server receives) for the
 * default pack, two ways: UINT8 pixels normalised in the model, every view sent (before); and with flip views computed
 * in the model (a view and its {@code *_flip} view sent once: the pack as committed). For the default score set, single
 * scores and a mix; both give the embedded backend's scores bit for bit. Prints the table bench/README.md quotes (its
 * FP32 column is the earlier run of this test, 4 bytes per value).
 */
class TritonWireBytesTest {

    static final List<String> PHOTOS = List.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
            "data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg", "data/clive/images/1000.JPG");
    /** One 224×224×3 view as UINT8. */
    static final long VIEW = 3 * 224 * 224;

    static TritonTestServer server;
    static TritonBackend backend;
    static OnnxBackend embedded;
    /** The pack as committed: UINT8 pixels, flip views computed by the mirrored model. */
    static ModelPack mirrored;
    /** UINT8 pixels, every view sent (no mirrored model). */
    static ModelPack u8;
    static ScoringPipeline pipeline;
    static ScoringPipeline reference;

    @BeforeAll
    static void start() {
        server = TritonTestServer.start()
                .addDefaultPackModels();
        mirrored = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));
        ModelSpec e = mirrored.encoder();
        assertThat(e.mirrored()).isNotNull();
        u8 = withEncoder(mirrored, new ModelSpec(e.id() + "-u8", e.file(), e.tritonName(), "", e.inputs(), e.outputs(),
                e.maxBatch(), e.tritonInputs()));
        backend = new TritonBackend(TritonConfig.defaults(List.of(server.target())), new SimpleMeterRegistry());
        for (ModelPack p : List.of(mirrored, u8)) {
            backend.load(p.encoder());
        }
        pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
        embedded = new OnnxBackend(new OnnxBackend.Config(1));
        embedded.load(e);
        reference = new ScoringPipeline(embedded, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
    }

    static ModelPack withEncoder(ModelPack p, ModelSpec encoder) {
        return new ModelPack(p.name(), p.version(), p.description(), p.dir(), p.contentHash(), encoder,
                p.embeddingOutput(), p.preprocessing(), p.classLists(), p.heads(), p.textEncoder(), p.defaultScores());
    }

    @AfterAll
    static void stop() {
        pipeline.stop();
        reference.stop();
        backend.close();
        embedded.close();
        server.close();
    }

    /** Rows per image each Triton model inferred. */
    record Measured(List<Outcome<ScoredImage>> results, double bytesPerImage, double plainRows, double mirroredRows) {
    }

    static List<Outcome<ScoredImage>> score(ScoringPipeline p, ModelPack pack, List<String> scores) {
        List<ImageInput> images = PHOTOS.stream().map(f -> new ImageInput(f, Shared.bytes(f))).toList();
        List<Outcome<ScoredImage>> results = p.score(pack, images, ScoringPipeline.select(pack, scores), false,
                PreprocessMode.EXACT, Instant.now().plusSeconds(120));
        results.forEach(r -> assertThat(r.isOk()).as(r.id()).isTrue());
        return results;
    }

    static Measured measure(ModelPack pack, List<String> scores) {
        server.awaitIdle();
        server.resetStatistics();
        List<Outcome<ScoredImage>> results = score(pipeline, pack, scores);
        server.awaitIdle();
        return new Measured(results, (double) server.inferRequestBytes() / PHOTOS.size(),
                (double) server.inferenceCount("mobilenetv2-default") / PHOTOS.size(),
                (double) server.inferenceCount("mobilenetv2-default-mirrored") / PHOTOS.size());
    }

    static void assertSameScores(String what, List<Outcome<ScoredImage>> expected, List<Outcome<ScoredImage>> actual) {
        for (int i = 0; i < PHOTOS.size(); i++) {
            ScoredImage a = actual.get(i).value();
            ScoredImage b = expected.get(i).value();
            assertThat(a.scalars()).as(what).isEqualTo(b.scalars());
            assertThat(a.classes()).hasSameSizeAs(b.classes());
            for (int k = 0; k < a.classes().size(); k++) {
                assertThat(a.classes().get(k).probabilities()).as(what).isEqualTo(b.classes().get(k).probabilities());
                assertThat(Double.compare(a.classes().get(k).inDomain(), b.classes().get(k).inDomain())).isZero(); // NaN: no OOD model
            }
        }
    }

    /** A score set, the views its heads read, and how many of them travel when the model computes the flips. */
    record ScoreSet(String name, List<String> scores, int views, int sent) {
    }

    @Test
    void mirrored_views_halve_the_bytes_of_flip_pairs_and_every_way_scores_like_the_embedded_backend() {
        List<ScoreSet> sets = List.of(
                // what a request naming no score gets (pack.json default_scores): #23's goal is ≤ 0.2 MB per image
                new ScoreSet("default set (no score named: imagenet, quality_fast; center)", List.of(), 1, 1),
                new ScoreSet("every score (all 5 named: 22 views)", List.copyOf(mirrored.heads().keySet()), 22, 11),
                new ScoreSet("imagenet (center)", List.of("imagenet"), 1, 1),
                new ScoreSet("quality_fast (center)", List.of("quality_fast"), 1, 1),
                new ScoreSet("apparel (center, whole + flips: 4 views)", List.of("apparel"), 4, 2),
                new ScoreSet("quality (grid3 + flips: 18 views)", List.of("quality"), 18, 9),
                // both lanes in one request: centre to the plain model, the grid to the mirrored one
                new ScoreSet("imagenet + quality (center, grid3 + flips: 19 views)", List.of("imagenet", "quality"), 19, 10));
        List<String> table = new ArrayList<>();
        table.add("| score set | UINT8 views (before) | UINT8, flips computed in the model (now) |");
        table.add("|---|---|---|");
        for (ScoreSet set : sets) {
            List<Outcome<ScoredImage>> expected = score(reference, mirrored, set.scores());
            Measured before = measure(u8, set.scores());
            Measured after = measure(mirrored, set.scores());
            assertSameScores(set.name() + ", every view sent", expected, before.results());
            assertSameScores(set.name() + ", flips in the model", expected, after.results());
            // the views' values plus the request's framing (names, shapes, ids: well under 1 %)
            assertThat(before.bytesPerImage()).as(set.name()).isBetween((double) set.views() * VIEW, set.views() * VIEW * 1.01);
            assertThat(after.bytesPerImage()).as(set.name()).isBetween((double) set.sent() * VIEW, set.sent() * VIEW * 1.01);
            // each view sent once is a pair; a request without pairs never reaches the mirrored model
            int pairs = set.views() - set.sent();
            assertThat(after.mirroredRows()).as(set.name() + ": rows to the mirrored model").isEqualTo(pairs);
            assertThat(after.plainRows()).as(set.name() + ": rows to the plain model").isEqualTo(set.sent() - pairs);
            assertThat(before.plainRows()).isEqualTo(set.views());
            assertThat(before.mirroredRows()).isZero();
            if (set.scores().isEmpty()) {
                ScoredImage first = after.results().getFirst().value();
                assertThat(first.scalars()).extracting(ScoredImage.Scalar::name).as("the default set").containsExactly("quality_fast");
                assertThat(first.classes()).extracting(ScoredImage.Classes::name).as("the default set").containsExactly("imagenet");
                assertThat(after.bytesPerImage()).as("the default set's bytes per image").isLessThanOrEqualTo(200_000);
            }
            table.add(String.format(Locale.ROOT, "| %s | %s | %s |", set.name(), mb(before), mb(after)));
        }
        System.out.println("ModelInfer request bytes per image (" + PHOTOS.size() + " photos):\n" + String.join("\n", table));
    }

    @Test
    void each_view_and_its_flip_get_their_own_outputs_per_tensor() {
        // scores average a view with its flip, so a swapped orientation would not show in them: compare every tensor
        List<View> views = List.of(View.values());
        List<ImageInput> images = PHOTOS.stream().map(f -> new ImageInput(f, Shared.bytes(f))).toList();
        Set<String> outputs = Set.of("features", "spatial");
        var expected = reference.encode(mirrored, images, views, outputs, PreprocessMode.EXACT, null);
        var actual = pipeline.encode(mirrored, images, views, outputs, PreprocessMode.EXACT, null);
        for (int i = 0; i < images.size(); i++) {
            for (View v : views) {
                for (String o : outputs) {
                    List<float[]> want = expected.get(i).value().views().get(v).perTensor().get(o);
                    List<float[]> got = actual.get(i).value().views().get(v).perTensor().get(o);
                    assertThat(got).hasSameSizeAs(want);
                    for (int k = 0; k < want.size(); k++) {
                        assertThat(java.util.Arrays.equals(got.get(k), want.get(k)))
                                .as("%s %s tensor %d %s bit for bit", PHOTOS.get(i), v.id(), k, o).isTrue();
                    }
                }
            }
            var centre = actual.get(i).value().views();
            assertThat(centre.get(View.CENTER_FLIP).outputs().get("features"))
                    .as("a photo's mirror image encodes differently").isNotEqualTo(centre.get(View.CENTER).outputs().get("features"));
        }
    }

    private static String mb(Measured m) {
        return String.format(Locale.ROOT, "%,.0f B (%.2f MB)", m.bytesPerImage(), m.bytesPerImage() / 1e6);
    }
}
