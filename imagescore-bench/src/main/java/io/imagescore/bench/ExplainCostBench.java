package io.imagescore.bench;

import io.imagescore.score.Engine;
import io.imagescore.image.PreprocessMode;
import io.imagescore.score.ImageInput;
import io.imagescore.score.ScoringPipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * What explanations add to a Score: the same photos and scores through the embedded pipeline with and without
 * {@code explain}, one image per call (the service's per-request shape), in alternating rounds whose order flips
 * every round (plain, explained, explained, plain, …) so that a drift of the machine's load hits both alike; prints
 * the medians of ms/image over the rounds as a Markdown table: wall time, and the process's CPU time (all threads:
 * decode, ONNX Runtime, heads, maps), which a machine shared with other work disturbs much less than wall time. Usage: ExplainCostBench PHOTO_DIR [PHOTOS=12]
 * [ROUNDS=7] [THREADS=2] [SCORES] (SCORES: one comma-separated set instead of the default sets)
 */
public final class ExplainCostBench {
    public static void main(String[] args) throws Exception {
        int photos = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        List<ImageInput> images = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            for (Path p : s.sorted().limit(photos).toList()) {
                images.add(new ImageInput(p.toString(), Files.readAllBytes(p)));
            }
        }
        List<List<String>> sets = args.length > 4 ? List.of(List.of(args[4].split(","))) : List.of(List.of("quality_fast"), List.of("quality"), List.of("room_type"),
                List.of("apparel"), List.of("quality", "quality_fast", "room_type", "apparel", "imagenet"));
        System.out.println("| scores | encoder passes / image | Score ms/image | Score + explain ms/image | added "
                + "| Score CPU ms/image | Score + explain CPU ms/image | added CPU |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        try (Engine e = new Engine(Path.of("packs/mobilenetv2-default"), Path.of("../shared"), threads)) {
            for (List<String> set : sets) {
                var sel = ScoringPipeline.select(e.pack(), set);
                int passes = sel.stream().flatMap(x -> x.head().spec().views().stream()).distinct()
                        .mapToInt(io.imagescore.image.View::tensorCount).sum();
                run(e, images, sel, false); // warm-up
                run(e, images, sel, true);
                double[][] plain = new double[2][rounds];
                double[][] explained = new double[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    for (boolean explain : r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                        double[] wallCpu = run(e, images, sel, explain);
                        double[][] into = explain ? explained : plain;
                        into[0][r] = wallCpu[0];
                        into[1][r] = wallCpu[1];
                    }
                }
                double p = median(plain[0]);
                double x = median(explained[0]);
                double pc = median(plain[1]);
                double xc = median(explained[1]);
                System.out.printf(java.util.Locale.ROOT, "| %s | %d | %.1f | %.1f | %+.1f %% | %.1f | %.1f | %+.1f %% |%n",
                        String.join(", ", set), passes, p, x, 100 * (x - p) / p, pc, xc, 100 * (xc - pc) / pc);
            }
        }
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** {wall ms, process CPU ms} per image. */
    private static double[] run(Engine e, List<ImageInput> images, List<ScoringPipeline.Selection> sel, boolean explain) {
        long cpu0 = OS.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (ImageInput img : images) {
            e.pipeline().score(e.pack(), List.of(img), sel, false, explain, PreprocessMode.EXACT, null).getFirst().value();
        }
        long wall = System.nanoTime() - t0;
        long cpu = OS.getProcessCpuTime() - cpu0;
        return new double[] {wall / 1e6 / images.size(), cpu / 1e6 / images.size()};
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
