package io.imagescore.bench;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.image.PreprocessedImage;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whole preprocessing of one JPEG (decode → CLIP resize 224 → centre crop → ImageNet-normalised tensor), the same
 * work as {@code scripts/pillow_reference.py bench}. Run by bench/preprocess-bench.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PreprocessBenchmark {
    @Param({"gen-500x500.jpg", "gen-1024x768.jpg", "gen-4032x3024.jpg"})
    public String file;

    @Param({"EXACT", "FAST"})
    public PreprocessMode mode;

    private byte[] bytes;
    /** {@code -Dimagescore.resampler.vector=false}: the scalar resampler passes (bench/README.md). */
    private final Preprocessor preprocessor = new Preprocessor(io.imagescore.image.ImageLimits.DEFAULT,
            Runtime.getRuntime().availableProcessors(), java.util.Optional.of(Preprocessor.TURBOJPEG_LIBRARY),
            !"false".equals(System.getProperty("imagescore.resampler.vector")), true);
    private final PreprocessSpec spec = new PreprocessSpec(224, PreprocessSpec.ResizePolicy.CLIP,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
            PreprocessSpec.ColorOrder.RGB, List.of(View.CENTER));

    @Setup
    public void load() throws IOException {
        bytes = Files.readAllBytes(Path.of(System.getProperty("bench.images", "bench/out/images"), file));
    }

    @Benchmark
    public PreprocessedImage preprocess() {
        return preprocessor.preprocess(bytes, spec, List.of(View.CENTER), mode);
    }
}
