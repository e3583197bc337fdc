package io.imagescore.bench;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One round of bench/region-bench.sh: per image, the exact {@code quality} views (grid3 + grid3_flip, 18 native
 * crops) through {@link Preprocessor} with the whole decode ({@code grid-whole}, the service before region decoding)
 * and with region decoding ({@code grid-region}), and the fast-mode CLIP centre view ({@code center-fast}), variants
 * interleaved call by call. Prints one TSV row per image and variant: the median thread CPU time and wall time per
 * call. CPU time is what a call costs its core; on a machine shared with other work the wall time adds the waits.
 * <pre>RegionBench IMAGES_DIR SECONDS FILE...</pre>
 */
public final class RegionBench {
    private RegionBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        double seconds = Double.parseDouble(args[1]);
        PreprocessSpec spec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP,
                new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
                PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));
        Preprocessor whole = new Preprocessor(io.imagescore.image.ImageLimits.DEFAULT,
                Runtime.getRuntime().availableProcessors(), java.util.Optional.of(Preprocessor.TURBOJPEG_LIBRARY), true, false);
        Preprocessor region = new Preprocessor();
        List<View> grid = List.of(View.GRID3, View.GRID3_FLIP);
        List<View> centre = List.of(View.CENTER);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.println("file\tvariant\tcalls\tcpu_ms_median\twall_ms_median");
        for (int f = 2; f < args.length; f++) {
            byte[] bytes = Files.readAllBytes(dir.resolve(args[f]));
            Runnable[] variants = {
                () -> whole.preprocess(bytes, spec, grid, PreprocessMode.EXACT),
                () -> region.preprocess(bytes, spec, grid, PreprocessMode.EXACT),
                () -> region.preprocess(bytes, spec, centre, PreprocessMode.FAST)};
            String[] names = {"grid-whole", "grid-region", "center-fast"};
            for (int warm = 0; warm < 5; warm++) {
                for (Runnable v : variants) {
                    v.run();
                }
            }
            int cap = 10_000;
            double[][] cpu = new double[3][cap];
            double[][] wall = new double[3][cap];
            int n = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (n < cap && (n < 5 || System.nanoTime() < end)) {
                for (int v = 0; v < 3; v++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    variants[v].run();
                    wall[v][n] = (System.nanoTime() - w0) / 1e6;
                    cpu[v][n] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                }
                n++;
            }
            for (int v = 0; v < 3; v++) {
                System.out.printf(Locale.ROOT, "%s\t%s\t%d\t%.2f\t%.2f%n", args[f], names[v], n, median(cpu[v], n),
                        median(wall[v], n));
            }
        }
    }

    private static double median(double[] a, int n) {
        double[] s = Arrays.copyOf(a, n);
        Arrays.sort(s);
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
