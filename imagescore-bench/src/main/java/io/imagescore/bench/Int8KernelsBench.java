package io.imagescore.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.imagescore.model.onnx.UnsignedInt8Weights;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Encoder throughput of the shared MobileNetV2-int8 model as published (s8 weights: ORT's u8s8 kernels, which
 * saturate on AVX2 CPUs without VNNI) and as the embedded backend serves it (u8u8, UnsignedInt8Weights), at 1 and 2
 * intra-op threads, batch 16, rounds alternating between the two; prints medians as a Markdown table.
 * Usage: Int8KernelsBench MODEL.onnx [ROUNDS]
 */
public final class Int8KernelsBench {
    public static void main(String[] args) throws Exception {
        byte[] original = Files.readAllBytes(Path.of(args[0]));
        byte[] unsigned = UnsignedInt8Weights.rewrite(original).model();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int n = 16;
        float[] x = new float[n * 3 * 224 * 224];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1.2);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.println("| threads | s8 weights (u8s8 kernels), img/s | u8u8 (served), img/s | ratio |");
        System.out.println("|---|---|---|---|");
        for (int threads : new int[]{1, 2}) {
            List<Double> a = new ArrayList<>();
            List<Double> b = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                a.add(rate(env, original, threads, x, n));
                b.add(rate(env, unsigned, threads, x, n));
            }
            double ma = median(a);
            double mb = median(b);
            System.out.printf("| %d | %.0f (%s) | %.0f (%s) | %.2f |%n", threads, ma, range(a), mb, range(b), mb / ma);
        }
    }

    static double rate(OrtEnvironment env, byte[] model, int threads, float[] x, int n) throws Exception {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(threads);
        so.setInterOpNumThreads(1);
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession s = env.createSession(model, so);
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{n, 3, 224, 224})) {
            s.run(Map.of("input", t)).close();
            int iterations = 10;
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.run(Map.of("input", t)).close();
            }
            return iterations * n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    static String range(List<Double> v) {
        return String.format("%.0f–%.0f", v.stream().mapToDouble(d -> d).min().orElse(0), v.stream().mapToDouble(d -> d).max().orElse(0));
    }
}
