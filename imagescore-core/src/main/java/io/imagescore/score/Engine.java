package io.imagescore.score;

import io.imagescore.image.Preprocessor;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoringPipeline;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;

/**
 * The scoring stack for CLI commands, built without CDI: a pack, the embedded ONNX Runtime backend with the pack's
 * encoder loaded, and the pipeline. Close it to release the ONNX sessions.
 */
public final class Engine implements AutoCloseable {
    private final ModelBackend backend;
    private final ModelPack pack;
    private final ScoringPipeline pipeline;

    public Engine(Path packDir, Path sharedDir, int threads) {
        this(packDir, sharedDir, threads, new SimpleMeterRegistry());
    }

    /** With the registry the pipeline's stage timers ({@link ScoreMetrics#STAGE_TIMER}) are recorded in. */
    public Engine(Path packDir, Path sharedDir, int threads, io.micrometer.core.instrument.MeterRegistry registry) {
        this.pack = new PackLoader(sharedDir.toAbsolutePath().normalize()).load(packDir);
        Preprocessor preprocessor = new Preprocessor();
        io.imagescore.pack.PixelPipelines.requireMatching(pack, preprocessor);
        this.backend = new OnnxBackend(new OnnxBackend.Config(threads));
        backend.load(pack.encoder());
        this.pipeline = new ScoringPipeline(backend, preprocessor, new ScoreMetrics(registry));
    }

    public ModelPack pack() {
        return pack;
    }

    public ModelBackend backend() {
        return backend;
    }

    public ScoringPipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        pipeline.stop();
        backend.close();
    }
}
