package io.imagescore.explain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pack's encoder (scripts/add_spatial_output.py applied to the shared model) adds `spatial` and changes nothing
 * else: `features` and `output` are bit-identical to the shared model's on real photos, and `features` is the
 * (int8-requantised) global average of `spatial`.
 */
class SpatialOutputModelTest {

    @Test
    void spatial_output_leaves_features_and_logits_bit_identical() throws Exception {
        ModelPack pack = new PackLoader(Shared.dir()).load(Path.of("packs/mobilenetv2-default"));
        Preprocessor pre = new Preprocessor();
        List<Path> photos;
        try (var s = Files.list(Shared.path("data/rooms/eval/kitchen"))) {
            photos = s.sorted().limit(4).toList();
        }
        float[] batch = new float[photos.size() * 3 * 224 * 224];
        for (int i = 0; i < photos.size(); i++) {
            float[] t = pre.preprocess(Files.readAllBytes(photos.get(i)), pack.preprocessing(), List.of(View.CENTER),
                    PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
            System.arraycopy(t, 0, batch, i * t.length, t.length);
        }
        var env = OrtEnvironment.getEnvironment();
        Map<String, float[]> edited = run(env, pack.encoder().file(), batch, photos.size(), Set.of("features", "output", "spatial"));
        Map<String, float[]> shared = run(env, Shared.path("models/mobilenetv2/mobilenetv2-12-int8-features.onnx"), batch,
                photos.size(), Set.of("features", "output"));
        assertThat(edited.get("features")).containsExactly(shared.get("features"));
        assertThat(edited.get("output")).containsExactly(shared.get("output"));

        float[] spatial = edited.get("spatial");
        float[] features = edited.get("features");
        assertThat(spatial).hasSize(photos.size() * 1280 * 49);
        double maxErr = 0;
        for (int n = 0; n < photos.size(); n++) {
            for (int d = 0; d < 1280; d++) {
                double mean = 0;
                for (int ij = 0; ij < 49; ij++) {
                    mean += spatial[(n * 1280 + d) * 49 + ij];
                }
                maxErr = Math.max(maxErr, Math.abs(mean / 49 - features[n * 1280 + d]));
            }
        }
        // the pooled vector is requantised to int8: within one quantisation step (its scale is ≈ 0.03) of the mean
        assertThat(maxErr).isLessThan(0.04).isGreaterThan(0);
    }

    private static Map<String, float[]> run(OrtEnvironment env, Path model, float[] batch, int n, Set<String> outputs)
            throws Exception {
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(batch), new long[] {n, 3, 224, 224});
             OrtSession.Result r = session.run(Map.of("input", input), outputs)) {
            Map<String, float[]> out = new java.util.HashMap<>();
            for (String o : outputs) {
                FloatBuffer fb = ((OnnxTensor) r.get(o).orElseThrow()).getFloatBuffer();
                float[] a = new float[fb.remaining()];
                fb.get(a);
                out.put(o, a);
            }
            return out;
        }
    }
}
