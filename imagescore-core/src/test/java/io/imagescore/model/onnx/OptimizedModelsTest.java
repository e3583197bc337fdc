package io.imagescore.model.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessedImage;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.StageClock;
import io.imagescore.image.View;
import io.imagescore.model.Tensor;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.store.Sha256;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The optimised-model cache gives the uncached session's outputs bit for bit, and never uses a damaged entry. */
class OptimizedModelsTest {
    static final ModelPack PACK = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));
    static final Set<String> OUTPUTS = Set.of("features", "output", "spatial");

    /** Two real photos, preprocessed as the pack says, as one batch. */
    private static Tensor photos() {
        Preprocessor pre = new Preprocessor();
        int per = 3 * 224 * 224;
        List<String> names = List.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg");
        float[] batch = new float[names.size() * per];
        for (int i = 0; i < names.size(); i++) {
            PreprocessedImage p = pre.preprocess(ByteBuffer.wrap(Shared.bytes(names.get(i))), PACK.preprocessing(),
                    List.of(View.CENTER), PreprocessMode.EXACT, StageClock.NONE);
            System.arraycopy(p.views().get(View.CENTER).getFirst(), 0, batch, i * per, per);
        }
        return Tensor.ofFloats(new long[]{names.size(), 3, 224, 224}, batch);
    }

    private static Map<String, Tensor> run(Optional<Path> cache, Tensor input) {
        try (OnnxBackend b = new OnnxBackend(new OnnxBackend.Config(1, false, cache))) {
            b.load(PACK.encoder());
            return b.infer(PACK.encoder().id(), Map.of("input", input), OUTPUTS, null);
        }
    }

    private static List<Path> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void assertSameOutputs(Map<String, Tensor> actual, Map<String, Tensor> expected, String what) {
        for (String o : OUTPUTS) {
            assertThat(actual.get(o).shape()).as(what + " " + o).isEqualTo(expected.get(o).shape());
            assertThat(actual.get(o).floats()).as(what + " " + o + " bit for bit").isEqualTo(expected.get(o).floats());
        }
    }

    @Test
    void a_cached_graph_gives_the_optimised_sessions_outputs_bit_for_bit(@TempDir Path dir) throws Exception {
        Tensor input = photos();
        Map<String, Tensor> uncached = run(Optional.empty(), input);
        Path cache = dir.resolve("ort-cache");

        Map<String, Tensor> first = run(Optional.of(cache), input); // builds and saves
        List<Path> saved = entries(cache);
        assertThat(saved).hasSize(1);
        String name = saved.getFirst().getFileName().toString();
        assertThat(name).matches("[0-9a-f]{32}-[0-9a-f]{64}\\.ort");
        assertThat(name).contains(Sha256.instance().fileHex(saved.getFirst()));
        assertSameOutputs(first, uncached, "saving run");

        // the key covers the settings: other settings miss and save their own entry
        OptimizedModels.Options options = level -> {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(1);
            o.setOptimizationLevel(level);
            return o;
        };
        OptimizedModels.Opened other = new OptimizedModels(cache).open(OrtEnvironment.getEnvironment(), PACK.encoder().file(),
                Files.readAllBytes(PACK.encoder().file()), "other settings", options);
        other.session().close();
        assertThat(other.source()).isEqualTo(OptimizedModels.Source.SAVED);
        assertThat(entries(cache)).hasSize(2);

        Map<String, Tensor> cached = run(Optional.of(cache), input); // loads the backend's entry
        assertThat(entries(cache)).hasSize(2);
        assertSameOutputs(cached, uncached, "cached run");
        // the outputs are real: two different photos, two different embeddings
        float[] f = cached.get("features").floats();
        assertThat(Arrays.copyOfRange(f, 0, 1280)).isNotEqualTo(Arrays.copyOfRange(f, 1280, 2560));
    }

    @Test
    void a_second_open_with_the_same_key_loads_the_entry(@TempDir Path dir) throws Exception {
        OptimizedModels models = new OptimizedModels(dir);
        byte[] model = Files.readAllBytes(PACK.encoder().file());
        OptimizedModels.Options options = level -> {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(level);
            return o;
        };
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<OptimizedModels.Source> sources = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            OptimizedModels.Opened opened = models.open(env, PACK.encoder().file(), model, "s", options);
            opened.session().close();
            sources.add(opened.source());
        }
        assertThat(sources).containsExactly(OptimizedModels.Source.SAVED, OptimizedModels.Source.CACHED);
        assertThat(new OptimizedModels(null).open(env, PACK.encoder().file(), model, "s", options).source())
                .isEqualTo(OptimizedModels.Source.UNCACHED);
    }

    @Test
    void a_damaged_entry_is_removed_and_the_model_is_optimised_again(@TempDir Path dir) throws Exception {
        Tensor input = photos();
        Path cache = dir.resolve("ort-cache");
        Map<String, Tensor> first = run(Optional.of(cache), input);
        Path entry = entries(cache).getFirst();
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 1; // one flipped bit in the graph's weights: it would still load
        Files.write(entry, bytes);

        Map<String, Tensor> again = run(Optional.of(cache), input);
        assertSameOutputs(again, first, "after the damage");
        List<Path> now = entries(cache);
        // one intact entry again (ORT writes the same bytes, so usually under the same name), not the damaged bytes
        assertThat(now).hasSize(1);
        assertThat(now.getFirst().getFileName().toString()).contains(Sha256.instance().fileHex(now.getFirst()));
        assertThat(Files.readAllBytes(now.getFirst())).isNotEqualTo(bytes);
    }

    @Test
    void the_key_changes_with_the_model_and_the_settings() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] model = Files.readAllBytes(PACK.encoder().file());
        byte[] other = model.clone();
        other[other.length - 1] ^= 1;
        String key = OptimizedModels.key(env, model, "s");
        assertThat(key).hasSize(32).isEqualTo(OptimizedModels.key(env, model.clone(), "s"));
        assertThat(OptimizedModels.key(env, other, "s")).isNotEqualTo(key);
        assertThat(OptimizedModels.key(env, model, "t")).isNotEqualTo(key);
        assertThat(OptimizedModels.cpuFeatures()).isNotBlank(); // Linux: without it nothing would be cached
    }
}
