package io.imagescore.batch;

import io.imagescore.score.Engine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options of commands that score in-process (picocli mixin): which pack, where ${shared} is, ONNX threads. */
public class EngineOptions {
    /**
     * Default of every --shared option (picocli interpolation): $IMAGESCORE_SHARED, else the system property
     * imagescore.shared (tests set it), else ../shared.
     */
    public static final String SHARED_DEFAULT = "${env:IMAGESCORE_SHARED:-${sys:imagescore.shared:-../shared}}";

    @Option(names = "--pack", defaultValue = "packs/mobilenetv2-default", description = "Pack directory (default: ${DEFAULT-VALUE}).")
    Path pack;
    @Option(names = "--shared", defaultValue = SHARED_DEFAULT,
            description = "Directory holding the shared models/ and data/ (default: $IMAGESCORE_SHARED, else ../shared; here ${DEFAULT-VALUE}).")
    Path shared;
    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    public Path shared() {
        return shared;
    }

    public int threads() {
        return threads;
    }

    public Engine open() {
        return new Engine(pack, shared, threads);
    }
}
