package io.imagescore.batch;

import io.imagescore.image.PreprocessModes;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.image.PreprocessMode;
import io.imagescore.batch.EngineOptions;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code imagescore batch}: the command line of {@link BatchRunner}. */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score many images against a service (--target) or in-process (--embedded), resumably.",
                "Rerun the same command after a crash or kill to continue; exit 0 = all scored, 2 = some images failed, 1 = the run failed."})
public final class BatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Inputs {
        @Option(names = "--manifest", description = "CSV (header id,path[,set]) or JSONL manifest; relative paths are resolved against its folder")
        Path manifest;
        @Option(names = "--dir", description = "directory scanned recursively (sorted); id = relative path")
        Path directory;
        @Option(names = "--stdin", description = "read image paths from stdin, one per line (id = path)")
        boolean stdin;
    }

    static final class Targets {
        @Option(names = "--target", description = "host:port of a running imagescore service")
        String target;
        @Option(names = "--embedded", description = "score in this process (no server)")
        boolean embedded;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Inputs inputs;
    @ArgGroup(exclusive = true, multiplicity = "1")
    Targets targets;

    @Option(names = "--out", required = true, description = "run directory (parts, journal, summary)")
    Path out;
    @Option(names = "--format", defaultValue = "csv", description = "csv, jsonl or parquet (default ${DEFAULT-VALUE})")
    String format;
    @Option(names = "--ext", split = ",", description = "extensions for --dir (default jpg,jpeg,png,webp,gif,bmp,tif,tiff)")
    List<String> extensions;
    @Option(names = "--shard", defaultValue = "0/1", description = "i/n: score only the ids whose stable hash falls in bucket i of n")
    String shard;
    @Option(names = "--pack", defaultValue = "", description = "pack name on the service (default: its default pack)")
    String pack;
    @Option(names = "--pack-dir", defaultValue = "packs/mobilenetv2-default", description = "--embedded: pack directory (default ${DEFAULT-VALUE})")
    Path packDir;
    @Option(names = "--shared", defaultValue = EngineOptions.SHARED_DEFAULT,
            description = "--embedded: what $${shared} means in a pack (default: $IMAGESCORE_SHARED, else ../shared; here ${DEFAULT-VALUE})")
    Path shared;
    @Option(names = "--scores", split = ",", description = "scores wanted (name or name@version); default: the pack's default set (pack.json default_scores)")
    List<String> scores = List.of();
    @Option(names = "--tenant", defaultValue = "", description = "--target: tenant owning the prompt set (default: the service's \"default\")")
    String tenant;
    @Option(names = "--prompt-set", description = "--target: score this prompt set's attributes and classifiers too (pack with a text encoder)")
    String promptSet;
    @Option(names = "--prompt-set-version", defaultValue = "", description = "--target: pin this prompt-set version (default: the active one, resolved once at start and kept for the run)")
    String promptSetVersion;
    @Option(names = "--embedding", description = "include the image embedding in each row")
    boolean embedding;
    @Option(names = "--preprocess", defaultValue = "exact", description = "${COMPLETION-CANDIDATES} (fast: JPEG DCT downscale first)")
    PreprocessMode mode;
    @Option(names = "--chunk-size", defaultValue = "1000", description = "images per part file / resume unit (default ${DEFAULT-VALUE})")
    int chunkSize;
    @Option(names = "--in-flight", defaultValue = "128", description = "images outstanding at once, over all channels (default ${DEFAULT-VALUE})")
    int inFlight;
    @Option(names = "--channels", defaultValue = "2", description = "--target: connections, one ScoreStream each (default ${DEFAULT-VALUE})")
    int channels;
    @Option(names = "--tls", description = "--target: use TLS")
    boolean tls;
    @Option(names = "--ca-cert", description = "TLS: trust this CA (PEM) instead of the JVM's trust store")
    File caCert;
    @Option(names = "--client-cert", description = "TLS: client certificate chain (PEM) for mutual TLS")
    File clientCert;
    @Option(names = "--client-key", description = "TLS: client private key (PKCS#8 PEM)")
    File clientKey;
    @Option(names = "--authority", description = "TLS: override the server name checked against the certificate")
    String authority;
    @Option(names = "--workers", defaultValue = "2", description = "--embedded: concurrent pipeline calls (default ${DEFAULT-VALUE})")
    int workers;
    @Option(names = "--batch", defaultValue = "32", description = "--embedded: images per pipeline call (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--onnx-threads", defaultValue = "0", description = "--embedded: ONNX Runtime intra-op threads; 0 = all cores (default ${DEFAULT-VALUE})")
    int onnxThreads;
    @Option(names = "--stream-max-seconds", defaultValue = "0", description = "--target: open a new stream per channel after this many seconds, below a proxy's request timeout (Knative timeoutSeconds) minus the server's longest call; 0 = one stream for the run (default ${DEFAULT-VALUE})")
    int streamMaxSeconds;
    @Option(names = "--max-attempts", defaultValue = "10", description = "attempts per image on transient errors before the run stops (default ${DEFAULT-VALUE})")
    int maxAttempts;
    @Option(names = "--image-error-exit-code", defaultValue = "2", description = "exit code when the run completed but some images failed (default ${DEFAULT-VALUE}; 0 for schedulers that should not retry)")
    int imageErrorExitCode;
    @Option(names = "--progress", defaultValue = "auto", description = "auto (bar on a terminal, else log lines), bar, log or none")
    String progress;
    @Option(names = "--log-every", defaultValue = "10", description = "seconds between progress log lines (default ${DEFAULT-VALUE})")
    double logEvery;

    @Override
    public Integer call() {
        Set<String> ext = new LinkedHashSet<>();
        (extensions == null ? ImageSource.DEFAULT_EXTENSIONS : extensions).forEach(e -> ext.add(e.toLowerCase(Locale.ROOT).replace(".", "")));
        Input input = new Input(inputs.manifest, inputs.directory, ext, inputs.stdin ? System.in : null);
        Backoff backoff = new Backoff(Backoff.DEFAULT.baseMillis(), Backoff.DEFAULT.maxMillis(), maxAttempts);
        BatchRunner.Settings settings = new BatchRunner.Settings(input, Shard.parse(shard), out, OutputFormat.parse(format),
                chunkSize, inFlight, embedding, scores, mode.name().toLowerCase(Locale.ROOT), backoff,
                Progress.Mode.valueOf(progress.toUpperCase(Locale.ROOT)), (long) (logEvery * 1000));
        ScoringTarget target;
        if (targets.embedded) {
            if (promptSet != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--prompt-set needs --target: prompt sets are stored and scored by the service");
            }
            target = new EmbeddedTarget(packDir, shared, onnxThreads, workers, batch, scores, embedding, mode);
        } else {
            ScoreOptions options = ScoreOptions.newBuilder().setPack(pack).addAllScores(scores).setIncludeEmbedding(embedding)
                    .setTopK(1).setPreprocessMode(PreprocessModes.toProto(mode))
                    .setTenant(tenant).setPromptSet(promptSet == null ? "" : promptSet).setPromptSetVersion(promptSetVersion).build();
            target = new RemoteTarget(targets.target, new RemoteTarget.Tls(tls, caCert, clientCert, clientKey, authority),
                    channels, (inFlight + channels - 1) / channels, options, backoff)
                    .withStreamMaxDuration(java.time.Duration.ofSeconds(streamMaxSeconds));
        }
        BatchSummary summary = new BatchRunner(settings, target, System.err).run();
        summary.print(System.err);
        return summary.exitCode() == 2 ? imageErrorExitCode : summary.exitCode();
    }
}
