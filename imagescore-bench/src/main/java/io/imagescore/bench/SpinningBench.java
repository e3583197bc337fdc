package io.imagescore.bench;

import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.onnx.OnnxBackend;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * ONNX Runtime intra-op spinning on and off under concurrent load: CLIENTS threads call the embedded backend
 * (MobileNetV2-int8, batch BATCH, random input) back to back for SECONDS; rounds alternate on/off. Prints img/s and
 * the p50/p99 latency of one call, medians over rounds, as a Markdown table.
 * Usage: SpinningBench MODEL.onnx THREADS CLIENTS BATCH SECONDS ROUNDS
 */
public final class SpinningBench {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int clients = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        double seconds = Double.parseDouble(args[4]);
        int rounds = Integer.parseInt(args[5]);
        ModelSpec spec = new ModelSpec("bench/mobilenet", model, null, null,
                List.of(new TensorSpec("input", Tensor.DataType.FP32, List.of(-1L, 3L, 224L, 224L))),
                List.of(new TensorSpec("features", Tensor.DataType.FP32, List.of(-1L, 1280L))), 32);
        float[] x = new float[batch * 3 * 224 * 224];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1.2);
        }
        Map<String, Tensor> input = Map.of("input", Tensor.ofFloats(new long[]{batch, 3, 224, 224}, x));
        Map<Boolean, List<double[]>> results = Map.of(true, new ArrayList<>(), false, new ArrayList<>());
        for (int round = 0; round < rounds; round++) {
            for (boolean spinning : new boolean[]{true, false}) {
                try (OnnxBackend backend = new OnnxBackend(new OnnxBackend.Config(threads, spinning))) {
                    backend.load(spec);
                    backend.infer(spec.id(), input, Set.of("features"), null); // warm-up
                    results.get(spinning).add(run(backend, spec, input, clients, batch, seconds));
                }
            }
        }
        System.out.printf("intra-op threads %d, %d clients, batch %d, %d rounds of %.0f s%n", threads, clients, batch,
                rounds, seconds);
        System.out.println("| spinning | img/s | p50 ms | p99 ms | img/s per round |");
        System.out.println("|---|---|---|---|---|");
        for (boolean spinning : new boolean[]{true, false}) {
            List<double[]> v = results.get(spinning);
            System.out.printf("| %s | %.0f | %.0f | %.0f | %s |%n", spinning ? "on" : "off", median(v, 0), median(v, 1),
                    median(v, 2), String.join(", ", v.stream().map(d -> String.format("%.0f", d[0])).toList()));
        }
    }

    /** {img/s, p50 ms, p99 ms} of CLIENTS threads calling back to back for SECONDS. */
    static double[] run(OnnxBackend backend, ModelSpec spec, Map<String, Tensor> input, int clients, int batch,
                        double seconds) throws InterruptedException {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch done = new CountDownLatch(clients);
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    backend.infer(spec.id(), input, Set.of("features"), Instant.now().plusSeconds(60));
                    latencies.add(System.nanoTime() - s);
                }
                done.countDown();
            });
        }
        done.await();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new double[]{sorted.size() * batch / elapsed, sorted.get(sorted.size() / 2) / 1e6,
                sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6};
    }

    static double median(List<double[]> v, int k) {
        List<Double> s = v.stream().map(d -> d[k]).sorted().toList();
        return s.get(s.size() / 2);
    }
}
