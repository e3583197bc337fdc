package io.imagescore.explain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.model.triton.TritonBackend;
import io.imagescore.model.triton.TritonConfig;
import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.CompiledPromptSet;
import io.imagescore.prompt.PromptScoring;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetRef;
import io.imagescore.prompt.TextEmbedder;
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

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * CLIP prompt scores explained by patch tokens: the tiny CLIP pack's image tower with its projected patch tokens as
 * the output {@code spatial} (scripts/add_patch_tokens.py). The maps equal a computation written here from the model
 * run directly and the formulas of docs/explain.md (1e-5), and the embedded backend and Triton (the KServe-v2 test
 * server serving the same file) give the same maps.
 */
class PromptExplanationTest {
    static final Path PACK_DIR = Path.of("imagescore-core/src/test/resources/packs/clip-tiny");
    static final String SQUARE = "data/rooms/eval/kitchen/Places365_val_00000266.jpg";      // 256 × 256
    static final String TALL = "data/clothing/validation/dress/07cddef1-1fc8-47e4-a28a-613e60912590.jpg"; // 400 × 533
    static final List<String> TEXTS = List.of("Bright photo.", "Dark photo.", "A sharp photo.", "A blurry photo.",
            "a messy room", "a tidy room", "a spotless room", "a photo of a kitchen", "a photo of a bedroom");

    static ModelPack pack;
    static OnnxBackend embedded;
    static TritonTestServer server;
    static TritonBackend triton;
    static TextEmbedder embedder;
    static CompiledPromptSet prompts;
    static float[][] unitTexts;
    static double scale;

    @BeforeAll
    static void load() {
        pack = new PackLoader(Shared.dir()).load(PACK_DIR);
        embedded = new OnnxBackend(new OnnxBackend.Config(1));
        embedded.load(pack.encoder());
        embedded.load(pack.textEncoder().model());
        server = TritonTestServer.start().addModel(pack.encoder().tritonName(), pack.encoder().file(), 16);
        triton = new TritonBackend(TritonConfig.defaults(List.of(server.target())), new SimpleMeterRegistry());
        triton.load(pack.encoder());
        embedder = new TextEmbedder(embedded);
        PromptSet spec = new PromptSet("maps", "clip-tiny", List.of(
                new PromptSet.Attribute("bright", "", List.of(new PromptSet.Pair(TEXTS.get(0), TEXTS.get(1)),
                        new PromptSet.Pair(TEXTS.get(2), TEXTS.get(3))), null, null, null),
                new PromptSet.Attribute("tidy", "", null, List.of(TEXTS.get(4), TEXTS.get(5), TEXTS.get(6)), null, null)),
                List.of(new PromptSet.Classifier("room", "", List.of("a photo of a {}"), List.of("kitchen", "bedroom"), null)))
                .validate();
        prompts = CompiledPromptSet.compile(new PromptSetRef("t", "maps", "1", "x"), spec, pack, embedder, null);
        unitTexts = embedder.embed(pack, TEXTS, null);
        scale = pack.textEncoder().logitScale();
    }

    @AfterAll
    static void close() {
        triton.close();
        server.close();
        embedded.close();
    }

    /** Score (no heads: the pack has none) + prompt scores with explanations, on one backend. */
    static List<ScoredImage> scored(ModelBackend backend, List<String> photos) {
        ScoringPipeline pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
        try {
            List<Outcome<ScoredImage>> out = pipeline.score(pack, photos.stream().map(p -> new ImageInput(p, Shared.bytes(p))).toList(),
                    List.of(), true, true, PreprocessMode.EXACT, Instant.now().plusSeconds(60));
            return new PromptScoring(prompts, Set.copyOf(prompts.spec().scoreNames())).apply(out, false, true).stream().map(Outcome::value).toList();
        } finally {
            pipeline.stop();
        }
    }

    /** The edit only adds an output: the shared tower's `image_embeds` come out bit for bit, beside a 16 × 7 × 7 map. */
    @Test
    void the_edited_tower_keeps_its_image_embeddings_bit_identical() throws Exception {
        float[] pixels = Shared.npyFloats(Shared.path("models/clip-tiny/tiny-clip-golden-pixels.npy"));
        for (int i = 0; i < 3; i++) {
            float[] one = java.util.Arrays.copyOfRange(pixels, i * 3 * 224 * 224, (i + 1) * 3 * 224 * 224);
            Map<String, float[]> edited = direct(pack.encoder().file(), one);
            Map<String, float[]> shared = direct(Shared.path("models/clip-tiny/tiny-clip-image.onnx"), one);
            assertThat(shared.keySet()).containsExactly("image_embeds");
            assertThat(edited.get("image_embeds")).isEqualTo(shared.get("image_embeds"));
            assertThat(edited.get("spatial")).hasSize(16 * 49);
        }
    }

    @Test
    void prompt_maps_equal_an_independent_computation_to_1e_5() throws Exception {
        ScoredImage s = scored(embedded, List.of(SQUARE)).getFirst();
        assertThat(s.embedding()).isNull();
        assertThat(s.embeddingMaps()).isNull();
        assertThat(s.explanations()).extracting(Explanation::score).containsExactly("bright", "tidy", "room");
        assertThat(s.explanations()).extracting(Explanation::method).containsOnly("patch-similarity");

        // the model run directly on the centre view's tensor: image embedding and patch tokens
        float[] tensor = new Preprocessor().preprocess(Shared.bytes(SQUARE), pack.preprocessing(), List.of(View.CENTER),
                PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
        Map<String, float[]> run = direct(pack.encoder().file(), tensor);
        float[] patches = run.get("spatial");
        assertThat(patches).hasSize(16 * 49);
        double[] x = unit(run.get("image_embeds"));

        // bright: two antonym pairs, d = mean over pairs of s·σ(1 − σ)·(t₊ − t₋), value = mean σ
        double[] bright = new double[16];
        double brightValue = 0;
        for (int[] pair : new int[][] {{0, 1}, {2, 3}}) {
            double sigma = 1 / (1 + Math.exp(-scale * (dot(x, unitTexts[pair[0]]) - dot(x, unitTexts[pair[1]]))));
            brightValue += sigma / 2;
            for (int d = 0; d < 16; d++) {
                bright[d] += scale * sigma * (1 - sigma) * (unitTexts[pair[0]][d] - unitTexts[pair[1]][d]) / 2;
            }
        }
        // tidy: levels 1, 2, 3 under softmax(s·cos); d = Σ s·pₗ(vₗ − E)·tₗ
        double[] e = new double[3];
        double sum = 0;
        for (int l = 0; l < 3; l++) {
            e[l] = Math.exp(scale * dot(x, unitTexts[4 + l]));
            sum += e[l];
        }
        double tidyValue = 0;
        for (int l = 0; l < 3; l++) {
            tidyValue += e[l] / sum * (l + 1);
        }
        double[] tidy = new double[16];
        for (int l = 0; l < 3; l++) {
            for (int d = 0; d < 16; d++) {
                tidy[d] += scale * e[l] / sum * (l + 1 - tidyValue) * unitTexts[4 + l][d];
            }
        }
        // room: one prompt per class; the top class's centred logit s·(cos_k − mean cos), d = s·(t_k − mean t)
        double cosKitchen = dot(x, unitTexts[7]);
        double cosBedroom = dot(x, unitTexts[8]);
        int top = cosKitchen >= cosBedroom ? 7 : 8;
        int other = top == 7 ? 8 : 7;
        double[] room = new double[16];
        for (int d = 0; d < 16; d++) {
            room[d] = scale * (unitTexts[top][d] - unitTexts[other][d]) / 2;
        }
        double roomValue = scale * (Math.max(cosKitchen, cosBedroom) - (cosKitchen + cosBedroom) / 2);

        Explanation eb = s.explanations().get(0);
        Explanation et = s.explanations().get(1);
        Explanation er = s.explanations().get(2);
        assertThat(eb.value()).isCloseTo(brightValue, within(1e-6));
        assertThat(et.value()).isCloseTo(tidyValue, within(1e-6));
        assertThat(er.value()).isCloseTo(roomValue, within(1e-5));
        assertThat(er.target()).isEqualTo(top == 7 ? "kitchen" : "bedroom");
        // the explained values are the scores themselves (no calibration in this set)
        Map<String, Double> scores = new HashMap<>();
        s.scalars().forEach(v -> scores.put(v.name(), v.value()));
        assertThat(scores.get("bright")).isCloseTo(eb.value(), within(1e-9));
        assertThat(scores.get("tidy")).isCloseTo(et.value(), within(1e-9));

        assertCells(eb, reference(patches, bright));
        assertCells(et, reference(patches, tidy));
        assertCells(er, reference(patches, room));
        // a square photo's centre crop is the whole photo: the 7 × 7 patches are the 7 × 7 image grid, cell for cell
        for (Explanation ex : s.explanations()) {
            assertThat(ex.rows()).isEqualTo(7);
            assertThat(ex.cols()).isEqualTo(7);
            for (int c = 0; c < 49; c++) {
                assertThat(ex.values()[c]).isCloseTo(ex.tensors().getFirst().cells()[c], within(1e-6f));
            }
        }
        // the maps are not flat (the check above could not pass on zeros alone)
        float[] cells = eb.tensors().getFirst().cells();
        double spread = 0;
        for (float c : cells) {
            spread = Math.max(spread, Math.abs(c - cells[0]));
        }
        assertThat(spread).isGreaterThan(1e-3);
    }

    @Test
    void the_embedded_backend_and_triton_give_the_same_maps() {
        List<ScoredImage> local = scored(embedded, List.of(SQUARE, TALL));
        int callsBefore = server.inferCalls();
        List<ScoredImage> remote = scored(triton, List.of(SQUARE, TALL));
        assertThat(server.inferCalls()).isGreaterThan(callsBefore);
        for (int i = 0; i < local.size(); i++) {
            List<Explanation> l = local.get(i).explanations();
            List<Explanation> r = remote.get(i).explanations();
            assertThat(r).hasSize(3);
            for (int k = 0; k < l.size(); k++) {
                assertThat(r.get(k).method()).isEqualTo("patch-similarity");
                assertThat(r.get(k).target()).isEqualTo(l.get(k).target());
                assertThat(r.get(k).rows()).isEqualTo(l.get(k).rows());
                assertThat(r.get(k).cols()).isEqualTo(l.get(k).cols());
                assertThat(r.get(k).value()).isCloseTo(l.get(k).value(), within(1e-5));
                for (int c = 0; c < l.get(k).values().length; c++) {
                    assertThat(r.get(k).values()[c]).isCloseTo(l.get(k).values()[c], within(1e-5f));
                }
            }
        }
        // the tall photo's centre crop covers its middle 400 × 400: the grid spans the whole photo, the map only
        // the cropped rows (the rows above and below are empty)
        Explanation tall = local.get(1).explanations().getFirst();
        assertThat(tall.imageWidth()).isEqualTo(400);
        assertThat(tall.imageHeight()).isEqualTo(533);
        assertThat(tall.rows()).isEqualTo(9);
        assertThat(tall.cols()).isEqualTo(7);
        for (int c = 0; c < tall.cols(); c++) {
            assertThat(tall.values()[c]).isZero();
            assertThat(tall.values()[(tall.rows() - 1) * tall.cols() + c]).isZero();
        }
    }

    @Test
    void a_pack_without_patch_tokens_answers_none_per_prompt_score() {
        ScoredImage s = new ScoredImage("sha", 10, 20, List.of(), List.of(), new float[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        List<Explanation> out = new PromptScoring(prompts, Set.of("bright", "room")).apply(List.of(Outcome.ok("a", s)), false, true)
                .getFirst().value().explanations();
        assertThat(out).extracting(Explanation::score).containsExactly("bright", "room");
        assertThat(out).allSatisfy(x -> assertThat(x.method()).startsWith("none: ").contains("spatial output"));
    }

    /** cell = Σ_d dir_d · z[d, cell] / ‖z[:, cell]‖ / 49 (one tensor: the centre view). */
    static float[] reference(float[] patches, double[] dir) {
        float[] out = new float[49];
        for (int c = 0; c < 49; c++) {
            double dotv = 0;
            double norm = 0;
            for (int d = 0; d < 16; d++) {
                dotv += dir[d] * patches[d * 49 + c];
                norm += (double) patches[d * 49 + c] * patches[d * 49 + c];
            }
            out[c] = (float) (dotv / Math.sqrt(norm) / 49);
        }
        return out;
    }

    static void assertCells(Explanation e, float[] expected) {
        float[] actual = e.tensors().getFirst().cells();
        assertThat(actual).hasSize(49);
        for (int c = 0; c < 49; c++) {
            assertThat(actual[c]).as("%s cell %d", e.score(), c).isCloseTo(expected[c], within(1e-5f));
        }
    }

    static Map<String, float[]> direct(Path model, float[] tensor) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[] {1, 3, 224, 224});
             OrtSession.Result r = session.run(Map.of("pixel_values", in))) {
            Map<String, float[]> out = new HashMap<>();
            for (var entry : r) {
                FloatBuffer fb = ((OnnxTensor) entry.getValue()).getFloatBuffer();
                float[] a = new float[fb.remaining()];
                fb.get(a);
                out.put(entry.getKey(), a);
            }
            return out;
        }
    }

    static double[] unit(float[] v) {
        double n = 0;
        for (float f : v) {
            n += (double) f * f;
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / Math.sqrt(n);
        }
        return out;
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
