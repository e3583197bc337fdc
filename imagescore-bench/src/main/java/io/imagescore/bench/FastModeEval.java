package io.imagescore.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What fast mode changes: per photo set, the tensor difference against exact mode and the cosine between the
 * MobileNetV2 {@code features} embeddings (the default pack's backbone, ../shared) of the two tensors.
 * Usage: FastModeEval SHARED_DIR GENERATED_IMAGES_DIR. Run by bench/fast-vs-exact.sh.
 */
public final class FastModeEval {
    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        Map<String, List<Path>> sets = new java.util.LinkedHashMap<>();
        sets.put("CLIVE 500x500 (627)", list(shared.resolve("data/clive/images")));
        sets.put("rooms eval 256x256 (600)", list(shared.resolve("data/rooms/eval")));
        sets.put("clothing validation ~400x533 (341)", list(shared.resolve("data/clothing/validation")));
        sets.put("generated 1024x768", List.of(Path.of(args[1], "gen-1024x768.jpg")));
        sets.put("generated 4032x3024", List.of(Path.of(args[1], "gen-4032x3024.jpg")));
        PreprocessSpec spec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP,
                new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
                PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));
        Preprocessor pre = new Preprocessor();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(
                    shared.resolve("models/mobilenetv2/mobilenetv2-12-int8-features.onnx").toString(), options)) {
                System.out.println("| set | images | DCT-scaled in fast mode | mean abs tensor diff | max abs tensor diff"
                        + " | mean embedding cosine | min embedding cosine |");
                System.out.println("|---|---|---|---|---|---|---|");
                for (Map.Entry<String, List<Path>> set : sets.entrySet()) {
                    int n = 0;
                    int scaled = 0;
                    double sumAbs = 0;
                    long elements = 0;
                    double maxAbs = 0;
                    double sumCos = 0;
                    double minCos = 1;
                    for (Path image : set.getValue()) {
                        byte[] bytes = Files.readAllBytes(image);
                        float[] exact;
                        float[] fast;
                        try {
                            exact = pre.preprocess(bytes, spec, List.of(View.CENTER), PreprocessMode.EXACT).views().get(View.CENTER).getFirst();
                            fast = pre.preprocess(bytes, spec, List.of(View.CENTER), PreprocessMode.FAST).views().get(View.CENTER).getFirst();
                        } catch (ImageScoreException e) {
                            continue;
                        }
                        n++;
                        boolean differs = false;
                        for (int i = 0; i < exact.length; i++) {
                            double d = Math.abs(exact[i] - fast[i]);
                            sumAbs += d;
                            maxAbs = Math.max(maxAbs, d);
                            differs |= d != 0;
                        }
                        elements += exact.length;
                        scaled += differs ? 1 : 0;
                        double cos = cosine(embed(env, session, exact), embed(env, session, fast));
                        sumCos += cos;
                        minCos = Math.min(minCos, cos);
                    }
                    System.out.printf("| %s | %d | %d | %.5f | %.4f | %.6f | %.6f |%n", set.getKey(), n, scaled,
                            sumAbs / Math.max(1, elements), maxAbs, sumCos / Math.max(1, n), minCos);
                }
            }
        }
    }

    private static List<Path> list(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().toLowerCase().endsWith(".jpg")).sorted().toList();
        }
    }

    private static float[] embed(OrtEnvironment env, OrtSession session, float[] tensor) throws Exception {
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(tensor), new long[] {1, 3, 224, 224});
             OrtSession.Result result = session.run(Map.of("input", input), Set.of("features"))) {
            return ((float[][]) result.get("features").orElseThrow().getValue())[0];
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
