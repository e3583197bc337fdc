package io.imagescore.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code imagescore} command line (run through {@code bin/imagescore}). It uses the same classes as the service
 * (packs, backend, pipeline, fitting, sorting) without starting a server. Subcommands register here.
 */
@Command(name = "imagescore", mixinStandardHelpOptions = true, version = "imagescore 0.1.0",
        description = "Score, fit, evaluate, sort and batch-process images with imagescore model packs.",
        subcommands = {
                CommandLine.HelpCommand.class,
                io.imagescore.batch.BatchCommand.class,
                io.imagescore.batch.MergeCommand.class,
                io.imagescore.bench.LoadGenerator.class,
                KeyCommand.class,
                OrderCommand.class,
                OrderEvalCommand.class,
                SortCommand.class,
                TuneCommand.class,
                FitCommand.class,
                EvaluateCommand.class,
                CompareCommand.class,
                OodCommand.class,
                ExplainCommand.class,
        })
public final class ImageScoreCli {

    /**
     * The one way a command line is built (main and tests): choice options are enum-typed, and picocli converts them
     * in any case ("fast", "FAST"), naming the choices when a value is unknown.
     */
    public static CommandLine commandLine(Object command) {
        return new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) throws InterruptedException {
        // Outside Quarkus nothing configures logging, and the JBoss LogManager's defaults leave DEBUG enabled: grpc-netty
        // then formats (hex-dumps) every HTTP/2 frame for a handler that prints nothing — a third of the batch client's
        // CPU. INFO for everything, as the service logs.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.INFO);
        // ONNX Runtime's session creation overflows the launcher's default main-thread stack (segfault, no hs_err,
        // seen with -Xss ≤ 4m on JDK 25 + ORT 1.29), so the commands run on a thread with a generous stack.
        int[] rc = new int[1];
        Thread worker = new Thread(null, () -> rc[0] = commandLine(new ImageScoreCli()).execute(args), "imagescore-cli", 64L << 20);
        worker.start();
        worker.join();
        System.exit(rc[0]);
    }
}
