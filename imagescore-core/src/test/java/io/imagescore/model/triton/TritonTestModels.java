package io.imagescore.model.triton;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The shared models the Triton tests serve, their specs, real inputs, and a direct ONNX Runtime reference. */
final class TritonTestModels {

    static final Path SHARED = Path.of(System.getProperty("imagescore.shared", "../shared"));
    static final Path MOBILENET = SHARED.resolve("models/mobilenetv2/mobilenetv2-12-int8-features.onnx");
    static final Path CLIP_TEXT = SHARED.resolve("models/clip-tiny/tiny-clip-text.onnx");
    static final Path CLIP_GOLDEN = SHARED.resolve("models/clip-tiny/tiny-clip-golden.json");

    private TritonTestModels() {
    }

    static ModelSpec mobilenet(String tritonName, int maxBatch) {
        return new ModelSpec("test/mobilenet", MOBILENET, tritonName, "",
                List.of(new TensorSpec("input", Tensor.DataType.FP32, List.of(-1L, 3L, 224L, 224L))),
                List.of(new TensorSpec("output", Tensor.DataType.FP32, List.of(-1L, 1000L)),
                        new TensorSpec("features", Tensor.DataType.FP32, List.of(-1L, 1280L))),
                maxBatch);
    }

    static ModelSpec clipText(String tritonName, int maxBatch) {
        return new ModelSpec("test/clip-text", CLIP_TEXT, tritonName, "",
                List.of(new TensorSpec("input_ids", Tensor.DataType.INT64, List.of(-1L, 77L))),
                List.of(new TensorSpec("text_embeds", Tensor.DataType.FP32, List.of(-1L, 16L))),
                maxBatch);
    }

    /** {@code n} real room photos, centre-cropped to 224 and ImageNet-normalised, as one NCHW batch. */
    static Tensor roomPhotos(int n) {
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        byte[] px = roomPixels(n).bytes();
        float[] data = new float[px.length];
        int plane = 224 * 224;
        for (int i = 0; i < px.length; i++) {
            int c = (i / plane) % 3;
            data[i] = ((px[i] & 0xff) / 255f - mean[c]) / std[c];
        }
        return Tensor.ofFloats(new long[] {n, 3, 224, 224}, data);
    }

    /** The pixels {@link #roomPhotos} normalises: UINT8 NCHW, what a model with a UINT8 input receives. */
    static Tensor roomPixels(int n) {
        List<Path> files;
        try (Stream<Path> s = Files.list(SHARED.resolve("data/rooms/eval/kitchen"))) {
            files = s.sorted().limit(n).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] data = new byte[n * 3 * 224 * 224];
        for (int i = 0; i < n; i++) {
            BufferedImage img;
            try {
                img = ImageIO.read(files.get(i).toFile());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            int x0 = (img.getWidth() - 224) / 2;
            int y0 = (img.getHeight() - 224) / 2;
            for (int y = 0; y < 224; y++) {
                for (int x = 0; x < 224; x++) {
                    int rgb = img.getRGB(x0 + x, y0 + y);
                    for (int c = 0; c < 3; c++) {
                        data[((i * 3 + c) * 224 + y) * 224 + x] = (byte) (rgb >> (16 - 8 * c));
                    }
                }
            }
        }
        return Tensor.ofUnsignedBytes(new long[] {n, 3, 224, 224}, data);
    }

    static JsonNode clipGolden() {
        try {
            return new ObjectMapper().readTree(CLIP_GOLDEN.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The golden token ids (6 texts x 77). */
    static Tensor goldenIds() {
        JsonNode ids = clipGolden().get("input_ids");
        long[] data = new long[ids.size() * 77];
        for (int i = 0; i < ids.size(); i++) {
            for (int j = 0; j < 77; j++) {
                data[i * 77 + j] = ids.get(i).get(j).asLong();
            }
        }
        return Tensor.ofLongs(new long[] {ids.size(), 77}, data);
    }

    /** Runs the model in-process with plain ONNX Runtime: the reference the Triton path must reproduce. */
    static Map<String, float[]> directOrt(Path model, String inputName, Tensor input) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor t = input.type() == Tensor.DataType.FP32
                     ? OnnxTensor.createTensor(env, FloatBuffer.wrap(input.floats()), input.shape())
                     : OnnxTensor.createTensor(env, LongBuffer.wrap(input.longs()), input.shape());
             OrtSession.Result r = session.run(Map.of(inputName, t))) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (var e : r) {
                FloatBuffer f = ((OnnxTensor) e.getValue()).getFloatBuffer();
                float[] a = new float[f.remaining()];
                f.get(a);
                out.put(e.getKey(), a);
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** max_batch_size of the config.pbtxt in a Triton model folder, so the stand-in serves what Triton would. */
    static int maxBatchSize(Path modelDir) {
        try {
            String config = Files.readString(modelDir.resolve("config.pbtxt"));
            Matcher m = Pattern.compile("(?m)^max_batch_size:\\s*(\\d+)").matcher(config);
            if (!m.find()) {
                throw new IllegalStateException("no max_batch_size in " + modelDir.resolve("config.pbtxt"));
            }
            return Integer.parseInt(m.group(1));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
