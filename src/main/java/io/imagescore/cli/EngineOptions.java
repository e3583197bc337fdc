package io.imagescore.cli;

import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.FitService;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the fit and evaluate commands: which pack, where shared data and fitted heads are, caching. */
final class EngineOptions {
    @Option(names = "--pack", defaultValue = "packs/mobilenetv2-default", description = "Pack directory (default: ${DEFAULT-VALUE}).")
    Path pack;
    @Option(names = "--shared", defaultValue = "../shared", description = "Directory holding the shared models/ and data/ (default: ${DEFAULT-VALUE}).")
    Path shared;
    @Option(names = "--data-dir", defaultValue = "data", description = "Data directory whose heads/<pack>/ overlay the pack's heads (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads.")
    int threads;
    @Option(names = "--cache-dir", description = "Keep image embeddings here across runs (keyed by content hash, encoder and pixel pipeline).")
    Path cacheDir;
    @Option(names = "--mode", defaultValue = "exact", description = "Preprocessing mode: exact or fast.")
    String mode;

    PreprocessMode preprocessMode() {
        return PreprocessMode.valueOf(mode.toUpperCase());
    }

    /** The pack with its fitted-head overlay from the data directory. */
    ModelPack pack(Engine engine) {
        return new PackLoader(shared.toAbsolutePath().normalize()).withOverlay(engine.pack(),
                dataDir.resolve("heads").resolve(engine.pack().name()));
    }

    FitService fitService(Engine engine) {
        return new FitService(engine.pipeline(), new EmbeddingCache(1_000_000, cacheDir));
    }
}
