package io.imagescore.model.triton;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.head.Head;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.ExportedClip;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static io.imagescore.model.triton.TritonTestModels.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CLIP that scripts/export_clip_onnx.py exports with random weights (tiny config, seed 0), as a pack: ONNX Runtime
 * reproduces the exporter's torch outputs (FP32 ≤ 1e-4, the UINT8-input variant ≤ 1e-4, FP16 within 1% of the largest
 * output); the embedded backend (FP32 tower, normalised floats) and TritonBackend through the Triton test server (serving
 * the exported Triton model repository: the UINT8 tower, sent the pixels) give the same embeddings and the same
 * aesthetic scores (the pack's in-process LAION head, the one way it runs) on real photos; the outputs equal the
 * committed goldens (the seed fixes them). With {@code -Dimagescore.clip-export.config=b32} the same checks run on a
 * B/32-sized export (the goldens and the tiny names only for tiny).
 */
class ExportedClipBackendsTest {
    static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    static ModelPack pack;
    static Path repo;
    static Path verify;
    static JsonNode golden;
    static TritonTestServer server;
    static OnnxBackend embedded;
    static TritonBackend triton;
    static String name;        // the pack name, the Triton models' prefix
    static int dim;            // embedding size
    static float[] u8Pixels;   // [3,3,224,224] values 0..255
    static Tensor pixels;      // the same, CLIP-normalised as the pack's preprocessing does
    static Tensor ids;         // [4,77]

    @BeforeAll
    static void exportAndServe() throws IOException {
        pack = new PackLoader(Shared.dir()).load(ExportedClip.pack());
        name = pack.name();
        dim = pack.embeddingDim();
        repo = ExportedClip.tritonRepo();
        verify = ExportedClip.verify();
        golden = new ObjectMapper().readTree(Path.of("imagescore-core/src/test/resources/clip-export/clip-tiny-seed0-golden.json").toFile());
        server = TritonTestServer.start();
        for (String model : List.of(name + "-image-u8", name + "-text")) {
            Path dir = repo.resolve(model);
            server.addModel(model, dir.resolve("1/model.onnx"), TritonTestModels.maxBatchSize(dir));
        }
        embedded = new OnnxBackend(new OnnxBackend.Config(1));
        triton = new TritonBackend(TritonConfig.defaults(List.of(server.target())), new SimpleMeterRegistry());
        for (ModelBackend b : List.of(embedded, triton)) {
            b.load(pack.encoder());
            b.load(pack.textEncoder().model());
        }
        u8Pixels = Shared.npyFloats(verify.resolve("pixels-u8.npy"));
        float[] normalised = new float[u8Pixels.length];
        int plane = 224 * 224;
        for (int i = 0; i < normalised.length; i++) {
            int c = (i / plane) % 3;
            normalised[i] = (u8Pixels[i] / 255f - MEAN[c]) / STD[c];
        }
        pixels = Tensor.ofFloats(new long[] {3, 3, 224, 224}, normalised);
        float[] idFloats = Shared.npyFloats(verify.resolve("input-ids.npy"));
        long[] idLongs = new long[idFloats.length];
        for (int i = 0; i < idLongs.length; i++) {
            idLongs[i] = (long) idFloats[i];
        }
        ids = Tensor.ofLongs(new long[] {idLongs.length / 77, 77}, idLongs);
    }

    @AfterAll
    static void stop() {
        if (triton != null) {
            triton.close();
        }
        if (embedded != null) {
            embedded.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** The verification images' embeddings: the embedded backend gets the normalised floats, Triton the pixels. */
    static float[] image(ModelBackend b) {
        return image(b, "image_embeds");
    }

    static float[] image(ModelBackend b, String output) {
        TensorSpec in = b.inputs(pack.encoder()).getFirst();
        Tensor input = in.type() == Tensor.DataType.UINT8 ? Tensor.ofUnsignedBytes(pixels.shape(), u8Bytes()) : pixels;
        return b.infer(pack.encoder().id(), Map.of(in.name(), input), Set.of(output), Instant.now().plusSeconds(60))
                .get(output).floats();
    }

    static byte[] u8Bytes() {
        byte[] bytes = new byte[u8Pixels.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (int) u8Pixels[i];
        }
        return bytes;
    }

    static float[] text(ModelBackend b, Tensor input) {
        return b.infer(pack.textEncoder().model().id(), Map.of("input_ids", input), Set.of("text_embeds"),
                Instant.now().plusSeconds(60)).get("text_embeds").floats();
    }

    static float[] torch(String output) throws IOException {
        return Shared.npyFloats(verify.resolve(output + ".npy"));
    }

    @Test
    void the_pack_has_both_towers_the_aesthetic_head_and_the_random_init_logit_scale() {
        assertThat(name).isEqualTo(ExportedClip.CONFIG.equals("tiny") ? "clip-tiny" : "clip-vit-" + ExportedClip.CONFIG);
        assertThat(dim).isEqualTo(pack.textEncoder().embeddingDim()).isIn(512, 768);
        assertThat(pack.encoder().file()).isEqualTo(ExportedClip.pack().resolve("image.onnx"));
        // Triton serves the UINT8 tower (pixels on the wire), the embedded backend the FP32 file
        assertThat(pack.encoder().tritonName()).isEqualTo(name + "-image-u8");
        assertThat(triton.inputs(pack.encoder())).containsExactly(new TensorSpec("pixels", Tensor.DataType.UINT8, List.of(-1L, 3L, 224L, 224L)));
        assertThat(embedded.inputs(pack.encoder())).containsExactly(new TensorSpec("pixel_values", Tensor.DataType.FP32, List.of(-1L, 3L, 224L, 224L)));
        assertThat(pack.textEncoder().model().tritonName()).isEqualTo(name + "-text");
        assertThat(pack.textEncoder().logitScale()).isCloseTo(1 / 0.07, within(1e-4));
        assertThat(pack.heads()).containsKey("aesthetic");
        for (String model : List.of(name + "-image-u8", name + "-image-fp16", name + "-text", name + "-text-fp16")) {
            assertThat(repo.resolve(model).resolve("1/model.onnx")).isRegularFile();
            assertThat(repo.resolve(model).resolve("config.pbtxt")).content()
                    .contains("name: \"" + model + "\"", "dynamic_batching {", "instance_group [");
        }
        // nothing unused in the repository: no FP32 image tower for Triton, no head model (the head runs in Java)
        assertThat(repo.resolve(name + "-image")).doesNotExist();
        assertThat(repo.resolve(name + "-aesthetic")).doesNotExist();
        assertThat(ExportedClip.pack().resolve("heads/aesthetic/1/weights.safetensors")).isRegularFile();
    }

    @Test
    void onnx_runtime_reproduces_the_exporters_torch_outputs_in_fp32() throws IOException {
        assertThat(maxAbsDiff(image(embedded), torch("image"))).isLessThanOrEqualTo(1e-4f);
        assertThat(maxAbsDiff(text(embedded, ids), torch("text"))).isLessThanOrEqualTo(1e-4f);
    }

    /**
     * --patch-tokens: the image towers' `spatial` output (every patch token through ln_post and the projection, the
     * map prompt-score explanations read) equals the exporter's torch patch tokens on both backends, and the pack and
     * the generated Triton config list it.
     */
    @Test
    void the_patch_tokens_equal_torch_on_both_backends_and_are_listed() throws IOException {
        TensorSpec spatial = pack.encoder().outputs().get(1);
        assertThat(spatial.name()).isEqualTo("spatial");
        long grid = spatial.shape().get(2);
        assertThat(spatial.shape()).containsExactly(-1L, (long) dim, grid, grid);
        float[] expected = torch("image-spatial");
        assertThat(expected).hasSize((int) (3 * dim * grid * grid));
        for (ModelBackend b : List.of(embedded, triton)) {
            assertThat(maxAbsDiff(image(b, "spatial"), expected)).as(b.kind()).isLessThanOrEqualTo(1e-4f);
        }
        assertThat(repo.resolve(name + "-image-u8/config.pbtxt")).content()
                .contains("name: \"spatial\"", "dims: [ " + dim + ", " + grid + ", " + grid + " ]");
    }

    @Test
    void the_uint8_variant_normalises_inside_and_equals_the_fp32_tower() throws IOException {
        float[] u8 = runDirect(repo.resolve(name + "-image-u8/1/model.onnx"), "pixels", OnnxJavaType.UINT8,
                ByteBuffer.wrap(u8Bytes()), new long[] {3, 3, 224, 224});
        assertThat(maxAbsDiff(u8, torch("image-u8"))).isLessThanOrEqualTo(1e-4f);
        // bit for bit: the graph normalises in the front end's float32 arithmetic
        assertThat(u8).isEqualTo(image(embedded));
    }

    @Test
    void the_fp16_variants_stay_within_one_percent_of_the_largest_output() throws IOException {
        float[] image = runDirect(repo.resolve(name + "-image-fp16/1/model.onnx"), "pixel_values", OnnxJavaType.FLOAT,
                FloatBuffer.wrap(pixels.floats()), pixels.shape());
        float[] text;
        try (OrtSession s = OrtEnvironment.getEnvironment().createSession(repo.resolve(name + "-text-fp16/1/model.onnx").toString());
             OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), java.nio.LongBuffer.wrap(ids.longs()), ids.shape());
             OrtSession.Result r = s.run(Map.of("input_ids", t))) {
            text = floats((OnnxTensor) r.get(0));
        } catch (OrtException e) {
            throw new AssertionError(e);
        }
        for (var c : List.of(Map.entry(image, torch("image")), Map.entry(text, torch("text")))) {
            float scale = maxAbsDiff(c.getValue(), new float[c.getValue().length]);
            // measured here: 7e-4 and 8e-4 of the largest |output| (image, text)
            assertThat(maxAbsDiff(c.getKey(), c.getValue())).isLessThanOrEqualTo(0.01f * scale);
            // FP16 really changed the arithmetic: not bit-equal to FP32
            assertThat(maxAbsDiff(c.getKey(), c.getValue())).isGreaterThan(0f);
        }
    }

    @Test
    void the_embedded_backend_and_triton_give_the_same_embeddings() {
        assertThat(image(triton)).isEqualTo(image(embedded));
        assertThat(maxAbsDiff(text(triton, ids), text(embedded, ids))).isLessThanOrEqualTo(1e-5f);
    }

    /** The aesthetic score runs one way, the pack's in-process LAION head on the encoding: the same on both backends. */
    @Test
    void real_photos_get_the_same_aesthetic_scores_and_embeddings_on_both_backends() {
        List<ImageInput> photos = Stream.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
                "data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg")
                .map(p -> new ImageInput(p, Shared.bytes(p))).toList();
        List<List<Outcome<ScoredImage>>> results = new ArrayList<>();
        for (ModelBackend b : List.of(embedded, triton)) {
            ScoringPipeline pipeline = new ScoringPipeline(b, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
            try {
                results.add(pipeline.score(pack, photos, ScoringPipeline.select(pack, List.of("aesthetic")), true,
                        PreprocessMode.EXACT, Instant.now().plusSeconds(60)));
            } finally {
                pipeline.stop();
            }
        }
        for (int i = 0; i < photos.size(); i++) {
            ScoredImage local = results.get(0).get(i).value();
            ScoredImage remote = results.get(1).get(i).value();
            assertThat(remote.scalars()).isEqualTo(local.scalars()).singleElement()
                    .satisfies(s -> assertThat(s.name()).isEqualTo("aesthetic"));
            assertThat(remote.embedding()).isEqualTo(local.embedding());
        }
        assertThat(results.get(0).get(0).value().scalars().getFirst().value())
                .isNotEqualTo(results.get(0).get(1).value().scalars().getFirst().value());
    }

    @Test
    void a_batch_equals_its_rows_one_by_one_on_both_backends() {
        for (ModelBackend b : List.of(embedded, triton)) {
            float[] batch = text(b, ids);
            for (int i = 0; i < 4; i++) {
                float[] one = text(b, Tensor.ofLongs(new long[] {1, 77}, Arrays.copyOfRange(ids.longs(), i * 77, (i + 1) * 77)));
                assertThat(maxAbsDiff(one, Arrays.copyOfRange(batch, i * dim, (i + 1) * dim))).as(b.kind() + " row " + i)
                        .isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void outputs_equal_the_committed_goldens_of_seed_0() {
        assumeTrue(ExportedClip.CONFIG.equals("tiny"), "goldens exist for the tiny export only");
        for (ModelBackend b : List.of(embedded, triton)) {
            checkRows(image(b), golden.get("image_embeds_first8"), golden.get("image_embeds_norm"));
            checkRows(text(b, ids), golden.get("text_embeds_first8"), golden.get("text_embeds_norm"));
        }
        float[] scores = aesthetic(image(embedded));
        for (int i = 0; i < scores.length; i++) {
            assertThat((double) scores[i]).as("aesthetic %d", i).isCloseTo(golden.get("aesthetic").get(i).asDouble(), within(1e-4));
        }
        // the goldens tell the rows apart, so a mixed-up row order fails
        assertThat(golden.get("image_embeds_first8").get(0).get(0).asDouble())
                .isNotCloseTo(golden.get("image_embeds_first8").get(1).get(0).asDouble(), within(1e-3));
    }

    static void checkRows(float[] actual, JsonNode first8, JsonNode norms) {
        for (int r = 0; r < first8.size(); r++) {
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                norm += (double) actual[r * dim + d] * actual[r * dim + d];
            }
            assertThat(Math.sqrt(norm)).as("row %d norm", r).isCloseTo(norms.get(r).asDouble(), within(1e-3));
            for (int d = 0; d < 8; d++) {
                assertThat((double) actual[r * dim + d]).as("row %d dim %d", r, d).isCloseTo(first8.get(r).get(d).asDouble(), within(1e-4));
            }
        }
    }

    static float[] aesthetic(float[] embeds) {
        Head head = pack.heads().get("aesthetic").lastEntry().getValue().head();
        float[] out = new float[embeds.length / dim];
        for (int i = 0; i < out.length; i++) {
            out[i] = head.apply(Arrays.copyOfRange(embeds, i * dim, (i + 1) * dim))[0];
        }
        return out;
    }

    static float[] runDirect(Path model, String input, OnnxJavaType type, java.nio.Buffer data, long[] shape) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString());
             OnnxTensor t = type == OnnxJavaType.UINT8
                     ? OnnxTensor.createTensor(env, (ByteBuffer) data, shape, OnnxJavaType.UINT8)
                     : OnnxTensor.createTensor(env, (FloatBuffer) data, shape);
             OrtSession.Result r = s.run(Map.of(input, t))) {
            return floats((OnnxTensor) r.get(0));
        } catch (OrtException e) {
            throw new AssertionError(e);
        }
    }

    static float[] floats(OnnxTensor t) {
        FloatBuffer f = t.getFloatBuffer();
        float[] a = new float[f.remaining()];
        f.get(a);
        return a;
    }
}
