package io.imagescore.cli;

import io.imagescore.batch.EngineOptions;
import io.imagescore.score.Engine;
import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.FitService;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@link EngineOptions} plus what fit and evaluate need: the fitted-head overlay, the embedding cache, the mode. */
final class FitEngineOptions extends EngineOptions {
    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory whose heads/<pack>/ overlay the pack's heads (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--cache-dir", description = "Keep image embeddings here across runs (keyed by content hash, encoder and pixel pipeline).")
    Path cacheDir;
    @Option(names = "--mode", defaultValue = "exact", description = "Preprocessing mode: ${COMPLETION-CANDIDATES}.")
    PreprocessMode mode;

    PreprocessMode preprocessMode() {
        return mode;
    }

    /** The pack with its fitted-head overlay from the data directory. */
    ModelPack pack(Engine engine) {
        return new PackLoader(shared().toAbsolutePath().normalize()).withOverlay(engine.pack(),
                dataDir.resolve("heads").resolve(engine.pack().name()));
    }

    FitService fitService(Engine engine) {
        return new FitService(engine.pipeline(), new EmbeddingCache(1_000_000, cacheDir));
    }
}
