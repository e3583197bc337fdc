package io.imagescore.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.model.Tensor;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ScoredImage;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The tiny CLIP pack end to end against PyTorch's outputs (shared/models/clip-tiny/tiny-clip-golden.json): image tower
 * from the golden pixels, text tower from OUR tokenizer's ids, then pair, level and zero-shot class scores from the
 * golden cosines.
 */
class ClipTinyGoldenTest {
    static final Path PACK_DIR = Path.of("imagescore-core/src/test/resources/packs/clip-tiny");
    static ModelPack pack;
    static OnnxBackend backend;
    static TextEmbedder embedder;
    static JsonNode golden;
    static float[][] imageEmbeds;

    @BeforeAll
    static void load() throws Exception {
        pack = new PackLoader(Shared.dir()).load(PACK_DIR);
        backend = new OnnxBackend(new OnnxBackend.Config(1));
        backend.load(pack.encoder());
        backend.load(pack.textEncoder().model());
        embedder = new TextEmbedder(backend);
        golden = new ObjectMapper().readTree(Shared.path("models/clip-tiny/tiny-clip-golden.json").toFile());
        float[] pixels = Shared.npyFloats(Shared.path("models/clip-tiny/tiny-clip-golden-pixels.npy"));
        Tensor out = backend.infer(pack.encoder().id(), Map.of("pixel_values", Tensor.ofFloats(new long[] {3, 3, 224, 224}, pixels)),
                Set.of(pack.embeddingOutput()), null).get(pack.embeddingOutput());
        imageEmbeds = rows(out);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    static float[][] rows(Tensor t) {
        float[][] r = new float[t.batchSize()][];
        for (int i = 0; i < r.length; i++) {
            r[i] = java.util.Arrays.copyOfRange(t.floats(), i * t.rowLength(), (i + 1) * t.rowLength());
        }
        return r;
    }

    static List<String> texts() {
        List<String> t = new ArrayList<>();
        golden.get("texts").forEach(n -> t.add(n.asText()));
        return t;
    }

    static double cos(int image, int text) {
        return golden.get("cosine_image_x_text").get(image).get(text).asDouble();
    }

    @Test
    void pack_declares_text_encoder_with_tokenizer_and_logit_scale() {
        assertThat(pack.textEncoder().contextLength()).isEqualTo(77);
        assertThat(pack.textEncoder().embeddingDim()).isEqualTo(16).isEqualTo(pack.embeddingDim());
        assertThat(pack.textEncoder().logitScale()).isEqualTo(golden.get("model_logit_scale").asDouble());
        assertThat(pack.heads()).isEmpty();
    }

    @Test
    void image_embeddings_match_pytorch_from_golden_pixels() {
        JsonNode expected = golden.get("image_embeds");
        assertThat(imageEmbeds.length).isEqualTo(expected.size());
        for (int i = 0; i < imageEmbeds.length; i++) {
            assertThat(imageEmbeds[i]).hasSize(16);
            for (int d = 0; d < 16; d++) {
                assertThat((double) imageEmbeds[i][d]).as("image %d dim %d", i, d).isCloseTo(expected.get(i).get(d).asDouble(), within(1e-5));
            }
        }
    }

    @Test
    void our_token_ids_equal_the_golden_ids() {
        List<String> texts = texts();
        for (int i = 0; i < texts.size(); i++) {
            long[] ids = embedder.tokenizer(pack).encodePadded(texts.get(i), 77);
            long[] expected = new long[77];
            for (int k = 0; k < 77; k++) {
                expected[k] = golden.get("input_ids").get(i).get(k).asLong();
            }
            assertThat(ids).as(texts.get(i)).containsExactly(expected);
        }
    }

    @Test
    void text_embeddings_match_pytorch_from_our_token_ids() {
        float[][] raw = embedder.encode(pack, texts(), null);
        JsonNode expected = golden.get("text_embeds");
        for (int i = 0; i < raw.length; i++) {
            for (int d = 0; d < 16; d++) {
                assertThat((double) raw[i][d]).as("text %d dim %d", i, d).isCloseTo(expected.get(i).get(d).asDouble(), within(1e-5));
            }
        }
        float[][] unit = embedder.embed(pack, texts(), null);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < unit.length; j++) {
                assertThat(PromptMath.dot(PromptMath.unit(imageEmbeds[i]), unit[j])).isCloseTo(cos(i, j), within(1e-5));
            }
        }
    }

    @Test
    void pair_level_and_class_scores_equal_softmax_of_golden_cosines() {
        List<String> t = texts();
        PromptSet spec = new PromptSet("golden", "clip-tiny", List.of(
                new PromptSet.Attribute("good", "", List.of(new PromptSet.Pair(t.get(0), t.get(1))), null, null, null),
                // the undesirable pole listed first in the source: polarity is explicit, so this is P(good) too
                new PromptSet.Attribute("good-ensemble", "", List.of(new PromptSet.Pair(t.get(0), t.get(1)),
                        new PromptSet.Pair(t.get(4), t.get(5))), null, null, null),
                new PromptSet.Attribute("level", "", null, List.of(t.get(1), t.get(4), t.get(0)), List.of(1.0, 2.5, 4.0), null),
                new PromptSet.Attribute("calibrated", "", List.of(new PromptSet.Pair(t.get(0), t.get(1))), null, null,
                        new PromptSet.Calibration(3.0, 1.0, 1.0, 4.0))),
                List.of(new PromptSet.Classifier("room", "", List.of("a photo of a {}"), List.of("kitchen", "bedroom"), null)))
                .validate();
        CompiledPromptSet compiled = CompiledPromptSet.compile(new PromptSetRef("t", "golden", "1", "x"), spec, pack, embedder, null);
        double s = golden.get("model_logit_scale").asDouble();
        for (int i = 0; i < 3; i++) {
            CompiledPromptSet.Scores sc = compiled.score(imageEmbeds[i], null);
            Map<String, Double> v = new java.util.HashMap<>();
            sc.scalars().forEach(x -> v.put(x.name(), x.value()));
            double good = softmax(s, cos(i, 0), cos(i, 1))[0];
            double other = softmax(s, cos(i, 4), cos(i, 5))[0];
            assertThat(v.get("good")).isCloseTo(good, within(1e-5));
            assertThat(v.get("good-ensemble")).isCloseTo((good + other) / 2, within(1e-5));
            double[] lv = softmax(s, cos(i, 1), cos(i, 4), cos(i, 0));
            assertThat(v.get("level")).isCloseTo(lv[0] * 1.0 + lv[1] * 2.5 + lv[2] * 4.0, within(1e-5));
            assertThat(v.get("calibrated")).isCloseTo(Math.clamp(1.0 + 3.0 * good, 1.0, 4.0), within(3e-5));
            ScoredImage.Classes room = sc.classes().getFirst();
            double[] rp = softmax(s, cos(i, 2), cos(i, 3));
            assertThat(room.labels()).containsExactly("kitchen", "bedroom");
            assertThat((double) room.probabilities()[0]).isCloseTo(rp[0], within(1e-5));
            assertThat((double) room.probabilities()[1]).isCloseTo(rp[1], within(1e-5));
        }
        // the golden cosines are not all alike, so the checks above distinguish the images
        assertThat(softmax(s, cos(0, 0), cos(0, 1))[0]).isNotCloseTo(softmax(s, cos(1, 0), cos(1, 1))[0], within(1e-3));
    }

    /** Reference softmax written independently of PromptMath. */
    static double[] softmax(double scale, double... cos) {
        double[] e = new double[cos.length];
        double sum = 0;
        for (int i = 0; i < cos.length; i++) {
            e[i] = Math.exp(scale * cos[i]);
            sum += e[i];
        }
        for (int i = 0; i < cos.length; i++) {
            e[i] /= sum;
        }
        return e;
    }
}
