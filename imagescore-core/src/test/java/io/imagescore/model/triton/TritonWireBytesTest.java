package io.imagescore.model.triton;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.model.ModelSpec;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes per image on the wire to Triton (the serialized ModelInfer requests the Triton test server receives) for the
 * default pack, before (FP32 normalised views) and after (UINT8 pixels, normalised in the model), for the default
 * score set and single scores; both ways give the same scores bit for bit. Prints the table bench/README.md quotes.
 */
class TritonWireBytesTest {

    static final List<String> PHOTOS = List.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
            "data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg", "data/clive/images/1000.JPG");
    /** One 224×224×3 view as UINT8. */
    static final long VIEW = 3 * 224 * 224;

    static TritonTestServer server;
    static TritonBackend backend;
    static ModelPack u8;
    static ModelPack fp32;
    static ScoringPipeline pipeline;

    @BeforeAll
    static void start() {
        server = TritonTestServer.start()
                .addModel("mobilenetv2-default", Shared.defaultPackTritonModel(), 32)
                .addModel("mobilenetv2-default-fp32", Shared.defaultPackEncoder(), 32);
        u8 = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));
        ModelSpec e = u8.encoder();
        // the pack as it was before the UINT8 input: the FP32 normalised views travel
        ModelSpec before = new ModelSpec(e.id() + "-fp32", e.file(), "mobilenetv2-default-fp32", "", e.inputs(), e.outputs(),
                e.maxBatch());
        fp32 = new ModelPack(u8.name(), u8.version(), u8.description(), u8.dir(), u8.contentHash(), before,
                u8.embeddingOutput(), u8.preprocessing(), u8.classLists(), u8.heads(), u8.textEncoder());
        backend = new TritonBackend(TritonConfig.defaults(List.of(server.target())), new SimpleMeterRegistry());
        backend.load(u8.encoder());
        backend.load(before);
        pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
    }

    @AfterAll
    static void stop() {
        pipeline.stop();
        backend.close();
        server.close();
    }

    record Measured(List<Outcome<ScoredImage>> results, double bytesPerImage) {
    }

    static Measured score(ModelPack pack, List<String> scores) {
        List<ImageInput> images = PHOTOS.stream().map(p -> new ImageInput(p, Shared.bytes(p))).toList();
        server.awaitIdle();
        server.resetStatistics();
        List<Outcome<ScoredImage>> results = pipeline.score(pack, images, ScoringPipeline.select(pack, scores), false,
                PreprocessMode.EXACT, Instant.now().plusSeconds(120));
        server.awaitIdle();
        results.forEach(r -> assertThat(r.isOk()).as(r.id()).isTrue());
        return new Measured(results, (double) server.inferRequestBytes() / images.size());
    }

    @Test
    void uint8_views_cost_a_quarter_of_the_bytes_and_give_the_same_scores() {
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("default (all 6 scores: 22 views)", List.of());
        sets.put("imagenet (center)", List.of("imagenet"));
        sets.put("quality_fast (center)", List.of("quality_fast"));
        sets.put("apparel (center, whole + flips: 4 views)", List.of("apparel"));
        sets.put("quality (grid3 + flips: 18 views)", List.of("quality"));
        Map<String, Integer> views = Map.of("default (all 6 scores: 22 views)", 22, "imagenet (center)", 1,
                "quality_fast (center)", 1, "apparel (center, whole + flips: 4 views)", 4, "quality (grid3 + flips: 18 views)", 18);
        List<String> table = new ArrayList<>();
        table.add("| score set | FP32 views (before) | UINT8 views (after) |");
        table.add("|---|---|---|");
        for (var set : sets.entrySet()) {
            Measured before = score(fp32, set.getValue());
            Measured after = score(u8, set.getValue());
            for (int i = 0; i < PHOTOS.size(); i++) {
                ScoredImage a = after.results().get(i).value();
                ScoredImage b = before.results().get(i).value();
                assertThat(a.scalars()).as(set.getKey()).isEqualTo(b.scalars());
                assertThat(a.classes()).hasSameSizeAs(b.classes());
                for (int k = 0; k < a.classes().size(); k++) {
                    assertThat(a.classes().get(k).probabilities()).as(set.getKey()).isEqualTo(b.classes().get(k).probabilities());
                    assertThat(Double.compare(a.classes().get(k).inDomain(), b.classes().get(k).inDomain())).isZero(); // NaN: no OOD model
                }
            }
            long n = views.get(set.getKey());
            // the views' values plus the request's framing (names, shapes, ids: well under 1 %)
            assertThat(after.bytesPerImage()).as(set.getKey()).isBetween((double) n * VIEW, n * VIEW * 1.01);
            assertThat(before.bytesPerImage()).as(set.getKey()).isBetween((double) n * VIEW * 4, n * VIEW * 4 * 1.01);
            table.add(String.format(Locale.ROOT, "| %s | %,.0f B (%.2f MB) | %,.0f B (%.2f MB) |", set.getKey(),
                    before.bytesPerImage(), before.bytesPerImage() / 1e6, after.bytesPerImage(), after.bytesPerImage() / 1e6));
        }
        System.out.println("ModelInfer request bytes per image (" + PHOTOS.size() + " photos):\n" + String.join("\n", table));
    }
}
