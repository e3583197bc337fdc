package io.imagescore.image;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default pack's Triton model takes UINT8 pixels and normalises them inside its graph
 * ({@code scripts/add_uint8_input.py}). Its results must be the embedded backend's bit for bit, so the graph's
 * normalisation must give the very floats the front end's {@link TensorWriter} gives: checked for every (channel, value)
 * pair on the script's normalisation alone, and on the whole model for real photos, every view kind, every output.
 */
class Uint8InputModelTest {

    static final ModelPack PACK = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));

    @Test
    void the_graphs_normalisation_equals_the_front_ends_for_every_value_of_every_channel() throws OrtException {
        // each 224x224 plane cycles through the 256 values: every (channel, value) pair, at many positions
        byte[] pixels = new byte[3 * 224 * 224];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path prefix = Shared.root().resolve("imagescore-core/src/test/resources/uint8-input/mobilenetv2-default-prefix.onnx");
        float[] inGraph;
        try (OrtSession s = env.createSession(prefix.toString(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(env, ByteBuffer.wrap(pixels), new long[] {1, 3, 224, 224}, OnnxJavaType.UINT8);
             OrtSession.Result r = s.run(Map.of("pixels", t))) {
            FloatBuffer f = ((OnnxTensor) r.get(0)).getFloatBuffer();
            inGraph = new float[f.remaining()];
            f.get(inGraph);
        }
        float[] frontEnd = new TensorWriter(PACK.preprocessing()).normalise(pixels);
        assertThat(inGraph).isEqualTo(frontEnd); // Arrays.equals on floats: bit for bit
        assertThat(frontEnd[0]).isNotEqualTo(frontEnd[255]);
    }

    @Test
    void the_uint8_model_gives_the_fp32_models_outputs_bit_for_bit_on_real_photos() {
        ModelSpec fp32 = PACK.encoder();
        ModelSpec u8 = new ModelSpec("test/u8", Shared.defaultPackTritonModel(), "", "", fp32.tritonInputs(),
                fp32.outputs(), fp32.maxBatch());
        assertThat(u8.inputs().getFirst()).isEqualTo(new TensorSpec("pixels", Tensor.DataType.UINT8, List.of(-1L, 3L, 224L, 224L)));
        Preprocessor pre = new Preprocessor();
        List<View> views = List.of(View.CENTER, View.WHOLE_FLIP, View.GRID3);
        Set<String> outputs = Set.of("features", "output", "spatial");
        List<float[]> features = new ArrayList<>();
        try (OnnxBackend b = new OnnxBackend(new OnnxBackend.Config(1))) {
            b.load(fp32);
            b.load(u8);
            for (String photo : List.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
                    "data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg")) {
                ByteBuffer bytes = ByteBuffer.wrap(Shared.bytes(photo));
                PreprocessedImage p = pre.preprocessPixels(bytes, PACK.preprocessing(), views, PreprocessMode.EXACT, StageClock.NONE);
                PreprocessedImage f = pre.preprocess(bytes, PACK.preprocessing(), views, PreprocessMode.EXACT, StageClock.NONE);
                assertThat(p.views()).isEmpty();
                assertThat(f.pixels()).isEmpty();
                List<byte[]> pixels = views.stream().flatMap(v -> p.pixels().get(v).stream()).toList();
                List<float[]> floats = views.stream().flatMap(v -> f.views().get(v).stream()).toList();
                int n = pixels.size();
                int per = 3 * 224 * 224;
                byte[] pb = new byte[n * per];
                float[] fb = new float[n * per];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(pixels.get(i), 0, pb, i * per, per);
                    System.arraycopy(floats.get(i), 0, fb, i * per, per);
                }
                long[] shape = {n, 3, 224, 224};
                Map<String, Tensor> viaFloats = b.infer(fp32.id(), Map.of("input", Tensor.ofFloats(shape, fb)), outputs, null);
                Map<String, Tensor> viaPixels = b.infer(u8.id(), Map.of("pixels", Tensor.ofUnsignedBytes(shape, pb)), outputs, null);
                for (String o : outputs) {
                    assertThat(viaPixels.get(o).floats()).as(photo + " " + o).isEqualTo(viaFloats.get(o).floats());
                }
                features.add(java.util.Arrays.copyOfRange(viaPixels.get("features").floats(), 0, 1280));
            }
        }
        // different photos give different features (nothing trivially equal)
        assertThat(features.get(0)).isNotEqualTo(features.get(1));
    }
}
